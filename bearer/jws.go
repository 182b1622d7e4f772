package bearer

import (
	"sync/atomic"

	"github.com/gatehouse-go/gatehouse/internal/compact"
)

// A jws is a compact JWS (RFC 7515 §7.1) whose header has been decoded and
// whose algorithm is allowed, but whose signature is not verified yet: the
// payload is still the raw base64url segment, so that a forged token costs
// no claims decoding.
//
// Why not golang-jwt's Parser.ParseWithClaims: it decodes the header and
// then the whole claim set (base64 and JSON, into a map[string]any) before
// it looks at the signature, so a forged token costs as much as a valid
// one, and a valid one costs a map and an allocation per claim. Here the
// header and the claims are read by compact.DecodeObject, which accepts
// exactly the JSON text json.Unmarshal accepts into a map (syntax, nesting,
// float64 range, the last of duplicate members) and reads the members
// gatehouse needs into fixed slots, without a map: the slots hold
// positions in the decoded text, and the Principal copies the strings it
// keeps. The signature is checked with the standard library's primitives
// (internal/jwsalg), on the signing input as it is, never copied.
// golang-jwt's ParseWithClaims remains the reference the tests compare
// this path with.
//
// The header and the signature are decoded into a buffer on the caller's
// stack (scratch), so that a forged token costs no allocation; the jws
// shares it, and what outlives the call is copied. The payload of a
// verified token is decoded onto the stack too when it fits in
// payloadScratch bytes (accept); the claims a Principal hands out are
// decoded again from the payload segment, and only when read.
type jws struct {
	algIdx int    // index of the header's "alg" in the allowlist
	kid    string // header "kid" when a string; shares scratch
	kidBad bool   // header "kid" present but not a string
	typ    string // header "typ" when a string; shares scratch
	crit   bool   // header "crit" present, whatever its value
	sig    []byte // the decoded signature; shares scratch
	// memo is set when the header was read from the Authenticator's
	// memo of headers (see headerMemo), verified when that memo came from
	// a token whose signature verified.
	memo, verified bool
}

// A headerMemo is a decoded header, kept so that the next tokens with the
// same header segment (every token of an issuer key carries the same one)
// skip its decoding. Reading a header is a function of its segment and
// the allowlist alone, so the memo decides as the decoding would.
//
// The header of a token whose signature verified takes its slot whatever
// the slot holds. The header of a token whose signature did not verify
// takes only an empty slot and is never replaced by another such header:
// a flood of forged tokens that copy a real header (the cheap forgery)
// skips the header's decoding from its first request, even before any
// valid token was seen, while forged tokens with made-up headers can
// neither evict the headers of valid tokens nor make a refusal allocate
// more than once per slot, and keep only short ones (forgedHeaderMemo).
type headerMemo struct {
	seg      string // the header segment
	algIdx   int
	kid      string
	kidBad   bool
	typ      string
	crit     bool
	verified bool // the header of a token whose signature verified
}

// headerMemos is the number of headers an Authenticator remembers.
const headerMemos = 4

// forgedHeaderMemo is the longest header segment of a token whose
// signature did not verify that the memo keeps: a real header is a few
// dozen bytes, and an unauthenticated client must not pin large strings.
const forgedHeaderMemo = 512

// memoSlot returns the slot of the memo for header segment h.
func memoSlot(h string) int {
	if h == "" {
		return 0
	}
	return (len(h) ^ int(h[len(h)-1]) ^ int(h[len(h)/2])) & (headerMemos - 1)
}

// jwsScratch is the size of the buffer on the stack the header and the
// signature of a usual token are decoded into; a longer one is decoded on
// the heap.
const jwsScratch = 384

// claimSlots is the number of claim slots a caller keeps on its stack;
// an Authenticator that reads more claims allocates them.
const claimSlots = 24

// payloadScratch is the size of the buffer on the stack a verified
// token's payload is decoded into; a longer one is decoded on the heap.
// Nothing the Principal keeps points into it (see cacheEntry.keep).
const payloadScratch = 512

// A cut is a token split at its dots (compact.Cut): ok when it has
// exactly two, clean when compact.CutClean vouched, in one read, that
// besides them it holds characters of the base64url alphabet alone, as
// every JWS an issuer signs does. A clean token has no line break, and
// its payload segment is within RFC 6750's b64token grammar; a token not
// vouched for is checked for both the long way.
type cut struct {
	h, p, s   string
	ok, clean bool
}

// cutToken cuts tok, reading it once when it is clean.
func cutToken(tok string) cut {
	if h, p, s, clean := compact.CutClean(tok); clean {
		return cut{h: h, p: p, s: s, ok: true, clean: true}
	}
	h, p, s, ok := compact.Cut(tok)
	return cut{h: h, p: p, s: s, ok: ok}
}

// splitJWS takes tok, cut into its three segments (c), decodes the header
// and the signature strictly (into scratch) and checks the header's "alg" against
// algs (which never holds "none", in any spelling: see checkAlgorithm). It
// reports false for anything golang-jwt's parser would refuse as
// malformed, unverifiable or with a signing method outside algs — reason
// rInvalid — leaving the payload segment untouched. It returns the
// signing input and the payload segment apart from the jws, which shares
// scratch.
//
// When memos (which may be nil) hold the header segment in its slot
// (memoSlot), the header is taken from there.
func splitJWS(tok string, c *cut, algs []string, scratch []byte, memos *[headerMemos]atomic.Pointer[headerMemo]) (t jws, signing, payload string, ok bool) {
	if !c.ok {
		return t, "", "", false
	}
	h, p, s := c.h, c.p, c.s
	var memo *headerMemo
	if memos != nil {
		memo = memos[memoSlot(h)].Load()
	}
	if memo != nil && memo.seg == h {
		t = jws{algIdx: memo.algIdx, kid: memo.kid, kidBad: memo.kidBad, typ: memo.typ, crit: memo.crit, memo: true, verified: memo.verified}
		sig, ok := compact.AppendDecode(scratch[:0], s)
		if !ok {
			return t, "", "", false
		}
		t.sig = sig
		return t, tok[:len(h)+1+len(p)], p, true
	}
	enc := compact.Encoding
	buf := scratch[:0]
	if n := enc.DecodedLen(len(h)) + enc.DecodedLen(len(s)); n > cap(buf) {
		buf = make([]byte, 0, n)
	}
	hb, ok := compact.AppendDecode(buf, h)
	if !ok {
		return t, "", "", false
	}
	// The last of each member counts, as in the map golang-jwt decodes
	// the header into; a JSON null header reads as empty (no "alg").
	var alg, kid, typ compact.Value
	r := compact.NewObjectReader(hb)
	for {
		name, v, more := r.Next()
		if !more {
			break
		}
		switch name {
		case "alg":
			alg = v
		case "kid":
			kid = v
		case "typ":
			typ = v
		case "crit":
			t.crit = true
		}
	}
	if _, ok := r.Valid(); !ok || alg.Kind != compact.String {
		return t, "", "", false
	}
	t.algIdx = -1
	for i, a := range algs {
		if a == alg.Str(hb) {
			t.algIdx = i
			break
		}
	}
	if t.algIdx < 0 {
		return t, "", "", false
	}
	switch kid.Kind {
	case compact.Absent:
	case compact.String:
		t.kid = kid.Str(hb)
	default:
		t.kidBad = true
	}
	if typ.Kind == compact.String {
		t.typ = typ.Str(hb)
	}
	sig, ok := compact.AppendDecode(hb[len(hb):], s)
	if !ok {
		return t, "", "", false
	}
	t.sig = sig
	return t, tok[:len(h)+1+len(p)], p, true
}

// A payload is the payload segment of a jws and, once decoded, whether it
// is a claim set.
type payload struct {
	seg     string // the payload segment, base64url
	decoded bool
	bad     bool // the payload is not a claim set
	// The claims of a decode before the signature check (several
	// issuers, an unknown kid), on the heap for the rest of the
	// verification, and the decoded payload they are read from. A decode
	// after the check, the usual one, is kept on the verifier's stack when
	// the payload fits in payloadScratch bytes.
	vals []compact.Value
	pb   []byte
}

// early decodes the payload before the signature check, once, into vals
// and pb, and reports false when it is not a claim set (see
// decodeClaims).
func (c *payload) early(names *compact.Names) bool {
	if !c.decoded {
		c.vals = make([]compact.Value, names.Len())
		var ok bool
		c.pb, ok = decodeClaims(nil, c.seg, names, c.vals)
		c.decoded, c.bad = true, !ok
	}
	return !c.bad
}

// decodeClaims appends the decoding of the payload segment seg to dst,
// and decodes its claims into vals, the claim slots of names, as
// golang-jwt's parser decodes a claim set into a MapClaims (without
// WithJSONNumber). It returns the decoded payload, which the values are
// read back from, and false when the payload is not strict base64url of a
// JSON object (or null). A JSON null is an empty claim set, as golang-jwt's
// is (it keeps the empty map it was given). dst is not reallocated when
// its capacity suffices, so the payload may be decoded onto the caller's
// stack.
func decodeClaims(dst []byte, seg string, names *compact.Names, vals []compact.Value) ([]byte, bool) {
	pb, ok := compact.AppendDecode(dst, seg)
	if ok {
		_, ok = compact.DecodeObject(pb, names, vals)
	}
	return pb, ok
}
