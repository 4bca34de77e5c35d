--[[
  Closes lookups' audit records: each opening (a field of the hash KEYS[1]) becomes one entry of the
  audit stream KEYS[2], at most once whoever closes it (the process that made the lookup, or a sweep
  after that process died), many records in one call.

  ARGV[1]  the stream's approximate MAXLEN
  then, 11 values per record:
    the opening's id;
    the entry's time, ms since the epoch: the entry id is `<ms>-*`, or Redis's own time when the stream
      already holds a later id (a record closed late, another process's clock ahead);
    the values of at, client, officer, dossierCode, source, subject, outcome, status, latencyMs, in
      that order (RedisAuditLog's FIELDS).

  Returns how many entries were written; a record whose opening is gone (closed already, or never
  stored) writes none. Each opening is removed only after its entry is written: when the stream refuses
  one (Redis out of memory), the call fails there, the records before it are written and the rest keep
  their openings for a later try.
]]
local names = { 'at', 'client', 'officer', 'dossierCode', 'source', 'subject', 'outcome', 'status', 'latencyMs' }
local written = 0
for i = 2, #ARGV, 11 do
  local id = ARGV[i]
  if redis.call('HEXISTS', KEYS[1], id) == 1 then
    local fields = {}
    for k = 1, 9 do
      fields[2 * k - 1] = names[k]
      fields[2 * k] = ARGV[i + 1 + k]
    end
    local added = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], ARGV[i + 1] .. '-*', unpack(fields))
    if type(added) == 'table' and added.err then
      if not string.find(string.lower(added.err), 'equal or smaller', 1, true) then
        return redis.error_reply(added.err)
      end
      redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
    end
    redis.call('HDEL', KEYS[1], id)
    written = written + 1
  end
end
return written
