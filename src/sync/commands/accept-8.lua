--[[
  Accepts a revision of a dossier if it is the highest yet: stores its data, adds its progress to the
  pending steps, marks the dossier as lagging, and claims a delivery job generation when none exists.
  Costs the same whatever already waits: each step is one hash lookup, nothing is scanned.

  Direct delivery: when the caller can deliver at once (ARGV[7] a lease token) and this accept claimed a
  new generation, the script also takes the dossier's lease and answers what begin-4 would, so the
  caller delivers without a queued job; the job of that generation is added only if it has to wait.

  Input:
    KEYS[1] dossier hash          <prefix>:sync:d:<m>
    KEYS[2] data string           <prefix>:sync:data:<m>
    KEYS[3] pending steps hash    <prefix>:sync:ph:<m>
    KEYS[4] pending steps order   <prefix>:sync:pz:<m>
    KEYS[5] acknowledged steps    <prefix>:sync:pa:<m>
    KEYS[6] lag sorted set        <prefix>:sync:lag
    KEYS[7] outbox stream         <prefix>:outbox
    KEYS[8] lease string          <prefix>:sync:lease:<m>

    ARGV[1] MaHoSo
    ARGV[2] revision
    ARGV[3] data, packed or plain (compression.ts)
    ARGV[4] now, ms since the epoch
    ARGV[5] most steps that may wait unacknowledged (SYNC_MAX_PENDING_PROGRESS)
    ARGV[6] '1' to append the `accepted` event to the outbox
    ARGV[7] lease token for a direct delivery, or ''
    ARGV[8] lease, ms
    ARGV[9..] step key, item JSON, step key, item JSON, ...

  Output:
    {'accepted', generation, lagging}  generation > 0: add the delivery job of that generation; '0': one
                                       exists. lagging: dossiers now owed a delivery (decides packing)
    {'accepted', generation, lagging, deliveredRevision, known, deadRevision, attempts, {stepKey, value, ...}}
                                       the lease was taken for ARGV[7]: deliver now (the data is ARGV[3])
    {'duplicate', acceptedRevision}
    {'stale', acceptedRevision}
    {'too_many', stepsThatWouldWait}  nothing written
]]
--- @include "includes/outbox"
--- @include "includes/enqueue"

local acc = tonumber(redis.call('HGET', KEYS[1], 'acc') or '0')
local rev = tonumber(ARGV[2])
if rev == acc then return {'duplicate', tostring(acc)} end
if rev < acc then return {'stale', tostring(acc)} end

-- Steps new to the dossier: neither acknowledged by the portal nor already waiting.
local added = {}
local keep = {}
for i = 9, #ARGV, 2 do
  if redis.call('SISMEMBER', KEYS[5], ARGV[i]) == 0 then
    keep[#keep + 1] = i
    if redis.call('HEXISTS', KEYS[3], ARGV[i]) == 0 then added[#added + 1] = ARGV[i] end
  end
end
local waiting = redis.call('HLEN', KEYS[3]) + #added
if waiting > tonumber(ARGV[5]) then return {'too_many', tostring(waiting)} end

if redis.call('HGET', KEYS[1], 'st') == 'retrying' then
  redis.call('HSET', KEYS[1], 'acc', ARGV[2], 'acat', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'acc', ARGV[2], 'acat', ARGV[4], 'st', 'pending', 'att', 0)
end
redis.call('HDEL', KEYS[1], 'dead')
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[5])
redis.call('SET', KEYS[2], ARGV[3])
for _, i in ipairs(keep) do
  -- The same step sent again before delivery: its latest content wins, and it waits for this revision.
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[2] .. '|' .. ARGV[i + 1])
  redis.call('ZADD', KEYS[4], rev, ARGV[i])
end
redis.call('ZADD', KEYS[6], 'NX', ARGV[4], ARGV[1])

if ARGV[6] == '1' then
  local steps = {}
  for j, k in ipairs(added) do
    local bar = string.find(k, '|', 1, true)
    local status = string.sub(k, bar + 1)
    steps[j] = cjson.encode({string.sub(k, 1, bar - 1), tonumber(status) or status})
  end
  outboxAppend(KEYS[7], '1', 'accepted', ARGV[1], ARGV[2], ARGV[4], {'x', ARGV[3], 'g', '[' .. table.concat(steps, ',') .. ']'})
end

local g = claimJob(KEYS[1])
local lagging = tostring(redis.call('ZCARD', KEYS[6]))
if g > 0 and ARGV[7] ~= '' and redis.call('EXISTS', KEYS[8]) == 0 then
  redis.call('SET', KEYS[8], ARGV[7], 'PX', ARGV[8])
  local h = redis.call('HMGET', KEYS[1], 'del', 'known', 'dead', 'att')
  return {'accepted', tostring(g), lagging, h[1] or '0', h[2] or '0', h[3] or '', h[4] or '0', redis.call('HGETALL', KEYS[3])}
end
return {'accepted', tostring(g), lagging}
