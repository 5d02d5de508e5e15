#!lua flags=no-writes
-- Read-only: per index, its size and its earliest deadline; then the shard's eviction counters.
-- Reply: 'ok' { zcard, min_deadline_or_-1 (per index, in INDEXES order), counter, value, ... }
CALLS.snapshot = function()
  local values = {}
  for _, name in ipairs(INDEXES) do
    if name == 'done' then
      -- (kept in windows: prelude.lua's idx:done and idx:gone)
      values[#values + 1] = done_count()
      values[#values + 1] = ms(select(2, done_first()) or -1)
    elseif name == 'gone' then
      values[#values + 1] = gone_count()
      values[#values + 1] = redis.call('ZRANGE', idx(name), 0, 0, 'WITHSCORES')[2] or '-1'
    else
      values[#values + 1] = redis.call('ZCARD', idx(name))
      local first = redis.call('ZRANGE', idx(name), 0, 0, 'WITHSCORES')
      values[#values + 1] = first[2] or '-1'
    end
  end
  local stats = redis.call('HGETALL', k('stats'))
  for i = 1, #stats do values[#values + 1] = stats[i] end
  return reply('ok', values)
end
