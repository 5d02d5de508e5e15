-- The runs a requester session spawned that are still in the registry, oldest first, each as GET answers it
-- (lazy expiry included). ARGV: now, policy, session ("tenant/key"), most runs.
-- Reply: 'ok' { id, n, the run's n hash fields and values, ... }.
local values = {}
for _, id in ipairs(redis.call('ZRANGE', k('ses:' .. ARGV[3]), 0, tonumber(ARGV[4]) - 1)) do
  local fields = read_answer(id)
  if #fields > 0 then
    values[#values + 1] = id
    values[#values + 1] = #fields
    for i = 1, #fields do values[#values + 1] = fields[i] end
  end
end
return reply('ok', values)
