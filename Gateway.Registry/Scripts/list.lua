-- The runs a requester session spawned that are still in the registry, oldest first, each as GET answers it
-- (lazy expiry included). A: session ("tenant/key"), most runs.
-- Reply: 'ok' { id, its record encoded as stored, ... }.
OPS.list = function(A)
  local values = {}
  for _, id in ipairs(session_runs(A[1], tonumber(A[2]))) do
    local packed = read_answer(id)
    if packed ~= '' then
      values[#values + 1] = id
      values[#values + 1] = packed
    end
  end
  return 'ok', values
end
