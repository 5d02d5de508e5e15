-- Read-only: a session's log entries after a cursor (prelude.lua's `append` explains the layout).
-- A: session ("tenant/key"), the cursor's base ('' = from the start) and number, most entries.
-- Reply: 'ok' { base, the first entry's number, entries... }, or 'none' if there is nothing after the cursor.
OPS.events = function(A)
  local key = k('log:' .. A[1])
  local head = redis.call('LINDEX', key, 0)
  if not head then return 'none' end
  local base, trimmed = log_header(head)
  -- a cursor from another log (one since removed and created again) reads this one from its start
  local from = 1
  if A[2] == base then from = math.max(tonumber(A[3]) - trimmed + 1, 1) end
  if from >= redis.call('LLEN', key) then return 'none' end
  return 'ok', { base, trimmed + from, unpack(redis.call('LRANGE', key, from, from + tonumber(A[4]) - 1)) }
end
