-- A run as stored, for GET and wait. A: id, tenant
-- A live run already past a deadline is answered as it ended then (lazy expiry), not as still running.
-- Reply: 'ok' { the run's record, encoded as stored } | 'gone' | 'unknown'.
OPS.get = function(A)
  local id, tenant = A[1], A[2]
  local packed, f = read_answer(id, function(f) return f[R.tenant] == tenant end)
  if not f[R.tenant] then return missing(id) end
  if f[R.tenant] ~= tenant then return 'unknown' end
  return 'ok', { packed }
end
