--[[
  Takes (or renews) the dossier's delivery lease and returns a snapshot to deliver from.

  Input:
    KEYS[1] dossier hash
    KEYS[2] data string
    KEYS[3] pending steps hash
    KEYS[4] lease string          <prefix>:sync:lease:<m>

    ARGV[1] lease token
    ARGV[2] lease, ms

  Output:
    {0, pttl}  another worker holds the lease
    {1, acceptedRevision, deliveredRevision, known, deadRevision, attempts, data, {stepKey, value, ...}}
]]
local holder = redis.call('GET', KEYS[4])
if holder and holder ~= ARGV[1] then return {0, redis.call('PTTL', KEYS[4])} end
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'acc', 'del', 'known', 'dead', 'att')
return {1, h[1] or '0', h[2] or '0', h[3] or '0', h[4] or '', h[5] or '0', redis.call('GET', KEYS[2]) or '', redis.call('HGETALL', KEYS[3])}
