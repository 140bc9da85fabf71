-- Claims a pending ask for one decision, atomically, so two racing decisions cannot both be accepted.
-- KEYS: 1 ask index key. ARGV: 1 now (ISO-8601), 2 action digest the approver saw ('' when not given), 3 decision,
--       4 who decides (each approver decides once, so a replayed decision is a 409 even mid-quorum),
--       5 now in ms, 6 how long a claim may stay in flight before it counts as abandoned (ms)
-- Returns {outcome, workflow_id, correlation_id, agent, decision that settled the ask, who settled it, attempt}:
--   ok | not_found | not_pending | expired | digest_mismatch | busy (another decision is in flight: retry shortly)
--   | closed (the command ended without a decision: stopped in Temporal, outside NEXUS)
--   | retry (this approver sent this same decision before and it may not have landed: send it again, Temporal
--     deduplicates it by its update id) | counted (this approver's same decision is one the resolved ask counted)
-- attempt: this approver's delivery attempt, the same for a retry and new after a refusal; it is part of the
-- Temporal update id, so a retry is deduplicated but a decision refused once (say, unverifiable) can be sent anew.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'not_found', '', '', '', '', '', '0'} end
local f = redis.call('HMGET', KEYS[1], 'status', 'expires_at', 'action_digest', 'workflow_id', 'correlation_id', 'agent', 'claimed_at', 'decision', 'decided_by')
local agent = f[6] or ''
local settled, settledBy = f[8] or '', f[9] or ''
local attempt = redis.call('HGET', KEYS[1], 'attempt:' .. ARGV[4]) or '0'
local function answer(outcome) return {outcome, f[4], f[5], agent, settled, settledBy, attempt} end
local status = f[1]
-- A claim whose API process died before releasing it must not lock the ask until it expires.
if status == 'deciding' and tonumber(f[7] or '0') + tonumber(ARGV[6]) < tonumber(ARGV[5]) then status = 'pending' end
-- Their decision counted, even if this API forgot they sent it (it answered 503 and gave the claim back, and the
-- update landed later): a retry of it is answered as accepted.
if status == 'resolved' and ARGV[2] == f[3] and redis.call('HGET', KEYS[1], 'counted:' .. ARGV[4]) == ARGV[3] then
  return answer('counted')
end
if status == 'closed' then return answer('closed') end
local prior = redis.call('HGET', KEYS[1], 'by:' .. ARGV[4])
if prior then
  if prior == ARGV[3] and ARGV[2] == f[3] and status ~= 'resolved' and status ~= 'expired' then
    return answer('retry')
  end
  return answer('not_pending')
end
if status == 'deciding' then return answer('busy') end
if status ~= 'pending' then return answer('not_pending') end
if f[2] <= ARGV[1] then return answer('expired') end
if ARGV[2] ~= '' and ARGV[2] ~= f[3] then return answer('digest_mismatch') end
redis.call('HSET', KEYS[1], 'status', 'deciding', 'decision', ARGV[3], 'by:' .. ARGV[4], ARGV[3], 'claimed_at', ARGV[5])
attempt = tostring(redis.call('HINCRBY', KEYS[1], 'attempt:' .. ARGV[4], 1))
return answer('ok')
