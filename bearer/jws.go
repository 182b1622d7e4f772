package bearer

import (
	"encoding/json"
	"slices"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/internal/compact"
)

// A jws is a compact JWS (RFC 7515 §7.1) whose header has been decoded and
// whose algorithm is allowed, but whose signature is not verified yet: the
// payload is still the raw base64url segment, so that a forged token costs
// no claims decoding.
//
// Why not golang-jwt's Parser.ParseWithClaims: it decodes the header and
// then the whole claim set (base64 and JSON) before it looks at the
// signature, so a forged token costs as much as a valid one. A lazily
// decoded claims type would not help: encoding/json scans (validates) the
// whole claims segment before it calls an UnmarshalJSON method, after the
// segment has been base64-decoded. splitJWS reproduces the parts of
// ParseUnverified that precede the signature check, with the same
// functions (strings.Cut and strict base64url through compact.Split,
// json.Unmarshal into a map),
// and Authenticator.verifyJWT then verifies with the algorithm's
// jwt.SigningMethod and validates the claims with a jwt.Validator built
// from the options the parser had: the cryptography and the time checks
// stay golang-jwt's.
type jws struct {
	header  map[string]any    // the decoded protected header
	alg     string            // header "alg", one of the allowlist
	method  jwt.SigningMethod // golang-jwt's implementation of alg
	signing string            // the signing input: header "." payload
	payload string            // the payload segment, still base64url
	sig     []byte            // the decoded signature

	// The payload, once claims has decoded it.
	decoded bool
	bad     bool          // the payload is not a claim set
	c       jwt.MapClaims // the claim set
	pb      []byte        // the decoded payload
}

// splitJWS splits tok into its three segments, decodes the header and the
// signature strictly and checks the header's "alg" against algs (which
// never holds "none", in any spelling: see checkAlgorithm). It reports
// false for anything golang-jwt's parser would refuse as malformed,
// unverifiable or with a signing method outside algs — reason rInvalid —
// leaving the payload segment untouched.
func splitJWS(tok string, algs []string) (jws, bool) {
	c, ok := compact.Split(tok)
	if !ok {
		return jws{}, false
	}
	// As in golang-jwt: a JSON null leaves the map nil, which reads as
	// empty (no "alg"). Decoded into a local, so that t stays on the stack.
	var header map[string]any
	if err := json.Unmarshal(c.Header, &header); err != nil {
		return jws{}, false
	}
	t := jws{header: header}
	t.alg, ok = t.header["alg"].(string)
	if !ok || !slices.Contains(algs, t.alg) {
		return jws{}, false
	}
	if t.method = jwt.GetSigningMethod(t.alg); t.method == nil {
		return jws{}, false
	}
	var err error
	if t.sig, err = compact.Encoding.DecodeString(c.Signature); err != nil {
		return jws{}, false
	}
	t.signing, t.payload = c.SigningInput, c.Payload
	return t, true
}

// claims decodes the payload into a claim set, as golang-jwt's parser
// does without WithJSONNumber (numbers are float64), once: later calls
// return the same result. It returns the decoded payload too, for
// Config.Custom, and false when the payload is not strict base64url of a
// JSON object (or null). A JSON null yields a nil claim set, which reads as
// an empty one, as golang-jwt's does (it keeps the empty map it was given).
func (t *jws) claims() (jwt.MapClaims, []byte, bool) {
	if !t.decoded {
		t.decoded = true
		var c jwt.MapClaims // a local, so that t stays on the stack
		pb, err := compact.Encoding.DecodeString(t.payload)
		if err == nil {
			err = json.Unmarshal(pb, &c)
		}
		t.c, t.pb, t.bad = c, pb, err != nil
	}
	if t.bad {
		return nil, nil, false
	}
	return t.c, t.pb, true
}
