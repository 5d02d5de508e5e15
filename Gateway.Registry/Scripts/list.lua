-- The runs a requester session spawned that are still in the registry, oldest first, each as GET answers it
-- (lazy expiry included). A: session ("tenant/key"), most runs.
-- Reply: 'ok' { id, n, the run's n fields and values, ... }.
OPS.list = function(A)
  local values = {}
  for _, id in ipairs(session_runs(A[1], tonumber(A[2]))) do
    local fields = read_answer(id)
    if #fields > 0 then
      values[#values + 1] = id
      values[#values + 1] = #fields
      for i = 1, #fields do values[#values + 1] = fields[i] end
    end
  end
  return 'ok', values
end
