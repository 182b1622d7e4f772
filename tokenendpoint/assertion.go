package issuer

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/compact"
	"github.com/golang-jwt/jwt/v5"
)

// Limits on jwt-bearer assertions, checked before any cryptography.
const (
	// MaxAssertionBytes is the longest assertion accepted.
	MaxAssertionBytes = 4 << 10
	// MaxNotificationKeyBytes is the longest notificationKey or userId, as
	// a string or as the decimal digits of an integer.
	MaxNotificationKeyBytes = 256
)

// AssertionAlgorithm is the only JWS algorithm of jwt-bearer assertions
// (seed 002): "none", HS384, HS512 and every asymmetric algorithm are
// refused before the client is even looked up.
const AssertionAlgorithm = "HS256"

// invalidGrant is a 400 invalid_grant with a client-safe message.
func invalidGrant(msg string, cause error) *envelope.Error {
	return envelope.ErrBadRequest.WithOAuthCode("invalid_grant").WithMessage(msg).WithCause(cause)
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
	errKeyMissing         = invalidGrant("Assertion notificationKey is required", ErrInvalidAssertion)
	errKeyType            = invalidGrant("Assertion notificationKey must be a string or an integer of at most 256 bytes", ErrInvalidAssertion)
	errAmountMissing      = invalidGrant("Assertion amount is required", ErrInvalidAssertion)
	errAmountType         = invalidGrant("Assertion amount must be a positive number", ErrInvalidAssertion)
	errUserIDType         = invalidGrant("Assertion userId must be a string or an integer of at most 256 bytes", ErrInvalidAssertion)
	errConfirmType        = invalidGrant("Assertion forceManualConfirm must be a boolean", ErrInvalidAssertion)
	errReplayed           = invalidGrant("Assertion notificationKey was already used", ErrAssertionReplayed)
)

// splitAssertion checks an assertion's shape and JOSE header — three
// base64url segments, alg exactly HS256, typ absent or JWT, no crit — and
// returns its signing input, payload segment and decoded signature. It
// needs no key, so it runs before the client lookup.
func splitAssertion(token string) (input, payload string, sig []byte, e *envelope.Error) {
	if len(token) > MaxAssertionBytes {
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
	case hdr.Alg == nil || *hdr.Alg != AssertionAlgorithm:
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

// verifyHS256 checks sig over input with key in constant time (golang-jwt's
// HMAC verification).
func verifyHS256(input string, sig, key []byte) bool {
	return jwt.SigningMethodHS256.Verify(input, sig, key) == nil
}

// assertionClaims are the members of a verified assertion, decoded lazily
// so that each one's JSON type can be checked.
type assertionClaims struct {
	Amount             json.RawMessage `json:"amount"`
	IssuedAt           json.RawMessage `json:"iat"`
	NotificationKey    json.RawMessage `json:"notificationKey"`
	UserID             json.RawMessage `json:"userId"`
	ForceManualConfirm json.RawMessage `json:"forceManualConfirm"`
	Expiry             json.RawMessage `json:"exp"`
	NotBefore          json.RawMessage `json:"nbf"`
	Issuer             json.RawMessage `json:"iss"`
	Subject            json.RawMessage `json:"sub"`
	Audience           json.RawMessage `json:"aud"`
}

// clientGrant is what a valid assertion grants: seed 002's session claims.
type clientGrant struct {
	amount             json.Number
	notificationKey    string
	userID             string
	forceManualConfirm bool
}

// checkAssertionClaims decodes and validates the payload of an assertion
// whose signature was verified. Claim names are matched exactly: a claim
// given twice, or a member that differs from a claim read here only by
// case ("AMOUNT"), refuses the assertion. Then: iat within [now-window, now+leeway], exp
// and nbf honoured when present, iss and sub (when present) naming the
// client, aud (when present) naming one of audience, notificationKey a
// non-empty string or an integer, amount a positive number, userId a
// string or an integer and forceManualConfirm a boolean when present (null
// counts as absent). An integer notificationKey or userId becomes its
// decimal string ([keyString]).
func checkAssertionClaims(payloadSeg, clientID string, audience []string, now time.Time, window, leeway time.Duration) (clientGrant, *envelope.Error) {
	var g clientGrant
	raw, err := compact.Encoding.DecodeString(payloadSeg)
	if err != nil {
		return g, errAssertionPayload
	}
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return g, errAssertionPayload
	}
	var c assertionClaims
	if claimsDecoder.Unmarshal(raw, &c) != nil {
		return g, errAssertionMembers
	}

	iat, present, ok := numericDate(c.IssuedAt)
	switch {
	case !present:
		return g, errIATMissing
	case !ok:
		return g, errIATType
	case now.Sub(iat) > window:
		return g, errIATStale
	case iat.Sub(now) > leeway:
		return g, errIATFuture
	}
	if exp, present, ok := numericDate(c.Expiry); present && (!ok || !now.Before(exp.Add(leeway))) {
		return g, errExpired
	}
	if nbf, present, ok := numericDate(c.NotBefore); present && (!ok || now.Add(leeway).Before(nbf)) {
		return g, errNotYetValid
	}
	for _, m := range [...]json.RawMessage{c.Issuer, c.Subject} {
		if s, present, ok := jsonString(m); present && (!ok || s != clientID) {
			return g, errWrongIssuer
		}
	}
	if !audienceOK(c.Audience, audience) {
		return g, errWrongAudience
	}

	key, present, ok := keyString(c.NotificationKey)
	switch {
	case !present || (ok && key == ""):
		return g, errKeyMissing
	case !ok || len(key) > MaxNotificationKeyBytes:
		return g, errKeyType
	}
	g.notificationKey = key

	if isNull(c.Amount) {
		return g, errAmountMissing
	}
	if !isNumber(c.Amount) {
		return g, errAmountType
	}
	if f, err := strconv.ParseFloat(string(c.Amount), 64); err != nil || !(f > 0) || math.IsInf(f, 0) {
		return g, errAmountType
	}
	g.amount = json.Number(c.Amount)

	if uid, present, ok := keyString(c.UserID); present {
		if !ok || len(uid) > MaxNotificationKeyBytes {
			return g, errUserIDType
		}
		g.userID = uid
	}
	if !isNull(c.ForceManualConfirm) {
		switch string(c.ForceManualConfirm) {
		case "true":
			g.forceManualConfirm = true
		case "false":
		default:
			return g, errConfirmType
		}
	}
	return g, nil
}

// audienceOK reports whether an assertion's aud m is absent (or null) or
// names one of want: RFC 7523 §3 requires the aud to identify the server,
// but seed 002's assertions carry none, so only a present aud is checked.
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

// keyString decodes a notificationKey or userId member: a JSON string, or
// a JSON integer normalised to its decimal string. Seed 002 gives these
// claims no type and PHP integrations commonly send integers, so 12345 and
// "12345" are the same key: the same session claim and, for a
// notificationKey, the same replay key, so that switching from one to the
// other cannot replay an assertion. Only integers are accepted — a number
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
