--[[
  Makes sure the dossier has a delivery job: when none exists or is due (q ~= '1'), starts a new job
  generation and marks it; the caller adds the BullMQ job of that generation.
  Returns the new generation, or 0 when a job already exists.
]]
local function claimJob(dossierKey)
  if redis.call('HGET', dossierKey, 'q') == '1' then return 0 end
  local g = redis.call('HINCRBY', dossierKey, 'g', 1)
  redis.call('HSET', dossierKey, 'q', 1)
  return g
end
