--[[
  Appends one record of a state change to the outbox stream (docs/outbox.md), in the script that made
  the change, so the change and its record exist together or not at all. Does nothing unless enabled
  (the gateway has a DATABASE_URL; without PostgreSQL nothing would drain the stream).

  outboxAppend(streamKey, enabled, type, maHoSo, revision, atMs, extra)
    enabled  '1' to write
    extra    optional flat list of further field/value pairs, e.g. {'d', detailJson}
]]
local function outboxAppend(streamKey, enabled, eventType, maHoSo, revision, atMs, extra)
  if enabled ~= '1' then return end
  local args = {'XADD', streamKey, '*', 't', eventType, 'm', maHoSo, 'r', tostring(revision), 'at', tostring(atMs)}
  if extra then
    for i = 1, #extra do args[#args + 1] = extra[i] end
  end
  redis.call(unpack(args))
end
