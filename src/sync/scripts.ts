/** Lua shared by the scripts that read or change a dossier's pending progress list. */
const PROGRESS_LUA = `
-- A pending progress element is \`ThoiDiemXuLy|TrangThai|revision|item JSON\`; its key the first two fields.
local function progressKey(v)
  local a = string.find(v, '|', 1, true)
  return string.sub(v, 1, string.find(v, '|', a + 1, true) - 1)
end
local function progressRevision(v)
  local a = string.find(v, '|', 1, true)
  local b = string.find(v, '|', a + 1, true)
  return tonumber(string.sub(v, b + 1, string.find(v, '|', b + 1, true) - 1))
end
`;

/**
 * The Lua scripts that make every state change of a dossier atomic in Redis. A revision is accepted,
 * a delivery settled, a letter replayed each in one step, so a process killed at any moment leaves
 * either the state before or the state after, never half of it.
 *
 * Dossier hash fields: acc (highest accepted revision), del (highest delivered), st (state),
 * att (delivery attempts for the current work: failed rounds, plus the one that delivered), err (last error JSON), dat (deliveredAt ISO),
 * acat (acceptedAt ms), known (portal holds it), dead (revision whose data became a dead letter),
 * q (1 while a delivery job exists or is due), g (job generation).
 * Pending progress is a list (compact in Redis whatever the item size) of `ThoiDiemXuLy|TrangThai|revision|item JSON`.
 */

/** KEYS d, data, progress, progressAcked, lag; ARGV m, revision, data (deflated JSON), nowMs, (key, value)… */
export const ACCEPT = `${PROGRESS_LUA}
local acc = tonumber(redis.call('HGET', KEYS[1], 'acc') or '0')
local rev = tonumber(ARGV[2])
if rev == acc then return {'duplicate', tostring(acc)} end
if rev < acc then return {'stale', redis.call('HGET', KEYS[1], 'acc')} end
local st = redis.call('HGET', KEYS[1], 'st')
if st == 'retrying' then
  redis.call('HSET', KEYS[1], 'acc', ARGV[2], 'acat', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'acc', ARGV[2], 'acat', ARGV[4], 'st', 'pending', 'att', 0)
end
redis.call('HDEL', KEYS[1], 'dead')
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[4])
redis.call('SET', KEYS[2], ARGV[3])
local pending = redis.call('LRANGE', KEYS[3], 0, -1)
for i = 5, #ARGV, 2 do
  if redis.call('SISMEMBER', KEYS[4], ARGV[i]) == 0 then
    local element = ARGV[i] .. '|' .. ARGV[i + 1]
    local at = nil
    for j, v in ipairs(pending) do if progressKey(v) == ARGV[i] then at = j end end
    -- The same step sent again before delivery: its latest content wins.
    if at then redis.call('LSET', KEYS[3], at - 1, element) else redis.call('RPUSH', KEYS[3], element) end
  end
end
redis.call('ZADD', KEYS[5], 'NX', ARGV[4], ARGV[1])
if redis.call('HGET', KEYS[1], 'q') == '1' then return {'accepted', '0'} end
local g = redis.call('HINCRBY', KEYS[1], 'g', 1)
redis.call('HSET', KEYS[1], 'q', 1)
return {'accepted', tostring(g)}
`;

/**
 * Takes (or renews) the dossier's delivery lease and returns a snapshot to deliver from.
 * KEYS d, data, progress, lease; ARGV token, leaseMs.
 * → {0, pttl} when another worker holds the lease, else {1, acc, del, known, dead, att, data, {k, v, …}}.
 */
export const BEGIN = `
local holder = redis.call('GET', KEYS[4])
if holder and holder ~= ARGV[1] then return {0, redis.call('PTTL', KEYS[4])} end
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'acc', 'del', 'known', 'dead', 'att')
return {1, h[1] or '0', h[2] or '0', h[3] or '0', h[4] or '', h[5] or '0', redis.call('GET', KEYS[2]) or '', redis.call('LRANGE', KEYS[3], 0, -1)}
`;

/** KEYS lease; ARGV token, leaseMs. Extends the lease only while it is still ours. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** KEYS lease; ARGV token. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Records what one delivery round achieved, and how it ended.
 * KEYS d, progress, progressAcked, lease, lag, dlIndex, dlHash, dlSeq, data
 * ARGV 1 m, 2 token, 3 ackedRevision|'', 4 nowIso, 5 readAtMs, 6 mode, 7 errorJson|'',
 *      8 failedDossierRevision|'', 9 letterId|'', 10 letterJson|'', 11 retentionSeconds (0: forever),
 *      12 nAcked, acked keys…, nRemoved, removed keys…
 * mode: commit (finish if nothing is left; 1 = finished, 0 = more work arrived), retry (count a failed
 * attempt, release, wait for the next), hold (release and wait without counting: the gateway held the
 * call back), yield (release, nothing went wrong: try again shortly), rejected (dead-letter and go on),
 * exhausted (dead-letter and stop).
 */
export const SETTLE = `${PROGRESS_LUA}
local m, mode = ARGV[1], ARGV[6]
if ARGV[3] ~= '' then
  local rev = tonumber(ARGV[3])
  if rev > tonumber(redis.call('HGET', KEYS[1], 'del') or '0') then
    redis.call('HSET', KEYS[1], 'del', ARGV[3], 'dat', ARGV[4])
  end
  redis.call('HSET', KEYS[1], 'known', 1)
  redis.call('HINCRBY', KEYS[1], 'att', 1)
  redis.call('HDEL', KEYS[1], 'err')
  if tonumber(redis.call('HGET', KEYS[1], 'acc') or '0') <= rev then
    redis.call('ZREM', KEYS[5], m)
  else
    redis.call('ZADD', KEYS[5], 'XX', ARGV[5], m)
  end
end
local n = tonumber(ARGV[12])
local drop = {}
for i = 13, 12 + n do
  drop[ARGV[i]] = true
  redis.call('SADD', KEYS[3], ARGV[i])
end
local at = 13 + n
for i = at + 1, at + tonumber(ARGV[at]) do drop[ARGV[i]] = true end
if next(drop) then
  for _, v in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
    if drop[progressKey(v)] then redis.call('LREM', KEYS[2], 1, v) end
  end
end

local function releaseLease()
  if redis.call('GET', KEYS[4]) == ARGV[2] then redis.call('DEL', KEYS[4]) end
end
local function stopQueue()
  redis.call('HSET', KEYS[1], 'q', 0)
end

if mode == 'yield' then
  releaseLease()
  return 0
end
if mode == 'retry' or mode == 'hold' then
  redis.call('HSET', KEYS[1], 'st', 'retrying', 'err', ARGV[7])
  if mode == 'retry' then redis.call('HINCRBY', KEYS[1], 'att', 1) end
  releaseLease()
  return 0
end
if mode == 'rejected' or mode == 'exhausted' then
  local seq = redis.call('INCR', KEYS[8])
  redis.call('HSET', KEYS[7], ARGV[9], ARGV[10])
  redis.call('ZADD', KEYS[6], seq, ARGV[9])
  redis.call('HSET', KEYS[1], 'st', 'dead', 'err', ARGV[7])
  if ARGV[8] ~= '' then
    redis.call('HINCRBY', KEYS[1], 'att', 1)
    redis.call('HSET', KEYS[1], 'dead', ARGV[8])
    redis.call('ZREM', KEYS[5], m)
  end
  if mode == 'exhausted' then
    redis.call('ZREM', KEYS[5], m)
    stopQueue()
    releaseLease()
    return 1
  end
  return 0
end

local acc = tonumber(redis.call('HGET', KEYS[1], 'acc') or '0')
local del = tonumber(redis.call('HGET', KEYS[1], 'del') or '0')
local dead = tonumber(redis.call('HGET', KEYS[1], 'dead') or '-1')
local st = redis.call('HGET', KEYS[1], 'st')
if del < acc and dead ~= acc then
  if st == 'retrying' then redis.call('HSET', KEYS[1], 'st', 'pending') end
  return 0
end
for _, v in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  if progressRevision(v) <= del then
    if st == 'retrying' then redis.call('HSET', KEYS[1], 'st', 'pending') end
    return 0
  end
end
if st ~= 'dead' then redis.call('HSET', KEYS[1], 'st', 'delivered') end
redis.call('ZREM', KEYS[5], m)
-- The portal holds the latest data: the copy is no longer needed (a dead one is kept for its replay).
if del >= acc then redis.call('DEL', KEYS[9]) end
-- A finished dossier's state is kept for the retention period (to tell stale resends), then forgotten.
local retention = tonumber(ARGV[11])
if retention > 0 and st ~= 'dead' then
  redis.call('EXPIRE', KEYS[1], retention)
  redis.call('EXPIRE', KEYS[3], retention)
end
stopQueue()
releaseLease()
return 1
`;

/**
 * Puts a dead letter back to work. KEYS d, progress, progressAcked, dlIndex, dlHash, lag, replayLog
 * ARGV letterId, nowMs, replayRecordJson. → {-1} unknown id, else {1, generation to enqueue or 0}.
 */
export const REPLAY = `${PROGRESS_LUA}
local raw = redis.call('HGET', KEYS[5], ARGV[1])
if not raw then return {-1, 0} end
local letter = cjson.decode(raw)
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if letter.kind == 'progress' and letter.items then
  local present = {}
  for _, v in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do present[progressKey(v)] = true end
  for _, kv in ipairs(letter.items) do
    if redis.call('SISMEMBER', KEYS[3], kv[1]) == 0 and not present[kv[1]] then redis.call('RPUSH', KEYS[2], kv[2]) end
  end
end
if letter.kind == 'dossier' and redis.call('HGET', KEYS[1], 'dead') == letter.r then
  redis.call('HDEL', KEYS[1], 'dead')
end
if redis.call('HGET', KEYS[1], 'st') == 'dead' then redis.call('HSET', KEYS[1], 'st', 'pending', 'att', 0) end
-- In the lag set until delivered again, which also puts it in the reconciler's view.
redis.call('ZADD', KEYS[6], 'NX', ARGV[2], letter.maHoSo)
redis.call('LPUSH', KEYS[7], ARGV[3])
redis.call('LTRIM', KEYS[7], 0, 9999)
if redis.call('HGET', KEYS[1], 'q') == '1' then return {1, 0} end
local g = redis.call('HINCRBY', KEYS[1], 'g', 1)
redis.call('HSET', KEYS[1], 'q', 1)
return {1, g}
`;

/**
 * Finds dossiers with undelivered work and no delivery job (a process died between accepting and
 * enqueueing, or a job ended abnormally), and gives each a fresh generation to enqueue. Walks the lag
 * set by rank, `limit` members a call, from `offset`; the caller keeps the offset between calls.
 * KEYS lag; ARGV cutoffMs, offset, limit, dossierKeyPrefix, jobKeyPrefix, leaseKeyPrefix
 * → {nextOffset, m, g, …}
 */
export const RECONCILE = `
local page = redis.call('ZRANGE', KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[2]) + tonumber(ARGV[3]) - 1, 'WITHSCORES')
local out = {'0'}
if #page / 2 == tonumber(ARGV[3]) then out[1] = tostring(tonumber(ARGV[2]) + tonumber(ARGV[3])) end
for i = 1, #page, 2 do
  local m, score = page[i], tonumber(page[i + 1])
  if score <= tonumber(ARGV[1]) and redis.call('EXISTS', ARGV[6] .. m) == 0 then
    local d = ARGV[4] .. m
    local h = redis.call('HMGET', d, 'q', 'g', 'st')
    local job = ARGV[5] .. 'g' .. (h[2] or '0') .. '-' .. m
    local missing = h[1] ~= '1' or redis.call('EXISTS', job) == 0 or redis.call('HEXISTS', job, 'finishedOn') == 1
    if missing and h[3] ~= 'dead' then
      local g = redis.call('HINCRBY', d, 'g', 1)
      redis.call('HSET', d, 'q', 1)
      table.insert(out, m)
      table.insert(out, tostring(g))
    end
  end
end
return out
`;
