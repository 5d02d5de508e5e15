#!lua flags=allow-oom
-- (allow-oom: at maxmemory Redis refuses every other script's writes, and the sweep is what frees memory; a
-- finalization it writes is small beside the removals, so a full Redis drains by itself as entries fall due.)
-- One bounded sweep pass over a shard: at most P.batch entries, cost proportional to what is due.
-- Finalization and archival happen at the entry's own deadline (event time), not at sweep time, so the
-- outcome does not depend on how late the sweeper runs. Reply: 'more' (more is due) or 'done', and the evictions.
-- The due entries first (retire, prelude.lua: the same phases every write runs with its own small budget).
CALLS.sweep = function()
  local budget = retire(P.batch)

  -- Caps lowered by configuration since entries were written: bring each registry back under its cap, the
  -- entries due soonest first. (Final runs: as many as the cap leaves beside the live ones.)
  while budget > 0 and size('done') > max(P.cap_runs - size('live'), 0) do
    local id, done_at = first('done')
    if not id then break end
    remove_run(id, 'cap', NOW, done_at)
    budget = budget - 1
  end
  local function cap(name, registry, most)
    local n = pop(name, min(size(name) - most, budget))
    count(registry, 'cap', n)
    budget = budget - n
  end
  cap('gone', 'tombstones', P.cap_tombstones)
  cap('abrt', 'aborted_runs', P.cap_aborted)
  while budget > 0 and size('ses') > P.cap_logs do
    local oldest, deadline = first('ses')
    if not oldest then break end
    remove_session(oldest, deadline)
    count('session_logs', 'cap')
    budget = budget - 1
  end

  local answer = reply(budget <= 0 and 'more' or 'done')
  -- The counters hold no registry data; a shard left empty keeps nothing at all, counters included, so an
  -- idle gateway's Redis is empty (DBSIZE 0). Cumulative totals live in the gateway.registry.evictions metric.
  local indexes = {}
  for i, name in ipairs(INDEXES) do indexes[i] = idx(name) end
  if call('EXISTS', unpack(indexes)) == 0 then call('DEL', k('stats'), k('due'), k('sizes')) end
  return answer
end
