-- Read-only: a session's log entries after a cursor (prelude.lua's `push_log` explains the layout), each naming
-- its run. A: session ("tenant/key"), the cursor's base ('' = from the start) and number, most entries.
-- Reply: 'ok' { base, the first entry's number, entries... }, or 'none' if there is nothing after the cursor.
OPS.events = function(A)
  local key = k('log:' .. A[1])
  local head = call('LINDEX', key, '0')
  if not head then return 'none' end
  local h = log_header(head)
  -- a cursor from another log (one since removed and created again) reads this one from its start
  local from = 1
  if A[2] == h.base then from = max(tonumber(A[3]) - h.trimmed + 1, 1) end
  if from >= call('LLEN', key) then return 'none' end
  local entries, run = call('LRANGE', key, ms(from), ms(from + tonumber(A[4]) - 1)), nil
  for i, entry in ipairs(entries) do
    if is_implicit(entry) then
      run = run or run_before(key, from)
      entries[i] = run .. entry
    else
      run = string.match(entry, '^%S+')
    end
  end
  return 'ok', { h.base, h.trimmed + from, unpack(entries) }
end
