#!lua flags=no-writes
-- Read-only: per index, its size and its earliest deadline; then the shard's eviction counters.
-- Reply: 'ok' { zcard, min_deadline_or_-1 (per index, in INDEXES order), counter, value, ... }
CALLS.snapshot = function()
  local values = {}
  for _, name in ipairs(INDEXES) do
    values[#values + 1] = size(name)
    values[#values + 1] = ms(select(2, first(name)) or -1)
  end
  local stats = call('HGETALL', k('stats'))
  for i = 1, #stats do values[#values + 1] = stats[i] end
  return reply('ok', values)
end
