-- Append a lifecycle or agent event. A: id, tenant, kind, seq, data, aborted(0|1)
-- kind: start | end | error (lifecycle) or any agent stream name (assistant, tool, ...).
-- Reply: 'ok' { entry id } | 'duplicate' / 'gap' { last seq } | 'finished' { status } | 'gone' | 'unknown'.
OPS.event = function(A)
  local id, tenant, kind, seq, data = A[1], A[2], A[3], tonumber(A[4]), A[5]
  retire_on_write()
  local rk = k('run:' .. id)
  local f = fields_of(rk, { 'tenant', 'status', 'seq', 'session', 'timeout_at', 'perr_first', 'active' })
  if not f.tenant then return missing(id) end
  if f.tenant ~= tenant then return 'unknown' end
  if not is_live(f.status) then return 'finished', { f.status } end
  local timeout_at = tonumber(f.timeout_at)
  if expire_if_due(id, f) then return 'finished', { redis.call('HGET', rk, 'status') } end
  local last = tonumber(f.seq)
  if seq <= last then return 'duplicate', { last } end
  if seq > last + 1 then return 'gap', { last } end

  -- activity is the run context's lease: every accepted event pushes its deadline out
  local lease = lease_of(timeout_at, NOW)
  local changes = { 'seq', seq, 'active', ms(NOW) }
  if kind == 'start' and f.status == 'pending' then
    changes[#changes + 1], changes[#changes + 2] = 'status', 'running'
    changes[#changes + 3], changes[#changes + 4] = 'started', ms(NOW)
  end
  redis.call('HSET', rk, unpack(changes))
  reindex('live', id, lease)
  -- seq as the caller sent it: Lua would print a number past 14 digits as 1e+15
  local entry = append(tenant .. '/' .. f.session, run_bound(timeout_at), id, A[4], kind, data, true)

  if f.perr_first and (kind == 'start' or kind == 'end') then
    -- a later start/end cancels a pending lifecycle error (model fail-over emits transient errors)
    unindex('perr', id)
    redis.call('HDEL', rk, 'perr_at', 'perr_first', 'error')
  end
  if kind == 'error' then
    local first = tonumber(f.perr_first) or NOW
    redis.call('HSET', rk, 'perr_first', ms(first), 'perr_at', ms(NOW), 'error', data)
    index('perr', id, math.min(NOW + P.grace, first + P.error_max))
  elseif kind == 'end' then
    if A[6] == '1' then finalize(id, 'timeout', 'aborted', NOW) else finalize(id, 'ok', 'completed', NOW) end
  end
  return 'ok', { entry }
end
