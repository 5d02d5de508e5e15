-- Spawn a run. A: id, tenant, session, child, task, label, mode, cleanup, timeout_at, dedupe
-- Reply: 'ok' | 'duplicate' with { id, the run's record encoded as stored ('' if it is gone) }, or 'full'
-- (admission control).
-- The run comes back in the same call, so the API answers a spawn with one round trip.
OPS.spawn = function(A)
  local id, tenant, session = A[1], A[2], A[3]
  local timeout_at, dedupe = num(A[9]), A[10]
  local sid = tenant .. '/' .. session
  retire_on_write()

  if dedupe ~= '' then
    local expires = deadline_in('ddp', dedupe)
    if expires and expires <= NOW then
      -- past its deadline but not yet swept: expire it now rather than answer from a stale entry
      remove_dedupe(dedupe, 'ttl')
    else
      local existing = call('GET', k('ddp:' .. dedupe))
      if existing then
        return 'duplicate', { existing, run_of(existing) and encode(run_of(existing)) or '' }
      end
    end
  end
  -- Admission control: refuse only when live runs alone fill the registry.
  if not make_room_for_run() then return 'full' end

  local lease = lease_of(timeout_at, NOW)
  -- (as stored: times but created as offsets from it, coded fields by code)
  local run = { [R.tenant] = tenant, [R.session] = session, [R.task] = A[5], [R.mode] = coded(R.mode, A[7]),
    [R.cleanup] = coded(R.cleanup, A[8]), [R.status] = STATUS.pending, [R.created] = NOW, [R.seq] = '0', [R.active] = 0,
    [R.timeout_at] = timeout_at - NOW }
  if A[4] ~= '' then run[R.child] = A[4] end
  if A[6] ~= '' then run[R.label] = A[6] end

  if dedupe ~= '' then
    while size('ddp') >= P.cap_dedupe do
      remove_dedupe(first('ddp'), 'cap')
    end
    call('SET', k('ddp:' .. dedupe), id, 'PX', ms(P.dedupe + P.slack))
    index('ddp', dedupe, NOW + P.dedupe)
    run[R.dedupe] = dedupe
  end
  local packed = run_create(id, run)
  -- The TTL of the shard's runs (and of its index keys) covers the run's bound from the start, so no later change
  -- needs a TTL call: its lease moves, its end and its archive all fall within it.
  local bound = run_bound(timeout_at)
  expire(RUNS, bound)
  index('live', id, lease, nil, bound)

  join_session(sid, id, bound)
  -- the run as stored, without reading it back
  return 'ok', { id, packed }
end
