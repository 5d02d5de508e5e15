-- Append a lifecycle or agent event. ARGV: now, policy, id, tenant, kind, seq, data, aborted(0|1)
-- kind: start | end | error (lifecycle) or any agent stream name (assistant, tool, ...).
local id, tenant, kind, seq, data = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7]
local rk = k('run:' .. id)
local f = redis.call('HMGET', rk, 'tenant', 'status', 'seq', 'session', 'timeout_at', 'perr_first')
if not f[1] then return missing(id) end
if f[1] ~= tenant then return { 'unknown' } end
if not is_live(f[2]) then return { 'finished', f[2] } end
if finalize_if_due(id, NOW) then
  return counts_reply({ 'finished', redis.call('HGET', rk, 'status') })
end
local last = tonumber(f[3])
if seq <= last then return { 'duplicate', last } end
if seq > last + 1 then return { 'gap', last } end

-- activity is the run context's lease: every accepted event pushes its deadline out
local lease = math.min(tonumber(f[5]), NOW + P.idle)
redis.call('HSET', rk, 'seq', seq, 'active', ms(NOW))
index('live', id, lease, 'XX')
expire(rk, lease)
local sid = tenant .. '/' .. f[4]
local entry = append(sid, lease, { 'type', 'event', 'run', id, 'seq', seq, 'kind', kind, 'data', data })

if kind == 'start' or kind == 'end' then
  -- a later start/end cancels a pending lifecycle error (model fail-over emits transient errors)
  if unindex('perr', id) == 1 then redis.call('HDEL', rk, 'perr_at', 'perr_first', 'error') end
end
if kind == 'start' then
  redis.call('HSET', rk, 'status', 'running')
  redis.call('HSETNX', rk, 'started', ms(NOW))
elseif kind == 'error' then
  local first = tonumber(f[6]) or NOW
  redis.call('HSET', rk, 'perr_first', ms(first), 'perr_at', ms(NOW), 'error', data)
  index('perr', id, math.min(NOW + P.grace, first + P.error_max))
elseif kind == 'end' then
  if ARGV[8] == '1' then finalize(id, 'timeout', 'aborted', NOW) else finalize(id, 'ok', 'completed', NOW) end
end
return counts_reply({ 'ok', entry })
