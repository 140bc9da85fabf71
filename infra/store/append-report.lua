-- Appends reports, each exactly once. Dedupe and XADD happen in one atomic step, so a redelivered message, or a
-- command ioredis re-sends after a reconnect, returns the first entry's id instead of adding a second.
-- Called with a batch of one tenant's reports (one slot on a cluster):
--   KEYS: 1 the tenant's stream, 2 its trimmed-up-to marker, 3 its open asks; then per report 3: the report-seen
--         marker, the ask index key (a placeholder when not an ask report), the command's progress
--   ARGV: 1 stream max length, 2 seen-marker ttl seconds, 3 now (ms); then per report 8: report json, workflow_id,
--         correlation_id, seq, '1' when it ends its command, ts, the bridge's trace context, and '' or a JSON object
--         of what it does to its ask (op, askId, expiresAt, expiresMs, digest, ttlSeconds, decision, agent,
--         decidedBy, counted)
-- Each report's writes are its own: one that fails (a key of the wrong type) is answered with {'', 2, the error} and
-- the others are stored, so a report Redis keeps refusing stops no other.
-- Returns per report {stream id, 1 when added (0: seen before), when the ask was created (resolve/expire of an ask; else '')}
--
-- One report, as `append` sees it:
--   K: 1 stream, 2 report-seen marker, 3 trimmed-up-to marker, 4 ask index key,
--      5 the command's progress (hash: highest stored seq, whether a terminal report is stored),
--      6 the tenant's open asks (sorted set: ask id scored by when it expires, in ms)
--   A: 1 report json, 2 max length, 3 seen-marker ttl seconds, 4 ask op (create|resolve|expire|close|''),
--      5 workflow_id, 6 correlation_id, 7 expires_at, 8 action_digest, 9 ask ttl seconds, 10 decision, 11 agent,
--      12 who settled the ask, 13 the decisions that counted as `who=decision` lines, 14 seq,
--      15 '1' when the report ends its command, 16 ask id ('' when not an ask report), 17 the report's ts,
--      18 when the ask expires (ms; create only), 19 now (ms), 20 the bridge's trace context ('' when not traced)
local function append(K, A)
  local seen = redis.call('GET', K[2])
  if seen then return {seen, 0} end

  -- The report stays the entry's first field: readers that know nothing of tracing read only that.
  local id
  if A[20] ~= '' then
    id = redis.call('XADD', K[1], '*', 'report', A[1], 'trace', A[20])
  else
    id = redis.call('XADD', K[1], '*', 'report', A[1])
  end
  redis.call('SET', K[2], id, 'EX', tonumber(A[3]))

  -- What NEXUS itself knows of a command without reading its stream: reports from outside its workflow (a stalled
  -- or closed command) take the highest seq so far, and none is written after the command's end.
  local seq = tonumber(A[14])
  local highest = tonumber(redis.call('HGET', K[5], 'seq') or '-1')
  if seq > highest then redis.call('HSET', K[5], 'seq', seq) end
  if A[15] == '1' then redis.call('HSET', K[5], 'terminal', '1') end
  redis.call('EXPIRE', K[5], tonumber(A[3]))

  -- Exact trimming, in batches, so we know the newest id that was removed and can tell a client about a gap.
  local maxlen = tonumber(A[2])
  local slack = math.max(1, math.floor(maxlen / 100))
  local len = redis.call('XLEN', K[1])
  if len > maxlen + slack then
    local old = redis.call('XRANGE', K[1], '-', '+', 'COUNT', len - maxlen)
    local newest = old[#old][1]
    redis.call('XTRIM', K[1], 'MAXLEN', maxlen)
    redis.call('SET', K[3], newest)
  end

  -- An ask belongs to the workflow that created it: another workflow's report can neither take its id over nor
  -- settle it (a report of a workflow that was never this ask's is stored, and the index is left alone).
  local op = A[4]
  local owner = redis.call('HGET', K[4], 'workflow_id')
  if owner and owner ~= A[5] then op = '' end
  -- The command's open ask is kept with its progress, so whoever ends the command from outside can close the ask too.
  if op == 'create' then
    redis.call('HSET', K[4], 'workflow_id', A[5], 'correlation_id', A[6], 'status', 'pending',
      'expires_at', A[7], 'action_digest', A[8], 'agent', A[11], 'asked_at', A[17],
      'report', A[1], 'stream_id', id)
    redis.call('EXPIRE', K[4], tonumber(A[9]))
    redis.call('HSET', K[5], 'ask', A[16], 'open:' .. A[16], '1')
    -- An inbox opened on a long stream finds every open ask here, even one asked long before the page it loads.
    -- Asks past their expiry leave with the next create, so the set never outgrows the asks that can still be open.
    redis.call('ZADD', K[6], tonumber(A[18]), A[16])
    redis.call('ZREMRANGEBYSCORE', K[6], '-inf', '(' .. A[19])
  elseif op ~= '' then
    if redis.call('HGET', K[5], 'ask') == A[16] then redis.call('HDEL', K[5], 'ask') end
    -- Every open ask, not only the latest: a plan's asks are open together.
    redis.call('HDEL', K[5], 'open:' .. A[16])
    -- Resolved, expired or closed: no decision can count any more (a foreign workflow's report never gets here).
    redis.call('ZREM', K[6], A[16])
  end
  if op == 'resolve' then
    if owner then
      redis.call('HSET', K[4], 'status', 'resolved', 'decision', A[10], 'decided_by', A[12])
      -- Who counted, so an approver retrying an interrupted decide learns that theirs is the one that counts.
      for who, verdict in string.gmatch(A[13], '([^=\n]+)=([^\n]+)') do
        redis.call('HSET', K[4], 'counted:' .. who, verdict)
      end
    end
  elseif op == 'expire' then
    if owner then
      redis.call('HSET', K[4], 'status', 'expired')
    end
  elseif op == 'close' then
    -- The command ended with its ask still open (stopped in Temporal, outside NEXUS): no decision can count now.
    local status = redis.call('HGET', K[4], 'status')
    if owner and (status == 'pending' or status == 'deciding') then
      redis.call('HSET', K[4], 'status', 'closed')
    end
  end
  -- How long the ask waited, for the decision-latency metric (asks created before asked_at was kept: '').
  local asked = ''
  if owner and (op == 'resolve' or op == 'expire') then asked = redis.call('HGET', K[4], 'asked_at') or '' end
  return {id, 1, asked}
end

local count = (#KEYS - 3) / 3
local replies = {}
for i = 0, count - 1 do
  local k, a = 3 + i * 3, 3 + i * 8
  local ok, reply = pcall(function()
    local K = {KEYS[1], KEYS[k + 1], KEYS[2], KEYS[k + 2], KEYS[k + 3], KEYS[3]}
    local ask = {}
    if ARGV[a + 8] ~= '' then ask = cjson.decode(ARGV[a + 8]) end
    local A = {ARGV[a + 1], ARGV[1], ARGV[2], ask.op or '', ARGV[a + 2], ARGV[a + 3], ask.expiresAt or '',
      ask.digest or '', ask.ttlSeconds or 0, ask.decision or '', ask.agent or '', ask.decidedBy or '',
      ask.counted or '', ARGV[a + 4], ARGV[a + 5], ask.askId or '', ARGV[a + 6], ask.expiresMs or 0, ARGV[3],
      ARGV[a + 7]}
    return append(K, A)
  end)
  if ok then
    replies[i + 1] = reply
  else
    replies[i + 1] = {'', 2, type(reply) == 'table' and reply.err or tostring(reply)}
  end
end
return replies
