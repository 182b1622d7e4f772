package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// Revocations is the Redis [bearer.RevocationStore], which is also the
// issuer's Config.Revocations. Every revocation is one key, filed under its
// subject's hash tag:
//
//	<prefix>rev:{<subject>}:jti:<jti>   string "1"       a revoked token
//	<prefix>rev:{<subject>}:sid:<sid>   string "1"       a revoked session
//	<prefix>rev:{<subject>}:nbf         string, decimal  the subject's not-before,
//	                                                     Unix seconds
//
// each expiring at its until plus bearer.MaxLeeway (no expiry for a zero
// until); a second revocation keeps the later expiry, and the not-before
// only ever moves forward. In the hash tag, "%", "{" and "}" of the
// subject are written %25, %7B and %7D, and the empty subject is "%", so
// the tag is never empty, ends at the subject's own end and names one
// subject only. The keys of one subject therefore share a Redis Cluster
// hash slot, and subjects spread across slots: Revoked reads a token's
// jti, session and subject keys with one MGET, a single round trip on
// every authenticated request, cache hits included, on a single Redis and
// on a Cluster alike. (A Prefix with "{" or "}" in it would move the tag
// into the prefix, putting every subject in one slot, or, with "{}", no
// tag at all: keep braces out of it.)
//
// Its methods fail (and the middleware answers 503) while Redis is
// unreachable. It is safe for concurrent use.
type Revocations struct{ s *Store }

var _ bearer.RevocationStore = (*Revocations)(nil)

var (
	errEmptyJTI     = errors.New("redisstore: empty token id")
	errEmptySID     = errors.New("redisstore: empty session id")
	errEmptySubject = errors.New("redisstore: empty subject")
	errCorruptNBF   = errors.New("redisstore: corrupt subject not-before")
)

// revokeScript sets KEYS[1], keeping the later of its current expiry and
// ARGV[1] milliseconds (0: forever), then publishes ARGV[3] on channel
// ARGV[2] (the local copies' invalidation, see [LocalCache]).
var revokeScript = newScript(`
local ttl = tonumber(ARGV[1])
if ttl == 0 then
  redis.call('SET', KEYS[1], '1')
else
  local cur = redis.call('PTTL', KEYS[1])
  if cur ~= -1 and cur < ttl then redis.call('SET', KEYS[1], '1', 'PX', ttl) end
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`)

// notBeforeScript sets KEYS[1], a subject's not-before, to the later of its
// value and ARGV[1] (Unix seconds), with the later of its current expiry
// and ARGV[2] milliseconds (0: forever), then publishes ARGV[4] on
// channel ARGV[3] (the local copies' invalidation, see [LocalCache]).
var notBeforeScript = newScript(`
local nbf = ARGV[1]
local ttl = tonumber(ARGV[2])
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) and tonumber(cur) > tonumber(nbf) then nbf = cur end
local pttl = redis.call('PTTL', KEYS[1])
if ttl == 0 or pttl == -1 then
  redis.call('SET', KEYS[1], nbf)
else
  if pttl > ttl then ttl = pttl end
  redis.call('SET', KEYS[1], nbf, 'PX', ttl)
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`)

// subjectKey returns "<prefix>rev:{<tag>}:" + kind + id, the key of one
// revocation of subject (see Revocations for the tag).
func (r *Revocations) subjectKey(subject, kind, id string) string {
	var b strings.Builder
	b.Grow(len(r.s.prefix) + len("rev:{}:") + len(subject) + len(kind) + len(id) + 1)
	b.WriteString(r.s.prefix)
	b.WriteString("rev:{")
	if subject == "" {
		b.WriteByte('%')
	}
	if strings.ContainsAny(subject, "%{}") {
		for i := 0; i < len(subject); i++ {
			switch c := subject[i]; c {
			case '%':
				b.WriteString("%25")
			case '{':
				b.WriteString("%7B")
			case '}':
				b.WriteString("%7D")
			default:
				b.WriteByte(c)
			}
		}
	} else {
		b.WriteString(subject)
	}
	b.WriteString("}:")
	b.WriteString(kind)
	b.WriteString(id)
	return b.String()
}

// Key kinds after the subject's tag.
const (
	kindJTI = "jti:"
	kindSID = "sid:"
	kindNBF = "nbf"
)

// expiryMS returns the TTL in milliseconds that keeps a revocation until
// until+MaxLeeway (at least a second), or 0 (forever) for a zero until.
func (r *Revocations) expiryMS(until time.Time) int64 {
	if until.IsZero() {
		return 0
	}
	return max(r.s.ttl(until.Add(bearer.MaxLeeway), 0).Milliseconds(), 1000)
}

// RevokeToken implements [bearer.RevocationStore] with one script call on
// one key.
func (r *Revocations) RevokeToken(ctx context.Context, subject, jti string, until time.Time) error {
	if jti == "" {
		return errEmptyJTI
	}
	return r.revoke(ctx, "revoke token", subject, r.subjectKey(subject, kindJTI, jti), until)
}

// RevokeSession implements [bearer.RevocationStore] with one script call
// on one key.
func (r *Revocations) RevokeSession(ctx context.Context, subject, sid string, until time.Time) error {
	if sid == "" {
		return errEmptySID
	}
	return r.revoke(ctx, "revoke session", subject, r.subjectKey(subject, kindSID, sid), until)
}

func (r *Revocations) revoke(ctx context.Context, op, subject, key string, until time.Time) error {
	defer r.s.invalidateLocal(invalSubject, subject)
	return r.s.runWrite(ctx, op, revokeScript, key, r.expiryMS(until), r.s.inval, invalMessage(invalSubject, subject))
}

// RevokeSubject implements [bearer.RevocationStore] with one script call
// on one key: the subject's not-before becomes notBefore (in whole Unix
// seconds) unless it is already later.
func (r *Revocations) RevokeSubject(ctx context.Context, subject string, notBefore, until time.Time) error {
	if subject == "" {
		return errEmptySubject
	}
	key := r.subjectKey(subject, kindNBF, "")
	defer r.s.invalidateLocal(invalSubject, subject)
	return r.s.runWrite(ctx, "revoke subject", notBeforeScript, key, notBefore.Unix(), r.expiryMS(until), r.s.inval, invalMessage(invalSubject, subject))
}

// Revoked implements [bearer.RevocationStore] with one MGET of the
// token's keys — jti (when set), session (when set) and the subject's
// not-before — which share the subject's hash slot, and of the epoch
// record of that slot (see [Store.Establish]). A missing epoch record
// fails with [ErrStateLost]: the revocations may have been lost. A token
// issued before the epoch began ("iat" earlier than the epoch's second,
// see Store.Establish) is revoked, since a revocation made before the loss
// may be gone. A token without
// "iat" cannot be placed before or after the epoch and is judged by its
// revocation keys alone (tokens issued by issuer and tokenendpoint always
// carry one).
//
// With Config.LocalCache, an answer read before is reused without a round
// trip while the local copy is live and nothing invalidated it (see
// [LocalCache]). With Config.AllowlistAccount, a check that goes to Redis
// also reads the allowlist of t.Principal's account, in the same
// pipeline, for the request's [Lists.AllowSet]: it keeps the answer in
// the request's scope ([Store.Middleware]) and in the local copy while
// that is live, and reads nothing ahead when it has neither.
func (r *Revocations) Revoked(ctx context.Context, t *bearer.TokenRef) (bool, error) {
	lc := r.s.local
	var gen uint64
	live := false
	if lc != nil {
		if revoked, ok := lc.revoked(t.Subject, t.ID, t.SessionID, t.IssuedAt); ok {
			return revoked, nil
		}
		gen, live = lc.begin()
	}
	ah := r.s.aheadFor(ctx, t, live)
	a, list, err := r.read(ctx, t, ah)
	if list.ok {
		if ah.scope != nil {
			ah.scope.put(ah.account, list.raw)
		}
		if live {
			lc.storeList(gen, ah.account, list.raw)
		}
	}
	if err == nil && live {
		lc.storeRevoked(gen, t.Subject, t.ID, t.SessionID, a)
	}
	return verdict(a, err, t.IssuedAt)
}

// verdict returns the answer on a token issued at iat from what read
// returned: a corrupt not-before fails only a token that its ID, session
// and the epoch do not already revoke.
func verdict(a revAnswer, err error, iat int64) (bool, error) {
	if errors.Is(err, errCorruptNBF) && (a.idRevoked || iat != 0 && iat < a.began) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return a.revoked(iat), nil
}

// listRead is an allowlist read ahead: its stored text, when ok.
type listRead struct {
	raw string
	ok  bool
}

// read reads a token's revocation keys and its slot's epoch record and,
// when ah names an account, that account's allowlist in the same
// pipeline. The allowlist's answer is ok only when its read succeeded.
func (r *Revocations) read(ctx context.Context, t *bearer.TokenRef, ah ahead) (revAnswer, listRead, error) {
	var buf [4]string
	keys := buf[:0]
	if t.ID != "" {
		keys = append(keys, r.subjectKey(t.Subject, kindJTI, t.ID))
	}
	if t.SessionID != "" {
		keys = append(keys, r.subjectKey(t.Subject, kindSID, t.SessionID))
	}
	nbfKey := r.subjectKey(t.Subject, kindNBF, "")
	keys = append(keys, nbfKey, r.s.epochKey(nbfKey))
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	var (
		vals []any
		err  error
		list listRead
	)
	if ah.account == "" {
		vals, err = r.s.client.MGet(ctx, keys...).Result()
	} else {
		pipe := r.s.client.Pipeline()
		revCmd := pipe.MGet(ctx, keys...)
		listCmd := r.s.lists.mget(ctx, pipe, ah.account)
		_, _ = pipe.Exec(ctx) // each command carries its own error
		vals, err = revCmd.Result()
		if raw, lerr := listReply(listCmd.Result()); lerr == nil {
			list = listRead{raw: raw, ok: true}
		}
	}
	a, err := revReply(vals, err, len(keys))
	return a, list, err
}

// revReply reads the reply of the revocation MGET of n keys: the token's
// revocation keys, then its subject's not-before and the epoch record.
func revReply(vals []any, err error, n int) (revAnswer, error) {
	if err != nil {
		return revAnswer{}, wrap("revoked", err)
	}
	if len(vals) != n {
		return revAnswer{}, wrap("revoked", errReply)
	}
	nbf, epoch := vals[len(vals)-2], vals[len(vals)-1]
	began, err := parseEpoch(epoch)
	if err != nil {
		return revAnswer{}, wrap("revoked", err)
	}
	a := revAnswer{began: began.Unix()}
	for _, v := range vals[:len(vals)-2] {
		if v != nil {
			a.idRevoked = true
		}
	}
	if nbf == nil {
		return a, nil
	}
	s, _ := nbf.(string)
	nv, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return a, errCorruptNBF
	}
	a.hasNBF, a.nbf = true, nv
	return a, nil
}
