-- Add and remove tool-event recipients (connection ids) of a run.
-- ARGV: now, policy, id, tenant, n_add, add..., remove...; nothing to add or remove reads them.
-- Reply: 'ok' { recipients } | 'full' { the cap } | 'gone' | 'unknown'.
local id, tenant, n_add = ARGV[3], ARGV[4], tonumber(ARGV[5])
-- (a read, with nothing to add or remove, retires nothing)
if #ARGV > 5 then retire_on_write() end
local rk = k('run:' .. id)
local f = fields_of(rk, { 'tenant', 'status' })
if not f.tenant then return missing(id) end
if f.tenant ~= tenant then return reply('unknown') end

local sk = k('rcp:' .. id)
-- recipients past their deadline are gone, swept or not (lazy expiry): a read sees none, an update starts afresh
local due = tonumber(redis.call('ZSCORE', idx('rcp'), id))
local expired = due and due <= NOW
if #ARGV == 5 then
  if expired then return reply('ok') end
  return reply('ok', redis.call('SMEMBERS', sk))
end
if expired then
  forget(sk)
  redis.call('DEL', sk)
  unindex('rcp', id)
  count('tool_recipients', 'ttl')
end
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
if size > P.cap_recipients then return reply('full', { P.cap_recipients }) end
for i = 6 + n_add, #ARGV do redis.call('SREM', sk, ARGV[i]) end
for i = 6, 5 + n_add do redis.call('SADD', sk, ARGV[i]) end

if redis.call('SCARD', sk) == 0 then
  forget(sk)
  redis.call('DEL', sk)
  unindex('rcp', id)
  return reply('ok')
end
-- 10 min after the last update; 30 s once the run is final
local deadline = NOW + (is_live(f.status) and P.rcp_idle or P.rcp_final)
index('rcp', id, deadline)
redis.call('HSET', rk, 'rcp', '1') -- the run has recipients to clean up: finalize and remove_run look for this
expire(sk, deadline)
return reply('ok', redis.call('SMEMBERS', sk))
