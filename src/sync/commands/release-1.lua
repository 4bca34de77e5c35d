--[[
  Gives a delivery lease back, only if it is still ours.

  Input:
    KEYS[1] lease string
    ARGV[1] lease token

  Output:
    1 released, 0 it was another's or gone
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
