-- Append a lifecycle or agent event. A: id, tenant, kind, seq, data, aborted(0|1)
-- kind: start | end | error (lifecycle) or any agent stream name (assistant, tool, ...).
-- Reply: 'ok' { entry id } | 'duplicate' / 'gap' { last seq } | 'finished' { status } | 'gone' | 'unknown'.
OPS.event = function(A)
  local id, tenant, kind, seq, data = A[1], A[2], A[3], tonumber(A[4]), A[5]
  retire_on_write()
  local f = run_of(id)
  if not f then return missing(id) end
  if f[R.tenant] ~= tenant then return 'unknown' end
  if not is_live(f[R.status]) then return 'finished', { f[R.status] } end
  local timeout_at = f[R.timeout_at]
  if expire_if_due(id, f) then return 'finished', { run_of(id)[R.status] } end
  local last = tonumber(f[R.seq])
  if seq <= last then return 'duplicate', { last } end
  if seq > last + 1 then return 'gap', { last } end

  -- activity is the run context's lease: every accepted event pushes its deadline out. seq as the caller sent
  -- it: Lua would print a number past 14 digits as 1e+15.
  local changes = { [R.seq] = A[4], [R.active] = NOW }
  if kind == 'start' and f[R.status] == 'pending' then changes[R.status], changes[R.started] = 'running', NOW end
  if f[R.perr_first] and (kind == 'start' or kind == 'end') then
    -- a later start/end cancels a pending lifecycle error (model fail-over emits transient errors)
    unindex('perr', id)
    changes[R.perr_at], changes[R.perr_first], changes[R.error] = false, false, false
  elseif kind == 'error' then
    local since = f[R.perr_first] or NOW
    changes[R.perr_first], changes[R.perr_at], changes[R.error] = since, NOW, data
    index('perr', id, math.min(NOW + P.grace, since + P.error_max))
  end
  run_change(id, changes)
  reindex('live', id, lease_of(timeout_at, NOW))
  local entry = append(tenant .. '/' .. f[R.session], run_bound(timeout_at), id, A[4], kind, data)

  if kind == 'end' then
    if A[6] == '1' then finalize(id, 'timeout', 'aborted', NOW) else finalize(id, 'ok', 'completed', NOW) end
  end
  return 'ok', { entry }
end
