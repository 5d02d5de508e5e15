-- One bounded sweep pass over a shard: at most P.batch entries, cost proportional to what is due.
-- Finalization and archival happen at the entry's own deadline (event time), not at sweep time, so the
-- outcome does not depend on how late the sweeper runs. Reply: { more(0|1), "registry:reason", n, ... }
local budget = P.batch

local function due(name)
  if budget <= 0 then return {} end
  return redis.call('ZRANGEBYSCORE', idx(name), '-inf', NOW, 'WITHSCORES', 'LIMIT', 0, budget)
end

local function each_due(name, fn)
  local items = due(name)
  for i = 1, #items, 2 do
    fn(items[i], tonumber(items[i + 1]))
    budget = budget - 1
  end
end

-- A live run is finalized at its earliest passed deadline: a pending error's grace or its context lease.
local function finalize_due(id)
  if not finalize_if_due(id, NOW) then
    -- an index entry whose run is no longer live: drop it
    if unindex('perr', id) == 1 then count('pending_errors', 'ttl') end
    if unindex('live', id) == 1 then count('run_contexts', 'ttl') end
  end
end
each_due('perr', finalize_due)
each_due('live', finalize_due)

each_due('done', function(id, d) remove_run(id, 'ttl', d) end)

each_due('abrt', function(id)
  unindex('abrt', id)
  count('aborted_runs', 'ttl')
end)

each_due('rcp', function(id)
  redis.call('DEL', k('rcp:' .. id))
  unindex('rcp', id)
  count('tool_recipients', 'ttl')
end)

each_due('ddp', function(key) remove_dedupe(key, 'ttl') end)

each_due('ses', function(sid)
  remove_session(sid)
  count('event_streams', 'ttl')
end)

each_due('gone', function(id)
  unindex('gone', id)
  count('tombstones', 'ttl')
end)

-- Caps lowered by configuration since entries were written: bring each registry back under its cap.
local function over_cap(name, cap, evict)
  while budget > 0 and redis.call('ZCARD', idx(name)) > cap do
    evict(redis.call('ZRANGE', idx(name), 0, 0)[1])
    budget = budget - 1
  end
end
over_cap('done', math.max(P.cap_runs - redis.call('ZCARD', idx('live')), 0), function(id) remove_run(id, 'cap', NOW) end)
over_cap('gone', P.cap_tombstones, function(id) unindex('gone', id); count('tombstones', 'cap') end)
over_cap('abrt', P.cap_aborted, function(id) unindex('abrt', id); count('aborted_runs', 'cap') end)
over_cap('ses', P.cap_streams, function(sid) remove_session(sid); count('event_streams', 'cap') end)

local reply = counts_reply({ budget <= 0 and 1 or 0 })
-- The counters hold no registry data; a shard left empty keeps nothing at all, counters included, so an
-- idle gateway's Redis is empty (DBSIZE 0). Cumulative totals live in the gateway.registry.evictions metric.
local empty = true
for _, name in ipairs(INDEXES) do
  if redis.call('EXISTS', idx(name)) == 1 then empty = false end
end
if empty then redis.call('DEL', k('stats')) end
return reply
