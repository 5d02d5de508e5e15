-- Append a run's lifecycle and agent events, in order, each answered as it would be alone.
-- A: id, tenant, then per event: kind, seq, data, aborted (0|1).
-- kind: start | end | error (lifecycle) or any agent stream name (assistant, tool, ...).
-- Reply: 'ok' { per event: outcome, value }: 'ok' and its entry id | 'duplicate' / 'gap' and the last seq |
-- 'finished' and the run's status | 'gone' / 'unknown' and ''.
-- The run's record is written, its lease moved and its entries appended once for all of them (save_records,
-- MOVES, push_logs).
OPS.event = function(A)
  local id, tenant = A[1], A[2]
  retire_on_write()
  local answers, placed = {}, {}
  local f = run_of(id)
  local refused = not f and missing(id) or f[R.tenant] ~= tenant and 'unknown'
  if refused then
    for i = 3, #A, 4 do answers[#answers + 1], answers[#answers + 2] = refused, '' end
    return 'ok', answers
  end

  LOGS = {}
  for i = 3, #A, 4 do
    local kind, seq, data = A[i], num(A[i + 1]), A[i + 2]
    local outcome, value = 'ok', nil
    f = run_of(id)
    local last = num(f[R.seq])
    if not is_live(f[R.status]) then
      outcome, value = 'finished', name_of(f, R.status)
    elseif expire_if_due(id, f) then
      outcome, value = 'finished', name_of(run_of(id), R.status)
    elseif seq <= last then
      outcome, value = 'duplicate', last
    elseif seq > last + 1 then
      outcome, value = 'gap', last
    else
      local timeout_at, now = time_of(f, R.timeout_at), stored_time(f, NOW) -- (now: NOW as the record stores it)
      -- activity is the run context's lease: every accepted event pushes its deadline out. seq as the caller
      -- sent it: Lua would print a number past 14 digits as 1e+15.
      local changes = { [R.seq] = A[i + 1], [R.active] = now }
      if kind == 'start' and f[R.status] == STATUS.pending then changes[R.status], changes[R.started] = STATUS.running, now end
      if f[R.perr_first] and (kind == 'start' or kind == 'end') then
        -- a later start/end cancels a pending lifecycle error (model fail-over emits transient errors)
        unindex('perr', id)
        changes[R.perr_at], changes[R.perr_first], changes[R.error] = false, false, false
      elseif kind == 'error' then
        local since = time_of(f, R.perr_first) or NOW
        changes[R.perr_first], changes[R.perr_at], changes[R.error] = stored_time(f, since), now, data
        index('perr', id, min(NOW + P.grace, since + P.error_max))
      end
      run_change(id, changes)
      reindex('live', id, lease_of(timeout_at, NOW))
      local log, place = append(tenant .. '/' .. f[R.session], run_bound(timeout_at), id, A[i + 1], kind, data)
      placed[#answers + 2] = { log, place }

      if kind == 'end' then
        if A[i + 3] == '1' then finalize(id, 'timeout', 'aborted', NOW) else finalize(id, 'ok', 'completed', NOW) end
      end
    end
    answers[#answers + 1], answers[#answers + 2] = outcome, value or ''
  end
  push_logs()
  for at, entry in pairs(placed) do answers[at] = entry_id(entry[1], entry[2]) end
  return 'ok', answers
end
