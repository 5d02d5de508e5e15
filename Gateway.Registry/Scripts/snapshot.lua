-- Read-only: per index, its size and its earliest deadline; then the shard's eviction counters.
-- Reply: { zcard, min_deadline_or_-1 (x8 in INDEXES order), field, value, ... }
local reply = {}
for _, name in ipairs(INDEXES) do
  reply[#reply + 1] = redis.call('ZCARD', idx(name))
  local first = redis.call('ZRANGE', idx(name), 0, 0, 'WITHSCORES')
  reply[#reply + 1] = first[2] or '-1'
end
local stats = redis.call('HGETALL', k('stats'))
for i = 1, #stats do reply[#reply + 1] = stats[i] end
return reply
