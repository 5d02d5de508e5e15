-- Add and remove tool-event recipients (connection ids) of a run.
-- ARGV: now, policy, id, tenant, n_add, add..., remove...
local id, tenant, n_add = ARGV[3], ARGV[4], tonumber(ARGV[5])
local rk = k('run:' .. id)
local f = redis.call('HMGET', rk, 'tenant', 'status')
if not f[1] then return missing(id) end
if f[1] ~= tenant then return { 'unknown' } end

local sk = k('rcp:' .. id)
-- Check the resulting size first: a refused update must change nothing (removes apply before adds).
local size, removed, added = redis.call('SCARD', sk), {}, {}
for i = 6 + n_add, #ARGV do
  if not removed[ARGV[i]] and redis.call('SISMEMBER', sk, ARGV[i]) == 1 then
    removed[ARGV[i]] = true
    size = size - 1
  end
end
for i = 6, 5 + n_add do
  local a = ARGV[i]
  if not added[a] and (removed[a] or redis.call('SISMEMBER', sk, a) == 0) then size = size + 1 end
  added[a] = true
end
if size > P.cap_recipients then return { 'full', P.cap_recipients } end
for i = 6 + n_add, #ARGV do redis.call('SREM', sk, ARGV[i]) end
for i = 6, 5 + n_add do redis.call('SADD', sk, ARGV[i]) end

if redis.call('SCARD', sk) == 0 then
  redis.call('DEL', sk)
  unindex('rcp', id)
  return { 'ok' }
end
-- 10 min after the last update; 30 s once the run is final
local deadline = NOW + (is_live(f[2]) and P.rcp_idle or P.rcp_final)
index('rcp', id, deadline)
redis.call('HSET', rk, 'rcp', '1') -- the run has recipients to clean up: finalize and remove_run look for this
expire(sk, deadline)
return { 'ok', unpack(redis.call('SMEMBERS', sk)) }
