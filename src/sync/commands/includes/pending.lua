--[[
  A dossier's pending progress: a hash (step key `ThoiDiemXuLy|TrangThai` -> `revision|item JSON`) and
  a sorted set of the same step keys scored by revision. The hash answers "is this step waiting" and
  "how many wait" in O(1); the sorted set "is any step of revision <= r waiting" in O(log n). Neither
  is ever scanned when a revision is accepted.
]]
local function pendingRemove(hashKey, orderKey, stepKey)
  redis.call('HDEL', hashKey, stepKey)
  redis.call('ZREM', orderKey, stepKey)
end

-- The revision part of a stored pending value `revision|item JSON`.
local function pendingRevision(value)
  return tonumber(string.sub(value, 1, string.find(value, '|', 1, true) - 1))
end
