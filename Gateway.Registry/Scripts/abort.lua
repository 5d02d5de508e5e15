-- Abort one run (A[3] = run id) or every live run of a session (A[3] = '', A[2] = session key).
-- A: tenant, session, id
-- Reply: 'ok' { the ids of the runs it aborted } | 'finished' { status } | 'gone' | 'unknown'.
OPS.abort = function(A)
  local tenant, session, id = A[1], A[2], A[3]
  retire_on_write()

  local function abort(run)
    -- a run already past its deadline ended then, not now
    if finalize_if_due(run, NOW) then return false end
    if finalize(run, 'aborted', 'aborted', NOW) then
      count('aborted_runs', 'cap', pop('abrt', size('abrt') - P.cap_aborted + 1))
      index('abrt', run, NOW + P.aborted)
      return true
    end
    return false
  end

  if id ~= '' then
    local run = run_of(id)
    if not run then return missing(id) end
    if run[R.tenant] ~= tenant then return 'unknown' end
    if abort(id) then return 'ok', { id } end
    -- it may have ended just now, at a deadline that had passed: that is counted and announced too
    return 'finished', { name_of(run_of(id), R.status) }
  end

  local aborted = {}
  for _, run in ipairs(session_runs(tenant .. '/' .. session)) do
    if abort(run) then aborted[#aborted + 1] = run end
  end
  return 'ok', aborted
end
