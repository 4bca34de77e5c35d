--[[
  Gives a dossier that has undelivered work but no delivery job a fresh job generation. The caller
  found it in the lag set and read its generation; the job key is built from that generation, so the
  script first checks the generation is still the one read (else a job was just claimed: nothing to do).

  Input:
    KEYS[1] dossier hash
    KEYS[2] lease string
    KEYS[3] BullMQ job hash of the generation read  <prefix>:dossier-sync:g<g>-<m>

    ARGV[1] the generation read ('0' when the hash had none)

  Output:
    the new generation to enqueue, or 0 when a job exists, a worker holds the lease, or it is dead
]]
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local h = redis.call('HMGET', KEYS[1], 'q', 'g', 'st')
if (h[2] or '0') ~= ARGV[1] or h[3] == 'dead' then return 0 end
local missing = h[1] ~= '1' or redis.call('EXISTS', KEYS[3]) == 0 or redis.call('HEXISTS', KEYS[3], 'finishedOn') == 1
if not missing then return 0 end
local g = redis.call('HINCRBY', KEYS[1], 'g', 1)
redis.call('HSET', KEYS[1], 'q', 1)
return g
