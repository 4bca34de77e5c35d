--[[
  Records what the portal acknowledged in a delivery round and, unless only recording, how the round
  ended. Called with mode `record` right after each acknowledged progress call (so a crash re-sends only
  the calls in flight), and once more at the end of the round.

  Input:
    KEYS[1]  dossier hash
    KEYS[2]  data string
    KEYS[3]  pending steps hash
    KEYS[4]  pending steps order
    KEYS[5]  acknowledged steps set
    KEYS[6]  lease string
    KEYS[7]  lag sorted set
    KEYS[8]  dead-letter index    <prefix>:sync:dl
    KEYS[9]  dead-letter hash     <prefix>:sync:dlh
    KEYS[10] dead-letter sequence <prefix>:sync:dlseq
    KEYS[11] outbox stream

    ARGV[1]  MaHoSo
    ARGV[2]  lease token
    ARGV[3]  mode:
               record     acknowledgements only; the round goes on
               commit     finish if nothing is left (1), else 0: more work arrived, keep the lease
               retry      a retryable failure: count an attempt, release, wait for the next
               hold       the gateway held the call back (open circuit): release without counting
               yield      nothing went wrong (full bulkhead): release, try again shortly
               rejected   the portal refused a payload: dead-letter it and go on
               exhausted  the last attempt failed: dead-letter and stop
    ARGV[4]  revision whose data the portal acknowledged in this call, or ''
    ARGV[5]  now, ms since the epoch
    ARGV[6]  now, ISO-8601 (deliveredAt)
    ARGV[7]  when the round read its snapshot, ms (the oldest a still-undelivered revision can be)
    ARGV[8]  '1' when an earlier call of this round was acknowledged (already recorded)
    ARGV[9]  last error JSON, or ''
    ARGV[10] revision whose DongBoHoSoMC failed in this round, or ''
    ARGV[11] dead-letter id, or ''
    ARGV[12] dead-letter JSON, or ''
    ARGV[13] detail JSON of the outbox's dead_letter event, or ''
    ARGV[14] retention of a finished dossier's state, seconds (0: forever)
    ARGV[15] '1' to append outbox events
    ARGV[16] n, then n acknowledged step keys, then m, then m step keys removed into the letter

  Output:
    1 the dossier has nothing left to deliver (or was given up), else 0

  Attempts (`att`): a round that got anything acknowledged sets it to 1, so the backoff of what is left
  starts again from the base; a failed round that got nothing acknowledged adds 1.
]]
--- @include "includes/outbox"
--- @include "includes/pending"

local m, mode, now, outboxOn = ARGV[1], ARGV[3], ARGV[5], ARGV[15]
local progressed = ARGV[8] == '1'

if ARGV[4] ~= '' then
  progressed = true
  local rev = tonumber(ARGV[4])
  if rev > tonumber(redis.call('HGET', KEYS[1], 'del') or '0') then
    redis.call('HSET', KEYS[1], 'del', ARGV[4], 'dat', ARGV[6])
    outboxAppend(KEYS[11], outboxOn, 'delivered', m, ARGV[4], now)
  end
  redis.call('HSET', KEYS[1], 'known', 1)
  redis.call('HDEL', KEYS[1], 'err')
  -- A newer revision still waits: the lag now counts from when this round read its snapshot. Otherwise the
  -- dossier stays in the lag set until its progress is delivered too (the commit removes it), so the
  -- reconciler still finds its work if this process dies first.
  if tonumber(redis.call('HGET', KEYS[1], 'acc') or '0') > rev then
    redis.call('ZADD', KEYS[7], 'XX', ARGV[7], m)
  end
end

local n = tonumber(ARGV[16])
local newlyAcked, ackedTop = 0, 0
for i = 17, 16 + n do
  local step = ARGV[i]
  if redis.call('SADD', KEYS[5], step) == 1 then
    newlyAcked = newlyAcked + 1
    local value = redis.call('HGET', KEYS[3], step)
    if value then ackedTop = math.max(ackedTop, pendingRevision(value)) end
  end
  pendingRemove(KEYS[3], KEYS[4], step)
end
if n > 0 then progressed = true end
if newlyAcked > 0 then
  if ackedTop == 0 then ackedTop = tonumber(redis.call('HGET', KEYS[1], 'del') or '0') end
  outboxAppend(KEYS[11], outboxOn, 'progress_delivered', m, ackedTop, now, {'d', '{"items":' .. newlyAcked .. '}'})
end
local at = 17 + n
for i = at + 1, at + tonumber(ARGV[at]) do pendingRemove(KEYS[3], KEYS[4], ARGV[i]) end

if mode == 'record' then return 0 end

local function releaseLease()
  if redis.call('GET', KEYS[6]) == ARGV[2] then redis.call('DEL', KEYS[6]) end
end
local function countAttempt()
  if progressed then redis.call('HSET', KEYS[1], 'att', 1) else redis.call('HINCRBY', KEYS[1], 'att', 1) end
end

if mode == 'yield' then
  releaseLease()
  return 0
end
if mode == 'hold' then
  redis.call('HSET', KEYS[1], 'st', 'retrying', 'err', ARGV[9])
  if progressed then redis.call('HSET', KEYS[1], 'att', 1) end
  releaseLease()
  return 0
end
if mode == 'retry' then
  redis.call('HSET', KEYS[1], 'st', 'retrying', 'err', ARGV[9])
  countAttempt()
  releaseLease()
  return 0
end
if mode == 'rejected' or mode == 'exhausted' then
  local seq = redis.call('INCR', KEYS[10])
  redis.call('HSET', KEYS[9], ARGV[11], ARGV[12])
  redis.call('ZADD', KEYS[8], seq, ARGV[11])
  redis.call('HSET', KEYS[1], 'st', 'dead', 'err', ARGV[9])
  outboxAppend(KEYS[11], outboxOn, 'dead_letter', m, cjson.decode(ARGV[12]).r, now, {'d', ARGV[13]})
  if ARGV[10] ~= '' then
    countAttempt()
    redis.call('HSET', KEYS[1], 'dead', ARGV[10])
    redis.call('ZREM', KEYS[7], m)
  elseif progressed then
    redis.call('HSET', KEYS[1], 'att', 1)
  end
  if mode == 'exhausted' then
    redis.call('ZREM', KEYS[7], m)
    redis.call('HSET', KEYS[1], 'q', 0)
    releaseLease()
    return 1
  end
  return 0
end

-- commit
if progressed then redis.call('HSET', KEYS[1], 'att', 1) end
local h = redis.call('HMGET', KEYS[1], 'acc', 'del', 'dead', 'st')
local acc, del, dead, st = tonumber(h[1] or '0'), tonumber(h[2] or '0'), tonumber(h[3] or '-1'), h[4]
local function more()
  if st == 'retrying' then redis.call('HSET', KEYS[1], 'st', 'pending') end
  return 0
end
if del < acc and dead ~= acc then return more() end
if #redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', del, 'LIMIT', 0, 1) > 0 then return more() end
if st ~= 'dead' then redis.call('HSET', KEYS[1], 'st', 'delivered') end
redis.call('ZREM', KEYS[7], m)
-- The portal holds the latest data: the copy is no longer needed (a dead one is kept for its replay).
if del >= acc then redis.call('DEL', KEYS[2]) end
-- A finished dossier's state is kept for the retention period (to tell stale resends), then forgotten.
local retention = tonumber(ARGV[14])
if retention > 0 and st ~= 'dead' then
  redis.call('EXPIRE', KEYS[1], retention)
  redis.call('EXPIRE', KEYS[5], retention)
end
redis.call('HSET', KEYS[1], 'q', 0)
releaseLease()
return 1
