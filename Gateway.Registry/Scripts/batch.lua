-- Group commit (GroupCommit.cs): operations of one shard that arrived together, applied in order, each as it
-- would be alone at its own time. The call, the policy's decoding, the due hints, the eviction counters and
-- the end signal are paid once per batch. args: now (the latest), policy, then per operation: name, its now,
-- n, its n arguments. Reply: 'ok' { { outcome, { values... } } per operation, in order }, and the evictions.
-- An operation that Redis refuses (OOM at maxmemory: the first write that would grow memory) answers
-- { 'error', { message } } and the others go on, as if each had been a script of its own. As for any script,
-- once a batch has written Redis lets it finish past maxmemory rather than stop it halfway (at most MaxBatch).
CALLS.batch = function(args)
  local results, i = {}, 3
  while i <= #args do
    local n = num(args[i + 2])
    NOW = num(args[i + 1])
    local ok, outcome, values = pcall(OPS[args[i]], { unpack(args, i + 3, i + 2 + n) })
    if ok then
      results[#results + 1] = { outcome, values or {} }
    else
      results[#results + 1] = { 'error', { type(outcome) == 'table' and outcome.err or tostring(outcome) } }
      LOGS = nil -- (entries an operation collected before it failed are not appended)
    end
    i = i + 3 + n
  end
  NOW = num(args[1])
  return reply('ok', results)
end
