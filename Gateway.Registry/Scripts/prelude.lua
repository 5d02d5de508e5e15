-- The start of the registry's Redis Functions library (RegistryScripts.cs composes it: this file, the operation
-- files, then batch.lua, sweep.lua and snapshot.lua, each registered as a function). One call = one shard = one
-- hash slot: every key below starts with keys[1], the shard prefix "gw:{NN}:".
-- The library is loaded once per Redis node; a call's own state (the locals below that `begin` sets) starts
-- afresh on every call. Nothing at load time may call a library function: Redis loads a library with none.
--
-- Deadlines are absolute times in ms on the caller's clock (TimeProvider), never Redis's: args[1] is "now".
-- Rule: nothing is written without a deadline. `index` puts an entry in its registry's deadline index
-- (Deadline indexes, below); `expire` gives a key a Redis TTL past that deadline, so memory is
-- bounded even if no sweeper ever runs.
--
-- The globals the library uses most, as upvalues: a function's globals are an empty table whose metatable finds them
-- in Redis' own, so each global read is two table lookups and a metamethod, and `redis.call` a third lookup (3-4% of
-- a call's Redis instructions). They exist only while a call runs (a library's load sees `redis.register_function`
-- alone), so `begin` binds them on the first call; `globals` reads them as globals because it comes before the locals.
local function globals() return redis.call, string.format, math.min, math.max, tonumber, unpack, pairs, ipairs, type, select, next, pcall, error end
local call, format, min, max, tonumber, unpack, pairs, ipairs, type, select, next, pcall, error
local PREFIX
-- args[1], the caller's time (a batch sets it to each operation's own time before applying it: batch.lua)
local NOW
-- args[2], the policy, is a MessagePack array of integers in POLICY_FIELDS' order: one C call to decode, where
-- parsing the same numbers from text cost more than the rest of the prelude together. POLICY_FIELDS and
-- INDEXES (the deadline indexes, in the order snapshot.lua reports them) are generated from C#
-- (RetentionPolicy.Fields, Registries.Indexes) into the header RegistryScripts.cs puts before this file.
-- The one state kept from call to call: P, decoded from P_PACKED and never changed, is decoded again only when
-- a call brings another policy (decoding it cost a call that does nothing a quarter of its Redis instructions).
local P, P_PACKED

local COUNTS
-- the shard's hash of run records (below)
local RUNS

local function k(name) return PREFIX .. name end
local function idx(name) return PREFIX .. 'idx:' .. name end
local function ms(x) return format('%d', x) end
-- A number from a string known to hold one (an argument, a stored field, a reply): Lua's arithmetic converts it
-- once, where tonumber converts it twice (lua_isnumber, then lua_tonumber; each glibc's strtod, ~1,000 instructions).
local function num(s) return s + 0 end

-- COUNTS[registry][reason]: this call's evictions (reply names them "registry:reason" once, not per count: a sweep
-- counts two or three per run).
local function count(registry, reason, n)
  n = n or 1
  if n > 0 then
    local of = COUNTS[registry]
    if not of then
      of = {}
      COUNTS[registry] = of
    end
    of[reason] = (of[reason] or 0) + n
  end
end

-- `expire`: the key's TTL reaches at least deadline + slack (never shortened). PEXPIRE GT is one call when it
-- extends; it cannot set a TTL on a key that has none (a key this script just created), which the PTTL after a
-- refused GT catches. A key already extended in this script is not asked again (a sweep batch touches the same
-- index a thousand times). fresh: the key was most likely just created, so NX (one call) is tried first.
local EXPIRES
local function expire(key, deadline, fresh)
  -- (not assert: its message would be built on every call)
  if type(deadline) ~= 'number' then error('a write without a deadline: ' .. key) end
  local want = max(deadline - NOW, 0) + P.slack
  local at = NOW + want
  if (EXPIRES[key] or -1) >= at then return end
  want = ms(want)
  if fresh and call('PEXPIRE', key, want, 'NX') == 1 then
    EXPIRES[key] = at
    return
  end
  if call('PEXPIRE', key, want, 'GT') == 0 then
    local ttl = call('PTTL', key)
    if ttl == -2 then return end -- no such key (yet)
    if ttl == -1 then call('PEXPIRE', key, want) end
  end
  EXPIRES[key] = at
end

-- A key this script removes from (or deletes) may be gone, and with it its TTL: the next `expire` of it must ask
-- Redis again rather than trust what this script set before (a key emptied and re-created had no TTL).
local function forget(key) EXPIRES[key] = nil end

-- Due hints (gw:{NN}:due): per deadline index, a time no later than its earliest deadline, so a write tells
-- with one GET whether anything of its shard is due (retire, below). Every entry indexed lowers its index's
-- hint (note_due); removals leave it low, which only costs a look. The key holds a MessagePack array in INDEXES'
-- order (one C call to decode, as the policy); no key, or 0, is unknown, which reads as due.
local NONE = 4503599627370496 -- 2^52 ms: the hint of an empty index
-- READ_ONLY: a call Redis runs with no writes allowed (read.lua); the hints it finds stale stay as they are
-- SOONEST: no later than every hint, so that a write sees at once that nothing is due (retire).
local HINTS, HINTS_CHANGED, READ_ONLY, SOONEST
local function hints()
  if not HINTS then
    HINTS, SOONEST = {}, NONE
    local packed = call('GET', k('due'))
    local values = packed and cmsgpack.unpack(packed) or {}
    for i, name in ipairs(INDEXES) do
      local at = values[i] or 0
      HINTS[name], SOONEST = at, min(SOONEST, at)
    end
  end
  return HINTS
end

local function set_hint(name, at)
  local h = hints()
  if h[name] ~= at then
    h[name], SOONEST = at, min(SOONEST, at)
    HINTS_CHANGED = true
  end
end

local function note_due(name, deadline)
  if hints()[name] > deadline then set_hint(name, deadline) end
end

-- Writes the hints if this script changed them (reply does, once per script). A shard whose indexes are all
-- empty keeps no hints: a write that stores nothing else (another tenant's refused request) stores none either.
local function save_hints()
  if not HINTS_CHANGED or READ_ONLY then return end
  local values, empty = {}, true
  for i, name in ipairs(INDEXES) do
    values[i] = HINTS[name]
    empty = empty and values[i] == NONE
  end
  if empty then
    call('DEL', k('due'))
  else
    call('SET', k('due'), cmsgpack.pack(values), 'PX', ms(P.run_archive + P.slack))
  end
end

-- Sweep batches (bulk_begin .. bulk_end, below): the changes whose results nothing in the batch reads back
-- are collected and applied after the batch with one variadic call each, instead of a call per entry: index
-- changes (one ZREM and one ZADD per index window), the removed runs' records (one HDEL) and the keys they leave
-- (one DEL), the completions appended to each session's log (one RPUSH per session: LOGS, below) and the runs
-- leaving each session. Outside a sweep BULK is nil and changes apply at once.
local BULK, BULK_SESSIONS, BULK_DEL, BULK_RUNS

-- Deadline indexes: each registry's entries (member, deadline), so that what is due is found first and the cost
-- of expiry follows what expires, never what lives. An index is of one of two kinds:
-- - plain: one sorted set, idx:<name>, scored by deadline;
-- - windowed (KINDS): the indexes with an entry for most runs held are kept in sorted sets of one window each,
--   idx:<name>:<w>, small enough (up to 128 entries) that Redis keeps them as listpacks: ~32 bytes an entry,
--   where one sorted set of them all cost ~130 (a skiplist node and a dict entry each). idx:<name> lists the
--   windows, each scored by its earliest deadline, so the window due first is first; the field <name> of the
--   shard's hash `sizes` counts the entries.
-- A window is WINDOW ms of one shard: 128 entries is about 8,000 runs a second over 16 shards; past that a window
-- costs as the one sorted set did (docs/benchmarks.md, "Where the memory goes").
local WINDOW = 250

local B32 -- base32 digit values by character code (built on first use: a library's load has no string library)
-- The run's creation time (ms), its id's 9 base32 characters after the shard (Shard.NewRunId); 0 for an id of the
-- earlier layout, which carries none.
local function created_of(id)
  if #id ~= 20 then return 0 end
  if not B32 then
    B32 = {}
    for i = 1, 32 do B32[string.byte('0123456789abcdefghjkmnpqrstvwxyz', i)] = i - 1 end
  end
  local t = 0
  for i = 3, 11 do t = t * 32 + (B32[string.byte(id, i)] or 0) end
  return t
end

local function by_deadline(_, deadline) return math.floor(deadline / WINDOW) end

-- The windowed indexes. window(member, deadline): an entry's window. span: a window holds the deadlines of its
-- WINDOW ms only, so it is TTL'd to its end once, when it is listed.
local KINDS = {
  -- the final runs by archive deadline: a run is final from its end to its archive, most of the time it is held
  done = { window = by_deadline, span = true },
  -- the sessions by deadline (the safety net behind their logs' removal with their last runs)
  ses = { window = by_deadline, span = true },
  -- the tombstones by the run's creation time, which its id carries, so a lookup by id (`missing`) finds it
  gone = { window = function(id) return math.floor(created_of(id) / WINDOW) end },
}

local function window_of(name, member, deadline)
  local kind = KINDS[name]
  return kind and kind.window(member, deadline) or 0
end

-- The sorted set of window w (a plain index has one, w = 0).
local function set_of(name, w)
  if KINDS[name] then return idx(name) .. ':' .. ms(w) end
  return idx(name)
end

-- After removals from window w: the list scores it by its earliest deadline again, or it leaves the list (Redis
-- deleted the window with its last entry); removed: how many entries went.
local function settle_window(name, w, removed)
  local earliest = call('ZRANGE', set_of(name, w), '0', '0', 'WITHSCORES')[2]
  if earliest then
    call('ZADD', idx(name), 'XX', earliest, ms(w))
  else
    forget(idx(name))
    call('ZREM', idx(name), ms(w))
  end
  if removed > 0 then call('HINCRBY', k('sizes'), name, ms(-removed)) end
end

-- Adds entries { deadline, member, ... } (ZADD's arguments) to window w. least, latest: the earliest of their
-- deadlines and the latest any of them can get. flag: ZADD's (plain indexes only).
local function add_to(name, w, entries, least, latest, flag)
  local key, kind = set_of(name, w), KINDS[name]
  if flag then
    call('ZADD', key, flag, unpack(entries))
    return expire(key, latest)
  end
  local added = call('ZADD', key, unpack(entries))
  if not kind then return expire(key, latest) end
  -- a window new to the list is most likely a new key (`expire`'s fresh: one call for its TTL, not three)
  local fresh = call('ZADD', idx(name), 'LT', ms(least), ms(w)) == 1
  if added > 0 then call('HINCRBY', k('sizes'), name, ms(added)) end
  if kind.span then
    latest = (w + 1) * WINDOW - 1
    -- listed, it has its TTL to its end already (unless its end has passed, when that TTL may have run out)
    if not fresh and latest + P.slack > NOW then return end
  end
  expire(key, latest, fresh)
  expire(idx(name), latest)
  expire(k('sizes'), latest)
end

-- Removes members from window w; returns how many were there.
local function remove_from(name, w, members)
  local key = set_of(name, w)
  forget(key)
  local removed = call('ZREM', key, unpack(members))
  if KINDS[name] then settle_window(name, w, removed) end
  return removed
end

-- Moves of entries of plain indexes (reindex) that this call made, by index and member: applied together, once
-- per index, before the index is next read in deadline order, and when the call replies. A run's events in one
-- batch move its lease once; a run that ends in the same batch is never moved.
local MOVES

local function unmove(name, member)
  local m = MOVES[name]
  if m then m[member] = nil end
end

local function apply_moves(name)
  local m = MOVES[name]
  if not m then return end
  MOVES[name] = nil
  local entries = {}
  for member, deadline in pairs(m) do entries[#entries + 1], entries[#entries + 2] = ms(deadline), member end
  if entries[1] then call('ZADD', idx(name), 'XX', unpack(entries)) end
end

-- bound: the latest deadline this entry can ever get, if the caller knows it, so that later moves of the
-- entry within it (`reindex`) need no TTL call of their own. A sweep batch collects additions by window (BULK).
local function index(name, member, deadline, flag, bound)
  if type(deadline) ~= 'number' then error('an index entry without a deadline: ' .. name) end
  note_due(name, deadline)
  unmove(name, member)
  local w = window_of(name, member, deadline)
  bound = bound or deadline
  if BULK and not flag then
    local b = BULK[name] or { rem = {}, add = {} }
    BULK[name] = b
    local a = b.add[w] or { entries = {}, least = deadline, latest = bound }
    b.add[w] = a
    a.entries[#a.entries + 1], a.entries[#a.entries + 2] = ms(deadline), member
    a.least, a.latest = min(a.least, deadline), max(a.latest, bound)
    return
  end
  add_to(name, w, { ms(deadline), member }, deadline, bound, flag)
end

-- Moves an existing entry of a plain index to a deadline within the bound it was indexed with: the index key's
-- TTL already covers it. LT: only to an earlier deadline (at once: it compares with the score stored).
-- (A read-only call moves at once too, so that the refusal is the operation's own.)
local function reindex(name, member, deadline, lt)
  note_due(name, deadline)
  if lt then
    apply_moves(name)
    call('ZADD', idx(name), 'XX', 'LT', ms(deadline), member)
  elseif READ_ONLY then
    call('ZADD', idx(name), 'XX', ms(deadline), member)
  else
    MOVES[name] = MOVES[name] or {}
    MOVES[name][member] = deadline
  end
end

-- Removes an entry (deadline: its deadline, which a window of deadlines needs to find it); returns 1 if it was there.
local function unindex(name, member, deadline)
  unmove(name, member)
  return remove_from(name, window_of(name, member, deadline), { member })
end

-- As unindex, for a caller that does not need to know whether the entry was there (deferred in a batch).
local function drop(name, member, deadline)
  unmove(name, member)
  local w = window_of(name, member, deadline)
  if not BULK then return remove_from(name, w, { member }) end
  local b = BULK[name] or { rem = {}, add = {} }
  BULK[name] = b
  local ids = b.rem[w] or {}
  b.rem[w] = ids
  ids[#ids + 1] = member
end

-- An entry's deadline, or nil (of an index whose windows come from the member).
local function deadline_in(name, member)
  local moved = MOVES[name] and MOVES[name][member]
  if moved then return moved end
  return tonumber(call('ZSCORE', set_of(name, window_of(name, member)), member))
end

-- How many entries the index holds.
local function size(name)
  if KINDS[name] then return max(tonumber(call('HGET', k('sizes'), name)) or 0, 0) end
  return call('ZCARD', idx(name))
end

-- The entry due first and its deadline, or nil. (A window listed but gone, which only its TTL does, is passed over.)
local function first(name)
  apply_moves(name)
  local windows = KINDS[name] and call('ZRANGE', idx(name), '0', '9') or { 0 }
  for _, w in ipairs(windows) do
    local got = call('ZRANGE', set_of(name, tonumber(w)), '0', '0', 'WITHSCORES')
    if got[1] then return got[1], tonumber(got[2]) end
  end
end

-- The windows that hold entries due by now, at most `most` of them, the one due first first.
local function due_windows(name, most)
  apply_moves(name)
  if not KINDS[name] then return { 0 } end
  return call('ZRANGEBYSCORE', idx(name), '-inf', ms(NOW), 'LIMIT', '0', ms(most))
end

-- The entries due by now, at most `most`, window by window: { member, deadline, ... } (as ZRANGEBYSCORE answers).
-- (In deadline order where windows do not overlap: a plain index, or one whose windows are of deadlines.)
local function due(name, most)
  local items = {}
  for _, w in ipairs(due_windows(name, most)) do
    local got = call('ZRANGEBYSCORE', set_of(name, tonumber(w)), '-inf', ms(NOW), 'WITHSCORES', 'LIMIT', '0', ms(most - #items / 2))
    if #items == 0 then items = got else for i = 1, #got do items[#items + 1] = got[i] end end
    if #items / 2 >= most then break end
  end
  return items
end

-- Removes the entries due by now, at most `most`, for callers that need nothing of them (their lowest ranks);
-- returns how many.
local function remove_due(name, most)
  local n = 0
  for _, w in ipairs(due_windows(name, most)) do
    if n >= most then break end
    w = tonumber(w)
    local key = set_of(name, w)
    local take = min(call('ZCOUNT', key, '-inf', ms(NOW)), most - n)
    if take > 0 then
      forget(key)
      call('ZREMRANGEBYRANK', key, '0', ms(take - 1))
    end
    if KINDS[name] then settle_window(name, w, take) end
    n = n + take
  end
  return n
end

-- Removes the n entries due soonest (a cap); returns how many went. Of a windowed index: from the first window,
-- those due no later than the next window's first, and so on (each settle puts the windows back in order).
local function pop(name, n)
  if n <= 0 then return 0 end
  apply_moves(name)
  if not KINDS[name] then
    forget(idx(name))
    return #call('ZPOPMIN', idx(name), ms(n)) / 2
  end
  local popped = 0
  while popped < n do
    local windows = call('ZRANGE', idx(name), '0', '1', 'WITHSCORES')
    if not windows[1] then break end
    local w = tonumber(windows[1])
    local key = set_of(name, w)
    local take = min(call('ZCOUNT', key, '-inf', windows[4] or '+inf'), n - popped)
    if take > 0 then
      forget(key)
      call('ZPOPMIN', key, ms(take))
    end
    settle_window(name, w, take)
    popped = popped + take
  end
  return popped
end

-- DEL of a key nothing later in the script reads (deferred in a batch)
local function del(key)
  forget(key)
  if BULK then BULK_DEL[#BULK_DEL + 1] = key else call('DEL', key) end
end

-- DEL of the keys a batch collected, 1,000 a call
local function del_all(keys)
  for i = 1, #keys, 1000 do call('DEL', unpack(keys, i, min(i + 999, #keys))) end
end

-- Applies a batch's collected index changes, window by window: removals first, then additions, 1,000 entries a
-- call.
local function flush_indexes()
  for name, b in pairs(BULK) do
    for w, members in pairs(b.rem) do
      for i = 1, #members, 1000 do remove_from(name, w, { unpack(members, i, min(i + 999, #members)) }) end
    end
    for w, a in pairs(b.add) do
      for i = 1, #a.entries, 2000 do
        add_to(name, w, { unpack(a.entries, i, min(i + 1999, #a.entries)) }, a.least, a.latest)
      end
    end
  end
end

-- Run records (RunRecordLayout.cs): each run is a field of the shard's hash `runs`, named by its id, holding its
-- fields as MessagePack values in RUN_FIELDS' order (nil: absent; times but `created` as offsets from it; the
-- values of RUN_CODES' fields as their place in its list, CODE[field][value], or spelled out if not listed). A
-- record is an array in that order, read by position: run[R.status]. (Lua 5.1 builds a table by name at several
-- times the cost of the array: it made a sweep's finalization 60% dearer.) The scripts hold a record as it is
-- stored, so that reading one is a single cmsgpack.unpack and writing one a single cmsgpack.pack (converting every
-- time and code each way cost a sweep a tenth of its Redis instructions): a time is read with time_of and written
-- as an offset (f[R.ended] = at - f[R.created]), a coded field compared with its code (f[R.status] == STATUS.ok).
-- A record is read once per script (RECORDS: this script's view of them, false for no such run) and written
-- whole. The hash's TTL covers the bound of every run in it (spawn extends it): the safety net if nothing ever
-- sweeps.
local R, N = {}, #RUN_FIELDS
for i = 1, N do R[RUN_FIELDS[i]] = i end
-- CODE[field][value]: the value's code; CODE_TEXT the same as a string, for a log entry (a number concatenated
-- is formatted by printf's %.14g, at each completion).
local CODE, CODE_TEXT = {}, {}
for i = 1, N do
  local names = RUN_CODES[i]
  if names then
    CODE[i], CODE_TEXT[i] = {}, {}
    for c = 1, #names do CODE[i][names[c]], CODE_TEXT[i][names[c]] = c, '' .. c end
  end
end
local STATUS = CODE[R.status]

-- A coded field's value by name, as it is stored (its code, or the name if not listed), and its name.
local function coded(i, name) return name and (CODE[i][name] or name) end
local function name_of(f, i)
  local v = f[i]
  return RUN_CODES[i][v] or v
end

-- A time of the record (ms), or nil; and its value to store.
local CREATED = R.created
local function time_of(f, i)
  local v = f[i]
  return v and f[CREATED] + v
end
local function stored_time(f, at) return at and at - f[CREATED] end

local function encode(run)
  local last = N
  while run[last] == nil do last = last - 1 end
  return cmsgpack.pack(unpack(run, 1, last))
end

local function decode(packed) return { cmsgpack.unpack(packed) } end

-- RECORDS: this call's view of the records; WRITTEN: the ids whose record it changed, stored once, when the call
-- replies (save_records): a run's events in one batch, and the end they bring, write its record once.
local RECORDS, WRITTEN

-- The run's record, or nil: this call's view of it, which changes in place (to_change: run_change, finalize).
local function run_of(id)
  local run = RECORDS[id]
  if run == nil then
    local packed = call('HGET', RUNS, id)
    run = packed and decode(packed) or false
    RECORDS[id] = run
  end
  return run or nil
end

-- Reads the records of a sweep batch's runs at once (items: { id, deadline, ... }, as `due` answers) into this
-- call's view: one HMGET, not an HGET each (each call into Redis from Lua costs ~5,000 instructions besides the
-- command's own work).
local function read_runs(items)
  local ids = {}
  for i = 1, #items, 2 do
    if RECORDS[items[i]] == nil then ids[#ids + 1] = items[i] end
  end
  for i = 1, #ids, 1000 do
    local packed = call('HMGET', RUNS, unpack(ids, i, min(i + 999, #ids)))
    for j = 1, #packed do RECORDS[ids[i + j - 1]] = packed[j] and decode(packed[j]) end
  end
end

-- A new run's record is written at once: the hash may not exist yet, and the TTL the spawn gives it needs it.
-- Returns it encoded.
local function run_create(id, run)
  local packed = encode(run)
  call('HSET', RUNS, id, packed)
  RECORDS[id] = run
  return packed
end

local function run_put(id, run)
  -- (a read-only call writes at once, so that the refusal is the operation's own and its view stays as stored)
  if READ_ONLY then call('HSET', RUNS, id, encode(run)) else WRITTEN[id] = true end
  RECORDS[id] = run
end

-- The record to change and then run_put: this call's view itself, or a copy in a read-only call, whose view changes
-- only once Redis has taken the write.
local function to_change(run)
  if READ_ONLY then return { unpack(run, 1, N) } end
  return run
end

local function save_records()
  local fields = {}
  for id in pairs(WRITTEN) do
    fields[#fields + 1], fields[#fields + 2] = id, encode(RECORDS[id])
    if #fields >= 2000 then
      call('HSET', RUNS, unpack(fields))
      fields = {}
    end
  end
  if fields[1] then call('HSET', RUNS, unpack(fields)) end
  WRITTEN = {}
end

-- Writes the run's record with changes: { [R.field] = its new value, or false to remove it }. (In place: a copy
-- of the record per change cost a lifecycle 2% of its Redis instructions.)
local function run_change(id, changes)
  local run = to_change(run_of(id))
  for i, v in pairs(changes) do run[i] = v or nil end
  run_put(id, run)
end

local function run_remove(id)
  RECORDS[id], WRITTEN[id] = false, nil
  forget(RUNS)
  if BULK then BULK_RUNS[#BULK_RUNS + 1] = id else call('HDEL', RUNS, id) end
end

-- status: as stored (a code)
local function is_live(status) return status == STATUS.pending or status == STATUS.running end

-- A live run's context lease: idle for P.idle after its last activity, never past its own hard end.
local function lease_of(timeout_at, active) return min(timeout_at, active + P.idle) end

-- The latest a run can still be in the registry: its hard end, a pending error's grace past it, then archive.
local function run_bound(timeout_at)
  return timeout_at + P.grace + max(P.run_archive, P.session_archive)
end

-- Sessions: each requester session has a log, whose header also lists the session's runs. The log goes with the
-- session's last run (leave_session); its own deadline is only the safety net behind that: the latest bound of
-- any run the session ever had, rounded up to the end of its WINDOW, so that the session's runs spawned within a
-- window leave it where it is. Invariant: a session in idx:ses has its log TTL'd past that deadline, and its
-- spill (below) too while it has one; its log's header holds the deadline, which finds its idx:ses window.
--
-- A session's log is a Redis list (a Redis stream preallocated a 1 KB node per session, which never shrank). Element 0
-- is its header "base until trimmed spilled tail runs...": base, the time the log was created (ms); until, the
-- session's deadline less base; how many entries have been trimmed from its head; how many of the session's runs are in
-- its spill; the run whose entry is last ('' if none; its place in the runs that follow if they list it, one digit for
-- an id); then the session's runs, at most SESSION_RUNS of them. A session with more keeps the rest in its spill, the
-- sorted set `ses:` (a header of thousands of ids rewritten on every spawn would cost O(n) a write). The session's
-- first run creates its log, a header alone. Element i >= 1 is entry number trimmed + i, and its id is "base-number".
-- Ids grow within a log; a log created again (a later run in the same session) has a later base, so a cursor from the
-- earlier one reads the new log from its start (events.lua). An entry is "run seq kind data": run id, seq (the event's,
-- or the run's last for a completion), kind (an event's agent stream name (lifecycle kinds start, end, error), or
-- 'completion'; the common ones as one digit, LOG_KINDS: SessionLogLayout.cs), data (the event's data, or "status
-- reason error" for a completion, its status and reason coded as in the run's record); data goes last because it may
-- hold spaces. An entry that follows one of the same run (the header's tail) leaves its run out: " seq kind data". A
-- run's events usually come in a row, and its id was a third of an entry. Element 1 always names its run (a trim
-- rewrites it so), so a reader finds any entry's run at or before it (run_before). The tail is the run of the last
-- entry a write pushed: a sweep's completions name their run and leave the header as it was (push_log's `named`), so
-- a write that would leave its run out looks at the last entry first (last_run).
local SESSION_RUNS = 8

-- A list of ids separated by single spaces: the id at a place (1-based), and an id's place. (Plain finds, not a
-- pattern matched per id, which cost a sweep's removal 4% more Redis instructions.)
local function id_at(list, place)
  local from = 1
  for _ = 2, place do
    from = (string.find(list, ' ', from, true) or #list) + 1
  end
  if from > #list then return nil end
  return string.sub(list, from, (string.find(list, ' ', from, true) or 0) - 1)
end

local function place_of(list, id)
  local at = string.find(' ' .. list .. ' ', ' ' .. id .. ' ', 1, true)
  if not at then return nil end
  local place, from = 1, 1
  while true do
    local space = string.find(list, ' ', from, true)
    if not space or space >= at then return place end
    place, from = place + 1, space + 1
  end
end

local function log_header(head)
  local base, til, trimmed, spilled, tail, runs = string.match(head, '^(%d+) (%d+) (%d+) (%d+) (%S*) ?(.*)$')
  if #tail == 1 then -- a place (SESSION_RUNS < 10), not an id
    tail = id_at(runs, string.byte(tail) - 48) or tail
  end
  return { base = base, deadline = num(base) + num(til), trimmed = num(trimmed), spilled = num(spilled),
    tail = tail, runs = runs }
end

-- The header's tail field: the tail run's place in the runs listed, or its id if they do not list it.
local function tail_ref(h)
  if h.tail == '' then return '' end
  local place = place_of(h.runs, h.tail)
  return place and '' .. place or h.tail
end

local function header_of(h)
  return h.base .. ' ' .. ms(h.deadline - num(h.base)) .. ' ' .. ms(h.trimmed) .. ' ' .. ms(h.spilled) .. ' ' .. tail_ref(h)
    .. ' ' .. h.runs
end

-- The headers of the logs this call has read or written, by key (false: no such log).
local HEADS
local function head_of(key)
  local h = HEADS[key]
  if h == nil then
    local head = call('LINDEX', key, '0')
    h = head and log_header(head) or false
    HEADS[key] = h
  end
  return h or nil
end

-- The session's log, its spill and its idx:ses entry go (deadline: the entry's; deferred in a batch).
local function remove_session(sid, deadline)
  HEADS[k('log:' .. sid)] = nil
  forget(k('log:' .. sid))
  forget(k('ses:' .. sid))
  call('DEL', k('log:' .. sid), k('ses:' .. sid))
  drop('ses', sid, deadline)
end

-- Registers the session (idx:ses) with a deadline no earlier than bound, kept in its log's header h (which the
-- caller writes). Returns the deadline if it moved (the caller then extends the session's keys to it), or nil.
local function touch_session(sid, bound, h)
  local d = h.deadline
  -- registered with a later deadline, and its keys cannot have expired yet: nothing to do
  if d and d >= bound and d + P.slack > NOW then return nil end
  if d then
    drop('ses', sid, d)
  else
    while size('ses') >= P.cap_logs do
      local oldest, deadline = first('ses')
      if not oldest then break end
      remove_session(oldest, deadline)
      count('session_logs', 'cap')
    end
  end
  h.deadline = (math.floor(max(bound, d or bound) / WINDOW) + 1) * WINDOW - 1
  index('ses', sid, h.deadline)
  return h.deadline
end

-- The session's keys (its log, and its spill if it has one) last past its deadline.
local function expire_session(sid, h, fresh)
  expire(k('log:' .. sid), h.deadline, fresh)
  if h.spilled > 0 then expire(k('ses:' .. sid), h.deadline, fresh) end
end

local function is_implicit(entry) return string.byte(entry, 1) == 32 end

-- The run named by the nearest entry before element i of the log (one that names it; element 1 does).
local function run_before(key, i)
  while i > 1 do
    local from = max(i - 16, 1)
    local entries = call('LRANGE', key, ms(from), ms(i - 1))
    for j = #entries, 1, -1 do
      if not is_implicit(entries[j]) then return string.match(entries[j], '^%S+') end
    end
    i = from
  end
  error('a log whose first entry does not name its run: ' .. key)
end

-- The run of the log's last entry, whose header names `tail`: the same, unless a sweep has pushed entries since.
-- (An entry that leaves its run out was pushed by a write, which set the tail.)
local function last_run(key, tail)
  local last = call('LINDEX', key, '-1')
  if is_implicit(last) then return tail end
  return string.match(last, '^%S+')
end

-- Appends entries to the session's log, creating it if need be: bodies[i] (" seq kind data") of run runs[i].
-- Returns the log's base and the last entry's number. named (a sweep's completions, whose ids nothing answers):
-- every entry names its run, so the header stays as it was and the push is one RPUSHX, unless the log must be
-- created or trimmed (reading the header and rewriting it cost a sweep a quarter of its finalization); returns nothing.
local function push_log(sid, bound, runs, bodies, named)
  local key = k('log:' .. sid)
  local h, n, entries, tail = nil, nil, {}, nil
  if named then
    for i = 1, #bodies do entries[i] = runs[i] .. bodies[i] end
    n = call('RPUSHX', key, unpack(entries)) - 1
    if n >= 0 and n <= P.log_len then return end
    h, tail = n >= 0 and head_of(key), runs[#runs]
  else
    h = head_of(key)
    tail = h and h.tail
    if tail and runs[1] == tail then tail = last_run(key, tail) end
    for i = 1, #bodies do
      entries[i] = (runs[i] == tail and '' or runs[i]) .. bodies[i]
      tail = runs[i]
    end
    if h then n = call('RPUSH', key, unpack(entries)) - 1 end
  end
  if not h then
    -- a log removed while its runs were not (its cap): created again, listing none of them
    h, n = { base = ms(NOW), trimmed = 0, spilled = 0, tail = tail, runs = '' }, #entries
    touch_session(sid, bound, h)
    call('RPUSH', key, header_of(h), unpack(entries))
    HEADS[key] = h
    expire_session(sid, h, true)
  end
  local over = n - P.log_len
  if over > 0 then
    -- the oldest entries go; the header moves up to stay element 0, and the new first entry names its run
    local head = call('LINDEX', key, ms(over + 1))
    if is_implicit(head) then call('LSET', key, ms(over + 1), run_before(key, over + 1) .. head) end
    h.trimmed, h.tail, n = h.trimmed + over, tail, n - over
    call('LSET', key, ms(over), header_of(h))
    call('LTRIM', key, ms(over), '-1')
  elseif h.tail ~= tail then
    h.tail = tail
    call('LSET', key, '0', header_of(h))
  end
  return h.base, h.trimmed + n
end

-- A new run joins its session: listed in its log's header, or in its spill once the header lists SESSION_RUNS.
-- The session's first run creates its log and registers it.
local function join_session(sid, id, bound)
  local key = k('log:' .. sid)
  local h = head_of(key)
  if not h then
    h = { base = ms(NOW), trimmed = 0, spilled = 0, tail = '', runs = id }
    touch_session(sid, bound, h)
    call('RPUSH', key, header_of(h))
    HEADS[key] = h
    expire_session(sid, h, true)
    return
  end
  local listed = h.runs == '' and 0 or select(2, string.gsub(h.runs, ' ', '')) + 1
  local spills = listed >= SESSION_RUNS
  if spills then
    call('ZADD', k('ses:' .. sid), ms(NOW), id)
    h.spilled = h.spilled + 1
  else
    h.runs = listed == 0 and id or h.runs .. ' ' .. id
  end
  local moved = touch_session(sid, bound, h)
  call('LSET', key, '0', header_of(h))
  if moved then
    expire_session(sid, h)
  elseif spills and h.spilled == 1 then
    expire(k('ses:' .. sid), h.deadline, true)
  end
end

-- The session's runs, oldest first (ids begin with their creation time), at most `most` (nil: all).
local function session_runs(sid, most)
  local h = head_of(k('log:' .. sid))
  if not h then return {} end
  local ids = {}
  for id in string.gmatch(h.runs, '%S+') do ids[#ids + 1] = id end
  if h.spilled > 0 then
    for _, id in ipairs(call('ZRANGE', k('ses:' .. sid), '0', ms(most and most - 1 or -1))) do ids[#ids + 1] = id end
  end
  table.sort(ids)
  if most and #ids > most then return { unpack(ids, 1, most) } end
  return ids
end

-- Appends an entry of run `id` to its session's log. While entries are collected (LOGS: a sweep batch, a run's
-- events) they are appended together, one RPUSH per session (push_logs), and append returns the session's
-- collection and the entry's place in it (entry_id, once pushed).
local LOGS
local function append(sid, bound, id, seq, kind, data)
  local body = ' ' .. seq .. ' ' .. (LOG_KINDS[kind] or kind) .. ' ' .. data
  if not LOGS then return push_log(sid, bound, { id }, { body }) end
  local log = LOGS[sid]
  if not log then
    log = { bound = bound, runs = {}, bodies = {} }
    LOGS[sid] = log
  end
  log.bound = max(log.bound, bound)
  log.runs[#log.runs + 1], log.bodies[#log.bodies + 1] = id, body
  return log, #log.bodies
end

-- Appends the entries collected, one call per session; each collection learns its log's base and the number of
-- its last entry (not a sweep's: named, push_log).
local function push_logs(named)
  local logs = LOGS
  LOGS = nil
  for sid, log in pairs(logs) do log.base, log.last = push_log(sid, log.bound, log.runs, log.bodies, named) end
end

-- The id ("base-number") of the entry at `place` in a collection pushed.
local function entry_id(log, place) return log.base .. '-' .. ms(log.last - #log.bodies + place) end

-- Removing a run removes everything that belongs to it (the cascade) and leaves a tombstone, so a late
-- event answers "gone" rather than "unknown". The session's log and run list go with its last run.
-- At the cap the tombstones due soonest go.
local function cap_tombstones()
  count('tombstones', 'cap', pop('gone', size('gone') - P.cap_tombstones))
end

-- Runs leave their session's run list; the session's log goes with its last run.
local function leave_session(sid, ids)
  local key = k('log:' .. sid)
  local h = head_of(key)
  -- no log: a session removed (its cap) while its runs were not; nothing lists them
  if not h then return end
  local leaving = {}
  for _, id in ipairs(ids) do leaving[id] = true end
  local kept = {}
  for id in string.gmatch(h.runs, '%S+') do
    if leaving[id] then leaving[id] = nil else kept[#kept + 1] = id end
  end
  if h.spilled > 0 and next(leaving) then
    local spill, rest = k('ses:' .. sid), {}
    for id in pairs(leaving) do rest[#rest + 1] = id end
    forget(spill)
    call('ZREM', spill, unpack(rest))
    h.spilled = call('ZCARD', spill)
  end
  if #kept == 0 and h.spilled == 0 then
    HEADS[key] = nil
    del(key)
    -- (a session with a log is in idx:ses: deferred in a batch, bulk_end)
    drop('ses', sid, h.deadline)
    count('session_logs', 'cascade')
    return
  end
  h.runs = table.concat(kept, ' ')
  call('LSET', key, '0', header_of(h))
end

-- done_at: the run's archive deadline (its idx:done entry's score).
local function remove_run(id, reason, at, done_at)
  local f = run_of(id) or {}
  run_remove(id)
  -- (a run without a status is a record already gone: every index is checked for it)
  if not f[R.status] or is_live(f[R.status]) then
    drop('live', id)
    drop('perr', id)
  end
  drop('done', id, done_at)
  count('runs', reason)
  if (not f[R.status] or f[R.rcp]) and unindex('rcp', id) == 1 then
    del(k('rcp:' .. id))
    count('tool_recipients', 'cascade')
  end
  if (not f[R.status] or f[R.status] == STATUS.aborted) and unindex('abrt', id) == 1 then count('aborted_runs', 'cascade') end
  if f[R.dedupe] and unindex('ddp', f[R.dedupe]) == 1 then
    del(k('ddp:' .. f[R.dedupe]))
    count('dedupe_keys', 'cascade')
  end
  if f[R.tenant] then
    local sid = f[R.tenant] .. '/' .. f[R.session]
    if BULK then
      -- a batch leaves each session once, with all of its runs the batch removed
      local ids = BULK_SESSIONS[sid]
      if not ids then
        ids = {}
        BULK_SESSIONS[sid] = ids
      end
      ids[#ids + 1] = id
    else
      leave_session(sid, { id })
    end
  end
  if at + P.tombstone <= NOW then
    -- its whole retention has passed already (a late sweep): the tombstone would be swept as it was written
    count('tombstones', 'ttl')
  else
    index('gone', id, at + P.tombstone)
    if not BULK then cap_tombstones() end -- a sweep batch does it once, after the batch
  end
end

-- A sweep batch (sweep.lua's each_due): changes collected while it runs, applied when it ends.
local function bulk_begin()
  BULK, BULK_SESSIONS, LOGS, BULK_DEL, BULK_RUNS = {}, {}, {}, {}, {}
end

local function bulk_end()
  local sessions, keys, runs = BULK_SESSIONS, BULK_DEL, BULK_RUNS
  flush_indexes()
  BULK, BULK_SESSIONS, BULK_DEL, BULK_RUNS = nil, nil, nil, nil
  for i = 1, #runs, 1000 do call('HDEL', RUNS, unpack(runs, i, min(i + 999, #runs))) end
  del_all(keys)
  push_logs(true)
  -- sessions leave in a batch of their own (their logs' headers are read after the appends): their idx:ses
  -- entries go in one call per window, their logs in one DEL
  if next(sessions) then
    BULK, BULK_DEL = {}, {}
    for sid, ids in pairs(sessions) do leave_session(sid, ids) end
    flush_indexes()
    local logs = BULK_DEL
    BULK, BULK_DEL = nil, nil
    del_all(logs)
  end
  -- the records the batch changed go with the rest of its changes, not only when the call replies
  save_records()
end

-- A dedupe key and the run's pointer to it go together.
local function remove_dedupe(key, reason)
  local owner = call('GET', k('ddp:' .. key))
  forget(k('ddp:' .. key))
  call('DEL', k('ddp:' .. key))
  unindex('ddp', key)
  if owner and run_of(owner) then run_change(owner, { [R.dedupe] = false }) end
  count('dedupe_keys', reason)
end

-- The one way a run ends: live -> terminal, exactly once. The completion is announced to the requester
-- session in the same step, so a sweep racing a late `end` can never announce twice. reason nil = the
-- context lease ran out: 'run-timeout' when that was the run's own timeout, else 'idle'.
-- f: the run's record (run_of), if the caller has read it.

-- Runs that became final in this script: reply announces them to waiters in one message.
local ENDED

local function finalize(id, status, reason, at, err, f)
  f = f or run_of(id)
  if not f or not is_live(f[R.status]) then return false end
  local timeout_at = time_of(f, R.timeout_at)
  reason = reason or (timeout_at <= at and 'run-timeout' or 'idle')
  local short = f[R.mode] == CODE[R.mode].session or f[R.cleanup] == CODE[R.cleanup].delete
  local archive_at = at + (short and P.session_archive or P.run_archive)
  err = err or (status == 'error' and f[R.error]) or nil
  -- The run context ends with the run: a final run's lease fields ('active', its idx:live entry) mean nothing
  -- and are not read (RunRegistry.Parse); a pending error's fields, which would, go.
  -- (the record changed in place, not through run_change: no table of changes per run)
  local pending_error, run = f[R.perr_at], to_change(f)
  run[R.status], run[R.ended], run[R.reason] = coded(R.status, status), stored_time(f, at), coded(R.reason, reason)
  run[R.error], run[R.perr_at], run[R.perr_first] = err, nil, nil
  run_put(id, run)
  drop('live', id)
  if pending_error then drop('perr', id) end
  -- archive_at is within the run's bound, which the run's TTL has covered since spawn
  index('done', id, archive_at)
  -- tool-event recipients, if any, are kept only a short while once the run is final
  if f[R.rcp] then reindex('rcp', id, at + P.rcp_final, 'LT') end
  append(f[R.tenant] .. '/' .. f[R.session], run_bound(timeout_at), id, f[R.seq], 'completion',
    (CODE_TEXT[R.status][status] or status) .. ' ' .. (CODE_TEXT[R.reason][reason] or reason) .. ' ' .. (err or ''))
  ENDED[#ENDED + 1] = id
  return true
end

-- A live run whose earliest deadline has passed is finalized at that deadline, whoever notices first: the
-- sweeper, or an event arriving before it (lazy expiry, as Redis does on access). A pending error wins a
-- tie with the lease. Returns true if the run was finalized. lease: its idx:live score, if the caller has it.
local function finalize_if_due(id, now, lease)
  local f = run_of(id)
  if not f or not is_live(f[R.status]) then return false end
  lease = lease or deadline_in('live', id)
  local perr = f[R.perr_at] and deadline_in('perr', id)
  if perr and perr <= now and (not lease or perr <= lease) then
    if not finalize(id, 'error', 'error', perr, nil, f) then return false end
    count('pending_errors', 'finalized')
    count('run_contexts', 'finalized')
    return true
  end
  if lease and lease <= now then
    if not finalize(id, 'timeout', nil, lease, nil, f) then return false end
    count('run_contexts', 'finalized')
    return true
  end
  return false
end

-- Caps: at the cap the entries due soonest (the oldest finished) go first. Admission control refuses a spawn
-- only when live runs alone fill the registry; a live run already past its deadline is not counted as live.
local function make_room_for_run()
  local live = size('live')
  if live >= P.cap_runs then
    local overdue = due('live', 1)[1]
    if not overdue or not finalize_if_due(overdue, NOW) then return false end
    live = live - 1
  end
  while live + size('done') >= P.cap_runs do
    local id, done_at = first('done')
    if not id then break end
    remove_run(id, 'cap', NOW, done_at)
  end
  return true
end

-- Every script ends here, and every reply has one shape (RegistryScripts.cs reads it as a ScriptReply):
-- { outcome, { values... }, { "registry:reason", n, ... } }, as one MessagePack string: cmsgpack packs it in one C
-- call, where Redis turned a table reply into RESP field by field, each nested table costing ~4,000 instructions (a
-- fifth of a call that does little). The eviction counts of the call also go to the shard's counters (read by GET
-- /v1/registry); the runs that ended are announced to their waiters.
local function reply(outcome, values)
  for name in pairs(MOVES) do apply_moves(name) end
  save_records()
  save_hints()
  local evictions = {}
  if next(COUNTS) then
    local stats = k('stats')
    for registry, of in pairs(COUNTS) do
      for reason, n in pairs(of) do
        local f = registry .. ':' .. reason
        call('HINCRBY', stats, f, ms(n))
        evictions[#evictions + 1] = f
        evictions[#evictions + 1] = n
      end
    end
    expire(stats, NOW + P.run_archive)
  end
  -- waiters (RunEndSignals) listen on the shard's channel: one message however many runs ended. Sharded pub/sub:
  -- the channel is in the shard's slot, so on a Redis Cluster the message stays on that slot's master and its
  -- replicas (PUBLISH is broadcast to every node of a cluster).
  if #ENDED > 0 then call('SPUBLISH', PREFIX .. 'ended', table.concat(ENDED, ' ')) end
  return cmsgpack.pack({ outcome, values or {}, evictions })
end

-- Outcome for a run id that has no record: "gone" if a tombstone remembers it.
local function missing(id)
  if deadline_in('gone', id) then return 'gone' end
  return 'unknown'
end

-- The operations a batch applies (batch.lua), one file each (spawn.lua, event.lua, ...): OPS.name(A) takes the
-- operation's arguments and returns its outcome and values, as a script's reply would.
local OPS = {}

-- Lazy expiry for reads: a live run that may be past a deadline (its lease as last written, or a pending
-- error) is finalized at that deadline before it is answered. f: the run's fields by name, with 'active'
-- and 'perr_first'. Returns true if it was finalized.
local function expire_if_due(id, f)
  if not is_live(f[R.status]) then return false end
  if not f[R.perr_first] and lease_of(time_of(f, R.timeout_at), time_of(f, R.active)) > NOW then return false end
  return finalize_if_due(id, NOW)
end

-- A run as a read answers it, after lazy expiry: its record encoded as stored (RunRecordLayout.Read decodes it),
-- '' if there is no run; and its record (empty if none). may_expire(f): whether this reader may finalize the run
-- (GET of another tenant's run must not).
local function read_answer(id, may_expire)
  local f = run_of(id)
  if not f then return '', {} end
  if (not may_expire or may_expire(f)) and expire_if_due(id, f) then f = run_of(id) end
  return encode(f), f
end

-- Retirement: the due entries of this shard go, at most `budget` of them, each at its own deadline (event time:
-- a run is finalized at its lease or pending error's deadline, archived relative to that, whenever it is
-- noticed). The sweep (sweep.lua) and every write (spawn, event, abort, recipients; P.retire) share it, as
-- Redis expires keys both lazily and actively: with no sweeper at all, traffic on a shard keeps it within its
-- retention. Both look only at the indexes their hints say are due: one GET when nothing is (an idle sweep
-- too). Returns the budget left.
local function retire(budget)
  local h = hints()
  -- nothing due, as for most writes: no phase to set up
  if SOONEST > NOW then return budget end
  local function is_due(name) return h[name] <= NOW end

  -- Each phase is one batch (BULK): the changes it defers are applied together when it ends. When it left
  -- budget over, it took everything due, so its index's first deadline is the hint.
  local function settle(name)
    if budget > 0 then set_hint(name, select(2, first(name)) or NONE) end
  end
  local function each_due(name, fn, of_runs)
    if budget <= 0 or not is_due(name) then return false end
    local items = due(name, budget)
    if of_runs then read_runs(items) end
    bulk_begin()
    for i = 1, #items, 2 do
      fn(items[i], num(items[i + 1]))
      budget = budget - 1
    end
    bulk_end()
    settle(name)
    return #items > 0
  end
  -- Entries that own nothing else (tombstones, aborted-run marks) leave in one call per window.
  local function drop_due(name, registry)
    if budget <= 0 or not is_due(name) then return end
    local n = remove_due(name, budget)
    count(registry, 'ttl', n)
    budget = budget - n
    settle(name)
  end

  -- A live run is finalized at its earliest passed deadline: a pending error's grace or its context lease.
  -- Every entry a phase takes leaves that index: one not finalized belongs to a run no longer live (stale).
  each_due('perr', function(id)
    if not finalize_if_due(id, NOW) then
      drop('perr', id)
      count('pending_errors', 'ttl')
    end
  end, true)
  each_due('live', function(id, lease)
    if not finalize_if_due(id, NOW, lease) then
      drop('live', id)
      count('run_contexts', 'ttl')
    end
  end, true)

  -- (tombstones beyond their cap go once, after the batch)
  if each_due('done', function(id, d) remove_run(id, 'ttl', d, d) end, true) then cap_tombstones() end

  drop_due('abrt', 'aborted_runs')

  each_due('rcp', function(id)
    forget(k('rcp:' .. id))
    call('DEL', k('rcp:' .. id))
    unindex('rcp', id)
    count('tool_recipients', 'ttl')
  end)

  each_due('ddp', function(key) remove_dedupe(key, 'ttl') end)

  -- a session's log normally goes with its last run; this is the safety net's deadline
  each_due('ses', function(sid, deadline)
    remove_session(sid, deadline)
    count('session_logs', 'ttl')
  end)

  drop_due('gone', 'tombstones')
  return budget
end

-- A write's retirement (P.retire entries at most; 0: the sweeper alone), before its own change.
local function retire_on_write()
  if P.retire > 0 then retire(P.retire) end
end

-- Every call starts here: its shard, its time and the policy, and none of the last call's state.
local function begin(keys, args)
  if not call then call, format, min, max, tonumber, unpack, pairs, ipairs, type, select, next, pcall, error = globals() end
  PREFIX, NOW = keys[1], num(args[1])
  if args[2] ~= P_PACKED then
    P, P_PACKED = {}, args[2]
    local values = cmsgpack.unpack(P_PACKED)
    for i = 1, #POLICY_FIELDS do P[POLICY_FIELDS[i]] = values[i] end
  end
  COUNTS, EXPIRES, RECORDS, WRITTEN, MOVES, HEADS, ENDED = {}, {}, {}, {}, {}, {}, {}
  HINTS, HINTS_CHANGED, READ_ONLY, SOONEST = nil, nil, false, nil
  BULK, BULK_SESSIONS, LOGS, BULK_DEL, BULK_RUNS = nil, nil, nil, nil, nil
  RUNS = k(RUN_KEY)
end

-- The library's functions (batch.lua, sweep.lua, snapshot.lua): CALLS.name(args), after begin.
local CALLS = {}
