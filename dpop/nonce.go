package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"sync/atomic"
	"time"
)

// nonceLen is the length of a nonce: 18 bytes of HMAC, base64url.
const nonceLen = 24

// nonces mints and checks the stateless server nonces of
// [NonceConfig]: the nonce of period p (the time divided by the
// lifetime) is the HMAC-SHA-256, under the secret, of p, cut to 18 bytes
// and base64url encoded (24 characters of NQCHAR, RFC 9449 §8.1).
type nonces struct {
	secret   []byte
	lifetime time.Duration
	cur      atomic.Pointer[nonceSet]
}

// nonceSet holds the nonces a period accepts: its own and its
// neighbours'.
type nonceSet struct {
	period           int64
	prev, this, next string
}

// Nonce returns the current server nonce, to send in the DPoP-Nonce
// header of an answer (RFC 9449 §8 and §9): with a use_dpop_nonce error,
// and in any other answer whenever the client's nonce is about to
// expire. It returns "" when Config.Nonce is nil. Every instance that
// shares the NonceConfig returns the same nonce within one period, and
// accepts it.
func (v *Verifier) Nonce() string {
	if v.nonces == nil {
		return ""
	}
	return v.nonces.at(v.now()).this
}

// at returns the nonces of the period of now, computing them once per
// period.
func (n *nonces) at(now time.Time) *nonceSet {
	p := now.UnixNano() / int64(n.lifetime)
	if s := n.cur.Load(); s != nil && s.period == p {
		return s
	}
	s := &nonceSet{period: p, prev: n.mint(p - 1), this: n.mint(p), next: n.mint(p + 1)}
	n.cur.Store(s)
	return s
}

// valid reports whether nonce is the nonce of now's period or of one of
// its neighbours.
func (n *nonces) valid(nonce string, now time.Time) bool {
	if len(nonce) != nonceLen {
		return false
	}
	s := n.at(now)
	b := []byte(nonce)
	return subtle.ConstantTimeCompare(b, []byte(s.this))|
		subtle.ConstantTimeCompare(b, []byte(s.prev))|
		subtle.ConstantTimeCompare(b, []byte(s.next)) == 1
}

func (n *nonces) mint(period int64) string {
	m := hmac.New(sha256.New, n.secret)
	m.Write([]byte("gatehouse dpop nonce\x00"))
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], uint64(period))
	m.Write(p[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}
