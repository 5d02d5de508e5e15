#!lua flags=allow-oom
-- (allow-oom: at maxmemory Redis refuses every other script's writes, and the sweep is what frees memory; a
-- finalization it writes is small beside the removals, so a full Redis drains by itself as entries fall due.)
-- One bounded sweep pass over a shard: at most P.batch entries, cost proportional to what is due.
-- Finalization and archival happen at the entry's own deadline (event time), not at sweep time, so the
-- outcome does not depend on how late the sweeper runs. Reply: 'more' (more is due) or 'done', and the evictions.
local budget = P.batch

local function due(name)
  if budget <= 0 then return {} end
  return redis.call('ZRANGEBYSCORE', idx(name), '-inf', NOW, 'WITHSCORES', 'LIMIT', 0, budget)
end

-- Each phase is one batch (BULK): the changes it defers (prelude.lua) are applied together when it ends.
local function each_due(name, fn)
  local items = due(name)
  bulk_begin()
  for i = 1, #items, 2 do
    fn(items[i], tonumber(items[i + 1]))
    budget = budget - 1
  end
  bulk_end()
end

-- Entries that own nothing else (tombstones, aborted-run marks) leave in one call: the due ones are the
-- lowest-ranked of their index.
local function drop_due(name, registry)
  if budget <= 0 then return end
  local n = math.min(redis.call('ZCOUNT', idx(name), '-inf', NOW), budget)
  if n > 0 then
    forget(idx(name))
    redis.call('ZREMRANGEBYRANK', idx(name), 0, n - 1)
    count(registry, 'ttl', n)
    budget = budget - n
  end
end

-- A live run is finalized at its earliest passed deadline: a pending error's grace or its context lease.
-- Every entry a phase takes leaves that index: one not finalized belongs to a run no longer live (stale).
each_due('perr', function(id)
  if not finalize_if_due(id, NOW) then
    drop('perr', id)
    count('pending_errors', 'ttl')
  end
end)
each_due('live', function(id, lease)
  if not finalize_if_due(id, NOW, lease) then
    drop('live', id)
    count('run_contexts', 'ttl')
  end
end)

each_due('done', function(id, d) remove_run(id, 'ttl', d) end)
cap_tombstones()

drop_due('abrt', 'aborted_runs')

each_due('rcp', function(id)
  forget(k('rcp:' .. id))
  redis.call('DEL', k('rcp:' .. id))
  unindex('rcp', id)
  count('tool_recipients', 'ttl')
end)

each_due('ddp', function(key) remove_dedupe(key, 'ttl') end)

-- a session's log normally goes with its last run; this is the safety net's deadline
each_due('ses', function(sid)
  remove_session(sid)
  count('session_logs', 'ttl')
end)

drop_due('gone', 'tombstones')

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
over_cap('ses', P.cap_logs, function(sid) remove_session(sid); count('session_logs', 'cap') end)

local answer = reply(budget <= 0 and 'more' or 'done')
-- The counters hold no registry data; a shard left empty keeps nothing at all, counters included, so an
-- idle gateway's Redis is empty (DBSIZE 0). Cumulative totals live in the gateway.registry.evictions metric.
local indexes = {}
for i, name in ipairs(INDEXES) do indexes[i] = idx(name) end
if redis.call('EXISTS', unpack(indexes)) == 0 then redis.call('DEL', k('stats')) end
return answer
