package redisstore

import (
	"context"
	"time"
)

// revokePairScript is revokeScript on two keys of one subject, in one
// step: KEYS[1] with ARGV[1] milliseconds and KEYS[2] with ARGV[2] (0:
// forever), each keeping the later of its current expiry and its own;
// then one PUBLISH of ARGV[4] on channel ARGV[3] (the local copies'
// invalidation, see [LocalCache]).
var revokePairScript = newScript(`
for i = 1, 2 do
  local ttl = tonumber(ARGV[i])
  if ttl == 0 then
    redis.call('SET', KEYS[i], '1')
  else
    local cur = redis.call('PTTL', KEYS[i])
    if cur ~= -1 and cur < ttl then redis.call('SET', KEYS[i], '1', 'PX', ttl) end
  end
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`)

// RevokeTokenAndSession is the one-write logout issuer.Config.Revocations
// describes: what
// RevokeToken(ctx, subject, jti, tokenUntil) and RevokeSession(ctx,
// subject, sid, sessionUntil) write, in one script call — the two keys
// share the subject's hash slot — which publishes one invalidation: one
// round trip for a logout, with Config.MinReplicas too (the WAIT is
// pipelined with it). An empty jti or sid is an error.
func (r *Revocations) RevokeTokenAndSession(ctx context.Context, subject, jti string, tokenUntil time.Time, sid string, sessionUntil time.Time) error {
	if jti == "" {
		return errEmptyJTI
	}
	if sid == "" {
		return errEmptySID
	}
	keys := []string{r.subjectKey(subject, kindJTI, jti), r.subjectKey(subject, kindSID, sid)}
	defer r.s.invalidateLocal(invalSubject, subject)
	return r.s.runWriteKeys(ctx, "revoke token and session", revokePairScript, keys,
		r.expiryMS(tokenUntil), r.expiryMS(sessionUntil), r.s.inval, invalMessage(invalSubject, subject))
}
