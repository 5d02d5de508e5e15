-- Append a lifecycle or agent event. ARGV: now, policy, id, tenant, kind, seq, data, aborted(0|1)
-- kind: start | end | error (lifecycle) or any agent stream name (assistant, tool, ...).
local id, tenant, kind, seq, data = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7]
local rk = k('run:' .. id)
local f = redis.call('HMGET', rk, 'tenant', 'status', 'seq', 'session', 'timeout_at', 'perr_first', 'active')
if not f[1] then return missing(id) end
if f[1] ~= tenant then return { 'unknown' } end
if not is_live(f[2]) then return { 'finished', f[2] } end
local timeout_at = tonumber(f[5])
-- Lazy expiry: only a run that may be past a deadline (its lease as last written, or a pending error) is
-- checked against its index entries.
if (f[6] or lease_of(timeout_at, tonumber(f[7])) <= NOW) and finalize_if_due(id, NOW) then
  return counts_reply({ 'finished', redis.call('HGET', rk, 'status') })
end
local last = tonumber(f[3])
if seq <= last then return { 'duplicate', last } end
if seq > last + 1 then return { 'gap', last } end

-- activity is the run context's lease: every accepted event pushes its deadline out
local lease = lease_of(timeout_at, NOW)
local changes = { 'seq', seq, 'active', ms(NOW) }
if kind == 'start' and f[2] == 'pending' then
  changes[#changes + 1], changes[#changes + 2] = 'status', 'running'
  changes[#changes + 3], changes[#changes + 4] = 'started', ms(NOW)
end
redis.call('HSET', rk, unpack(changes))
reindex('live', id, lease)
-- seq as the caller sent it: Lua would print a number past 14 digits as 1e+15
local entry = append(tenant .. '/' .. f[4], run_bound(timeout_at), id, ARGV[6], kind, data, true)

if f[6] and (kind == 'start' or kind == 'end') then
  -- a later start/end cancels a pending lifecycle error (model fail-over emits transient errors)
  unindex('perr', id)
  redis.call('HDEL', rk, 'perr_at', 'perr_first', 'error')
end
if kind == 'error' then
  local first = tonumber(f[6]) or NOW
  redis.call('HSET', rk, 'perr_first', ms(first), 'perr_at', ms(NOW), 'error', data)
  index('perr', id, math.min(NOW + P.grace, first + P.error_max))
elseif kind == 'end' then
  if ARGV[8] == '1' then finalize(id, 'timeout', 'aborted', NOW) else finalize(id, 'ok', 'completed', NOW) end
end
return counts_reply({ 'ok', entry })
