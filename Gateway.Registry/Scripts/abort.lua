-- Abort one run (ARGV[5] = run id) or every live run of a session (ARGV[5] = '', ARGV[4] = session key).
-- ARGV: now, policy, tenant, session, id
local tenant, session, id = ARGV[3], ARGV[4], ARGV[5]

local function abort(run)
  -- a run already past its deadline ended then, not now
  if finalize_if_due(run, NOW) then return false end
  if finalize(run, 'aborted', 'aborted', NOW) then
    while redis.call('ZCARD', idx('abrt')) >= P.cap_aborted do
      redis.call('ZPOPMIN', idx('abrt'))
      count('aborted_runs', 'cap')
    end
    index('abrt', run, NOW + P.aborted)
    return true
  end
  return false
end

if id ~= '' then
  local owner = redis.call('HGET', k('run:' .. id), 'tenant')
  if not owner then return missing(id) end
  if owner ~= tenant then return { 'unknown' } end
  if abort(id) then return counts_reply({ 'ok', 1, id }) end
  -- it may have ended just now, at a deadline that had passed: that is counted and announced too
  return counts_reply({ 'finished', redis.call('HGET', k('run:' .. id), 'status') })
end

-- reply: { 'ok', n, run ids (n of them), counts... }
local reply = { 'ok', 0 }
for _, run in ipairs(redis.call('ZRANGE', k('ses:' .. tenant .. '/' .. session), 0, -1)) do
  if abort(run) then reply[#reply + 1] = run end
end
reply[2] = #reply - 2
return counts_reply(reply)
