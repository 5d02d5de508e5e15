#!lua flags=no-writes
-- A batch (batch.lua) for a Redis at its maxmemory, which refuses a function that may write before it runs
-- (unlike a script, which it refused at its first write): the reads in it are answered, each write answers
-- 'error' and stores nothing (RegistryScripts.RunBatchAsync gives its caller Redis' refusal).
CALLS.read = function(args)
  READ_ONLY = true
  return CALLS.batch(args)
end
