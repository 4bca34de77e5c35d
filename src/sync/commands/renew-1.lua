--[[
  Extends a delivery lease, only while it is still ours.

  Input:
    KEYS[1] lease string
    ARGV[1] lease token
    ARGV[2] lease, ms

  Output:
    1 extended, 0 the lease is another's or gone
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
