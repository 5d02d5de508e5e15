-- Add and remove tool-event recipients (connection ids) of a run.
-- A: id, tenant, n_add, add..., remove...; nothing to add or remove reads them.
-- Reply: 'ok' { recipients } | 'full' { the cap } | 'gone' | 'unknown'.
OPS.recipients = function(A)
  local id, tenant, n_add = A[1], A[2], tonumber(A[3])
  -- (a read, with nothing to add or remove, retires nothing)
  if #A > 3 then retire_on_write() end
  local f = run_of(id)
  if not f then return missing(id) end
  if f[R.tenant] ~= tenant then return 'unknown' end

  local sk = k('rcp:' .. id)
  -- recipients past their deadline are gone, swept or not (lazy expiry): a read sees none, an update starts afresh
  local expires = deadline_in('rcp', id)
  local expired = expires and expires <= NOW
  if #A == 3 then
    if expired then return 'ok' end
    return 'ok', call('SMEMBERS', sk)
  end
  if expired then
    forget(sk)
    call('DEL', sk)
    unindex('rcp', id)
    count('tool_recipients', 'ttl')
  end
  -- Check the resulting size first: a refused update must change nothing (removes apply before adds).
  local members, removed, added = call('SCARD', sk), {}, {}
  for i = 4 + n_add, #A do
    if not removed[A[i]] and call('SISMEMBER', sk, A[i]) == 1 then
      removed[A[i]] = true
      members = members - 1
    end
  end
  for i = 4, 3 + n_add do
    local a = A[i]
    if not added[a] and (removed[a] or call('SISMEMBER', sk, a) == 0) then members = members + 1 end
    added[a] = true
  end
  if members > P.cap_recipients then return 'full', { P.cap_recipients } end
  for i = 4 + n_add, #A do call('SREM', sk, A[i]) end
  for i = 4, 3 + n_add do call('SADD', sk, A[i]) end

  if call('SCARD', sk) == 0 then
    forget(sk)
    call('DEL', sk)
    unindex('rcp', id)
    return 'ok'
  end
  -- 10 min after the last update; 30 s once the run is final
  local deadline = NOW + (is_live(f[R.status]) and P.rcp_idle or P.rcp_final)
  index('rcp', id, deadline)
  -- the run has recipients to clean up: finalize and remove_run look for this
  if not f[R.rcp] then run_change(id, { [R.rcp] = '1' }) end
  expire(sk, deadline)
  return 'ok', call('SMEMBERS', sk)
end
