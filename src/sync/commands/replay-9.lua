--[[
  Puts a dead letter back to work: its steps wait again (unless acknowledged or waiting meanwhile), the
  dossier is pending again, and a delivery job generation is claimed when none exists.

  Input:
    KEYS[1] dossier hash
    KEYS[2] pending steps hash
    KEYS[3] pending steps order
    KEYS[4] acknowledged steps set
    KEYS[5] dead-letter index
    KEYS[6] dead-letter hash
    KEYS[7] lag sorted set
    KEYS[8] replay log list       <prefix>:sync:replays
    KEYS[9] outbox stream

    ARGV[1] letter id
    ARGV[2] now, ms since the epoch
    ARGV[3] replay record JSON (for the replay log)
    ARGV[4] '1' to append the `replayed` event to the outbox
    ARGV[5] who replayed it (the client's name)

  Output:
    {-1, 0} no such letter
    {1, generation}  generation > 0: add the delivery job of that generation
]]
--- @include "includes/outbox"
--- @include "includes/pending"
--- @include "includes/enqueue"

local raw = redis.call('HGET', KEYS[6], ARGV[1])
if not raw then return {-1, 0} end
local letter = cjson.decode(raw)
redis.call('HDEL', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
if letter.kind == 'progress' and letter.items then
  for _, kv in ipairs(letter.items) do
    local step, value = kv[1], kv[2]
    -- Letters written before steps were kept in a hash hold `step|revision|item JSON`.
    if string.sub(value, 1, #step + 1) == step .. '|' then value = string.sub(value, #step + 2) end
    if redis.call('SISMEMBER', KEYS[4], step) == 0 and redis.call('HEXISTS', KEYS[2], step) == 0 then
      redis.call('HSET', KEYS[2], step, value)
      redis.call('ZADD', KEYS[3], pendingRevision(value), step)
    end
  end
end
if letter.kind == 'dossier' and redis.call('HGET', KEYS[1], 'dead') == letter.r then
  redis.call('HDEL', KEYS[1], 'dead')
end
if redis.call('HGET', KEYS[1], 'st') == 'dead' then redis.call('HSET', KEYS[1], 'st', 'pending', 'att', 0) end
-- In the lag set until delivered again, which also puts it in the reconciler's view.
redis.call('ZADD', KEYS[7], 'NX', ARGV[2], letter.maHoSo)
redis.call('LPUSH', KEYS[8], ARGV[3])
redis.call('LTRIM', KEYS[8], 0, 9999)
outboxAppend(KEYS[9], ARGV[4], 'replayed', letter.maHoSo, letter.r, ARGV[2], {'d', cjson.encode({letterId = ARGV[1], by = ARGV[5]})})
return {1, claimJob(KEYS[1])}
