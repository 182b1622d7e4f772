package tokenendpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/compact"
	"github.com/gatehouse-go/gatehouse/internal/issuance"
	"github.com/gatehouse-go/gatehouse/internal/jwsalg"
)

// Limits on jwt-bearer assertions.
const (
	// maxAssertionBytes is the longest assertion accepted, checked before
	// any cryptography.
	maxAssertionBytes = 4 << 10
	// maxReplayKeyBytes is the longest replay claim, as a string or as the
	// decimal digits of an integer.
	maxReplayKeyBytes = 256
)

// assertionAlgorithm is the only JWS algorithm of jwt-bearer assertions:
// "none", HS384, HS512 and every asymmetric algorithm are refused before
// the client is even looked up.
const assertionAlgorithm = "HS256"

// invalidGrant is a 400 invalid_grant with a client-safe message.
func invalidGrant(msg string, cause error) *envelope.Error {
	return refused(rowInvalidAssertion, msg).WithCause(cause)
}

// Assertion refusals, built once. Messages about the claims can only be
// seen by a caller holding the client's key (the signature is checked
// first), so they may be specific; everything before the signature check
// gives one answer whether or not the client exists.
var (
	errAssertionMalformed = invalidGrant("Assertion is not a compact JWS", ErrInvalidAssertion)
	errAssertionAlg       = invalidGrant("Assertion must be signed with HS256", ErrInvalidAssertion)
	errAssertionTyp       = invalidGrant("Assertion typ must be JWT", ErrInvalidAssertion)
	errAssertionCrit      = invalidGrant("Assertion has unsupported critical header parameters", ErrInvalidAssertion)
	errAssertionSignature = invalidGrant("Invalid assertion", ErrInvalidAssertion)
	errAssertionPayload   = invalidGrant("Assertion payload is not a JSON object", ErrInvalidAssertion)
	errAssertionMembers   = invalidGrant("Assertion claims must be named exactly and appear once", ErrInvalidAssertion)
	errIATMissing         = invalidGrant("Assertion iat is required", ErrInvalidAssertion)
	errIATType            = invalidGrant("Assertion iat must be a number of seconds", ErrInvalidAssertion)
	errIATStale           = invalidGrant("Assertion is too old (iat)", ErrInvalidAssertion)
	errIATFuture          = invalidGrant("Assertion iat is in the future", ErrInvalidAssertion)
	errExpired            = invalidGrant("Assertion has expired (exp)", ErrInvalidAssertion)
	errNotYetValid        = invalidGrant("Assertion is not valid yet (nbf)", ErrInvalidAssertion)
	errWrongIssuer        = invalidGrant("Assertion iss and sub must be the client_id", ErrInvalidAssertion)
	errWrongAudience      = invalidGrant("Assertion aud does not name this server", ErrInvalidAssertion)
)

// splitAssertion checks an assertion's shape and JOSE header — three
// base64url segments, alg exactly HS256, typ absent or JWT, no crit — and
// returns its signing input, payload segment and decoded signature. It
// needs no key, so it runs before the client lookup.
func splitAssertion(token string) (input, payload string, sig []byte, e *envelope.Error) {
	if len(token) > maxAssertionBytes {
		return "", "", nil, errAssertionMalformed
	}
	c, ok := compact.Split(token)
	if !ok || c.Payload == "" {
		return "", "", nil, errAssertionMalformed
	}
	var hdr struct {
		Alg  *string         `json:"alg"`
		Typ  *string         `json:"typ"`
		Crit json.RawMessage `json:"crit"`
	}
	if json.Unmarshal(c.Header, &hdr) != nil {
		return "", "", nil, errAssertionMalformed
	}
	switch {
	case hdr.Alg == nil || *hdr.Alg != assertionAlgorithm:
		return "", "", nil, errAssertionAlg
	case hdr.Typ != nil && !strings.EqualFold(*hdr.Typ, "JWT"):
		return "", "", nil, errAssertionTyp
	case hdr.Crit != nil:
		return "", "", nil, errAssertionCrit
	}
	sig, err := compact.Encoding.DecodeString(c.Signature)
	if err != nil || len(sig) != 32 {
		return "", "", nil, errAssertionSignature
	}
	return c.SigningInput, c.Payload, sig, nil
}

// verifyHS256 checks sig over input with key in constant time
// (crypto/hmac, as golang-jwt's HMAC verification does, without copying
// input).
func verifyHS256(input string, sig, key []byte) bool {
	return jwsalg.Verify(assertionAlgorithm, key, input, sig)
}

// claimsType returns the struct type a verified assertion's claims decode
// into: the registered claims the endpoint checks and the replay claim,
// each a json.RawMessage, so that each one's JSON type can be checked and
// the strict decoder refuses one given twice or in another letter case.
// replayClaim is a valid claim name (validClaimName).
func claimsType(replayClaim string) reflect.Type {
	raw := reflect.TypeFor[json.RawMessage]()
	field := func(name, claim string) reflect.StructField {
		return reflect.StructField{Name: name, Type: raw, Tag: reflect.StructTag(`json:"` + claim + `"`)}
	}
	return reflect.StructOf([]reflect.StructField{
		field("IssuedAt", "iat"),
		field("Expiry", "exp"),
		field("NotBefore", "nbf"),
		field("Issuer", "iss"),
		field("Subject", "sub"),
		field("Audience", "aud"),
		field("Replay", replayClaim),
	})
}

// The fields of claimsType, in order.
const (
	fieldIssuedAt = iota
	fieldExpiry
	fieldNotBefore
	fieldIssuer
	fieldSubject
	fieldAudience
	fieldReplay
)

// registeredClaims are the claims claimsType reads besides the replay
// claim, which may not be one of them.
var registeredClaims = [...]string{"iat", "exp", "nbf", "iss", "sub", "aud"}

// validClaimName reports whether name can be Config.ReplayClaim: letters,
// digits and "_-.:", and none of registeredClaims in any letter case (the
// strict decoder would take it for that claim's case variant).
func validClaimName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range registeredClaims {
		if strings.EqualFold(name, r) {
			return false
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-.:", c) >= 0) {
			return false
		}
	}
	return true
}

// checkAssertionClaims decodes and validates the payload of an assertion
// whose signature was verified, and returns its replay key and the claims
// the Assertion hook reads from it. Claim names are matched exactly: a
// claim given twice, or a member that differs from a claim read here only
// by case ("IAT"), refuses the assertion. Then: iat within [now-window,
// now+leeway], exp and nbf honoured when present, iss and sub (when
// present) naming the client, aud (when present) naming one of the
// assertion audiences, the replay claim a non-empty string or an integer
// (which becomes its decimal string, [keyString]) of at most 256 bytes;
// then the Assertion hook, whose error is the refusal's message.
func (ep *Endpoint) checkAssertionClaims(payloadSeg, clientID string) (string, any, *envelope.Error) {
	raw, err := compact.Encoding.DecodeString(payloadSeg)
	if err != nil {
		return "", nil, errAssertionPayload
	}
	if len(raw) == 0 || raw[0] != '{' || !compact.ValidSyntax(raw) {
		return "", nil, errAssertionPayload
	}
	v := reflect.New(ep.claims)
	if issuance.DecodeClaims(raw, v.Interface()) != nil {
		return "", nil, errAssertionMembers
	}
	c := func(field int) json.RawMessage { return v.Elem().Field(field).Bytes() }

	now := ep.now()
	iat, present, ok := numericDate(c(fieldIssuedAt))
	switch {
	case !present:
		return "", nil, errIATMissing
	case !ok:
		return "", nil, errIATType
	case now.Sub(iat) > ep.window:
		return "", nil, errIATStale
	case iat.Sub(now) > ep.leeway:
		return "", nil, errIATFuture
	}
	if exp, present, ok := numericDate(c(fieldExpiry)); present && (!ok || !now.Before(exp.Add(ep.leeway))) {
		return "", nil, errExpired
	}
	if nbf, present, ok := numericDate(c(fieldNotBefore)); present && (!ok || now.Add(ep.leeway).Before(nbf)) {
		return "", nil, errNotYetValid
	}
	for _, m := range [...]json.RawMessage{c(fieldIssuer), c(fieldSubject)} {
		if s, present, ok := jsonString(m); present && (!ok || s != clientID) {
			return "", nil, errWrongIssuer
		}
	}
	if !audienceOK(c(fieldAudience), ep.assertionAud) {
		return "", nil, errWrongAudience
	}

	key, present, ok := keyString(c(fieldReplay))
	switch {
	case !present || (ok && key == ""):
		return "", nil, ep.errKeyMissing
	case !ok || len(key) > maxReplayKeyBytes:
		return "", nil, ep.errKeyType
	}
	if ep.assertion == nil {
		return key, nil, nil
	}
	extra, err := ep.assertion(raw, key)
	if r, ok := errors.AsType[*grantRefusal](err); ok {
		return "", nil, invalidGrant(r.description, err)
	}
	if err != nil {
		return "", nil, invalidGrant("", fmt.Errorf("%w: %w", ErrInvalidAssertion, err))
	}
	return key, extra, nil
}

// audienceOK reports whether an assertion's aud m is absent (or null) or
// names one of want: RFC 7523 §3 requires the aud to identify the server,
// but some APIs' assertions carry none, so only a present aud is checked.
// A present aud is a string or an array of strings (RFC 7519 §4.1.3), one
// of which must be in want; any other JSON type names nothing.
func audienceOK(m json.RawMessage, want []string) bool {
	if isNull(m) {
		return true
	}
	if s, _, ok := jsonString(m); ok {
		return slices.Contains(want, s)
	}
	var list []string
	if m[0] != '[' || json.Unmarshal(m, &list) != nil {
		return false
	}
	for _, a := range list {
		if slices.Contains(want, a) {
			return true
		}
	}
	return false
}

func isNull(m json.RawMessage) bool { return len(m) == 0 || string(m) == "null" }

// isNumber reports whether m is a JSON number (json.Unmarshal has already
// checked the grammar; a number starts with '-' or a digit).
func isNumber(m json.RawMessage) bool {
	return len(m) > 0 && (m[0] == '-' || m[0] >= '0' && m[0] <= '9')
}

// numericDate decodes a JWT NumericDate (seconds since the epoch, possibly
// fractional). present is false for an absent or null member.
func numericDate(m json.RawMessage) (t time.Time, present, ok bool) {
	if isNull(m) {
		return time.Time{}, false, false
	}
	if !isNumber(m) {
		return time.Time{}, true, false
	}
	f, err := strconv.ParseFloat(string(m), 64)
	if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1<<40 {
		return time.Time{}, true, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, true
}

// keyString decodes a replay claim: a JSON string, or a JSON integer
// normalised to its decimal string. APIs often give such claims no type
// and PHP integrations commonly send integers, so 12345 and "12345" are
// the same key, so that switching from one to the other cannot replay an
// assertion. Only integers are accepted — a number
// with a fraction or an exponent (12345.0, 1e5; PHP's json_encode writes a
// float that way) would have no single decimal string, and booleans,
// arrays and objects are no identifiers — and the digits are kept as
// written, never through a float64, which would round integers beyond 2^53
// (9007199254740993 would become ...992 and collide with it); JSON forbids
// leading zeros, so the digits are already the decimal string, except that
// -0 becomes "0". present is false for an absent or null member; ok is
// false for any other JSON type.
func keyString(m json.RawMessage) (s string, present, ok bool) {
	if !isNumber(m) {
		return jsonString(m)
	}
	for _, b := range m {
		if b == '.' || b == 'e' || b == 'E' {
			return "", true, false
		}
	}
	if string(m) == "-0" {
		return "0", true, true
	}
	return string(m), true, true
}

// jsonString decodes a JSON string member. present is false for an absent
// or null member; ok is false for any other JSON type.
func jsonString(m json.RawMessage) (s string, present, ok bool) {
	if isNull(m) {
		return "", false, false
	}
	if m[0] != '"' || json.Unmarshal(m, &s) != nil {
		return "", true, false
	}
	return s, true, true
}
