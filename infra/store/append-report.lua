-- Appends one report exactly once. Dedupe and XADD happen in one atomic step, so a redelivered message, or a
-- command ioredis re-sends after a reconnect, returns the first entry's id instead of adding a second.
-- KEYS: 1 stream, 2 report-seen marker, 3 trimmed-up-to marker, 4 ask index key ('' when not an ask report),
--       5 the command's progress (hash: highest stored seq, whether a terminal report is stored),
--       6 the tenant's open asks (sorted set: ask id scored by when it expires, in ms)
-- ARGV: 1 report json, 2 max length, 3 seen-marker ttl seconds, 4 ask op (create|resolve|expire|''),
--       5 workflow_id, 6 correlation_id, 7 expires_at, 8 action_digest, 9 ask ttl seconds, 10 decision, 11 agent,
--       12 who settled the ask, 13 the decisions that counted as `who=decision` lines, 14 seq,
--       15 '1' when the report ends its command, 16 ask id ('' when not an ask report), 17 the report's ts,
--       18 when the ask expires (ms; create only), 19 now (ms), 20 the bridge's trace context ('' when not traced)
-- Returns {stream id, 1 when added (0: seen before), when the ask was created (resolve/expire of an ask; else '')}
local seen = redis.call('GET', KEYS[2])
if seen then return {seen, 0} end

-- The report stays the entry's first field: readers that know nothing of tracing read only that.
local id
if ARGV[20] ~= '' then
  id = redis.call('XADD', KEYS[1], '*', 'report', ARGV[1], 'trace', ARGV[20])
else
  id = redis.call('XADD', KEYS[1], '*', 'report', ARGV[1])
end
redis.call('SET', KEYS[2], id, 'EX', tonumber(ARGV[3]))

-- What NEXUS itself knows of a command without reading its stream: reports from outside its workflow (a stalled
-- or closed command) take the highest seq so far, and none is written after the command's end.
local seq = tonumber(ARGV[14])
local highest = tonumber(redis.call('HGET', KEYS[5], 'seq') or '-1')
if seq > highest then redis.call('HSET', KEYS[5], 'seq', seq) end
if ARGV[15] == '1' then redis.call('HSET', KEYS[5], 'terminal', '1') end
redis.call('EXPIRE', KEYS[5], tonumber(ARGV[3]))

-- Exact trimming, in batches, so we know the newest id that was removed and can tell a client about a gap.
local maxlen = tonumber(ARGV[2])
local slack = math.max(1, math.floor(maxlen / 100))
local len = redis.call('XLEN', KEYS[1])
if len > maxlen + slack then
  local old = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', len - maxlen)
  local newest = old[#old][1]
  redis.call('XTRIM', KEYS[1], 'MAXLEN', maxlen)
  redis.call('SET', KEYS[3], newest)
end

-- An ask belongs to the workflow that created it: another workflow's report can neither take its id over nor
-- settle it (a report of a workflow that was never this ask's is stored, and the index is left alone).
local op = ARGV[4]
local owner = redis.call('HGET', KEYS[4], 'workflow_id')
if owner and owner ~= ARGV[5] then op = '' end
-- The command's open ask is kept with its progress, so whoever ends the command from outside can close the ask too.
if op == 'create' then
  redis.call('HSET', KEYS[4], 'workflow_id', ARGV[5], 'correlation_id', ARGV[6], 'status', 'pending',
    'expires_at', ARGV[7], 'action_digest', ARGV[8], 'agent', ARGV[11], 'asked_at', ARGV[17],
    'report', ARGV[1], 'stream_id', id)
  redis.call('EXPIRE', KEYS[4], tonumber(ARGV[9]))
  redis.call('HSET', KEYS[5], 'ask', ARGV[16], 'open:' .. ARGV[16], '1')
  -- An inbox opened on a long stream finds every open ask here, even one asked long before the page it loads.
  -- Asks past their expiry leave with the next create, so the set never outgrows the asks that can still be open.
  redis.call('ZADD', KEYS[6], tonumber(ARGV[18]), ARGV[16])
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. ARGV[19])
elseif op ~= '' then
  if redis.call('HGET', KEYS[5], 'ask') == ARGV[16] then redis.call('HDEL', KEYS[5], 'ask') end
  -- Every open ask, not only the latest: a plan's asks are open together.
  redis.call('HDEL', KEYS[5], 'open:' .. ARGV[16])
  -- Resolved, expired or closed: no decision can count any more (a foreign workflow's report never gets here).
  redis.call('ZREM', KEYS[6], ARGV[16])
end
if op == 'resolve' then
  if owner then
    redis.call('HSET', KEYS[4], 'status', 'resolved', 'decision', ARGV[10], 'decided_by', ARGV[12])
    -- Who counted, so an approver retrying an interrupted decide learns that theirs is the one that counts.
    for who, verdict in string.gmatch(ARGV[13], '([^=\n]+)=([^\n]+)') do
      redis.call('HSET', KEYS[4], 'counted:' .. who, verdict)
    end
  end
elseif op == 'expire' then
  if owner then
    redis.call('HSET', KEYS[4], 'status', 'expired')
  end
elseif op == 'close' then
  -- The command ended with its ask still open (stopped in Temporal, outside NEXUS): no decision can count now.
  local status = redis.call('HGET', KEYS[4], 'status')
  if owner and (status == 'pending' or status == 'deciding') then
    redis.call('HSET', KEYS[4], 'status', 'closed')
  end
end
-- How long the ask waited, for the decision-latency metric (asks created before asked_at was kept: '').
local asked = ''
if owner and (op == 'resolve' or op == 'expire') then asked = redis.call('HGET', KEYS[4], 'asked_at') or '' end
return {id, 1, asked}
