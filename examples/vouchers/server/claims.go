package server

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// sessionClaims are the claims a client session's token carries besides
// the token endpoint's: what its assertion granted (seed 002), under the
// assertion's own names.
type sessionClaims struct {
	Amount             json.Number `json:"amount,omitempty"`
	NotificationKey    string      `json:"notificationKey,omitempty"`
	UserID             string      `json:"userId,omitempty"`
	ForceManualConfirm bool        `json:"forceManualConfirm,omitempty"`
}

// maxUserIDBytes is the longest userId, as a string or as the decimal
// digits of an integer, like the notificationKey the token endpoint reads.
const maxUserIDBytes = 256

// assertionClaims is the token endpoint's Config.Assertion: it reads seed
// 002's claims from a verified assertion whose notificationKey (the
// endpoint's ReplayClaim) is notificationKey. amount must be a positive
// JSON number (a string is refused), userId a string or a JSON integer
// (which becomes its decimal string, as PHP integrations often send it) of
// at most 256 bytes, and forceManualConfirm a boolean; null counts as
// absent. Claim names are matched exactly: one given twice, or a case
// variant of one ("AMOUNT"), refuses the assertion. Each refusal's
// description is the client's invalid_grant description.
func assertionClaims(raw json.RawMessage, notificationKey string) (any, error) {
	var c struct {
		Amount             json.RawMessage `json:"amount"`
		UserID             json.RawMessage `json:"userId"`
		ForceManualConfirm json.RawMessage `json:"forceManualConfirm"`
	}
	if (envelope.Decoder{AllowUnknownFields: true}).Unmarshal(raw, &c) != nil {
		return nil, tokenendpoint.InvalidGrant("Assertion claims must be named exactly and appear once")
	}
	s := sessionClaims{NotificationKey: notificationKey}
	if isNull(c.Amount) {
		return nil, tokenendpoint.InvalidGrant("Assertion amount is required")
	}
	if !isNumber(c.Amount) {
		return nil, tokenendpoint.InvalidGrant("Assertion amount must be a positive number")
	}
	if f, err := strconv.ParseFloat(string(c.Amount), 64); err != nil || !(f > 0) || math.IsInf(f, 0) {
		return nil, tokenendpoint.InvalidGrant("Assertion amount must be a positive number")
	}
	s.Amount = json.Number(c.Amount)
	if !isNull(c.UserID) {
		uid, ok := idString(c.UserID)
		if !ok || len(uid) > maxUserIDBytes {
			return nil, tokenendpoint.InvalidGrant("Assertion userId must be a string or an integer of at most 256 bytes")
		}
		s.UserID = uid
	}
	switch string(c.ForceManualConfirm) {
	case "", "null", "false":
	case "true":
		s.ForceManualConfirm = true
	default:
		return nil, tokenendpoint.InvalidGrant("Assertion forceManualConfirm must be a boolean")
	}
	return s, nil
}

func isNull(m json.RawMessage) bool { return len(m) == 0 || string(m) == "null" }

// isNumber reports whether m, valid JSON, is a number.
func isNumber(m json.RawMessage) bool {
	return len(m) > 0 && (m[0] == '-' || m[0] >= '0' && m[0] <= '9')
}

// idString decodes a JSON string, or a JSON integer as its decimal digits,
// kept as written (never through a float64, which would round integers
// beyond 2^53); -0 becomes "0". A number with a fraction or an exponent
// (PHP's json_encode writes floats that way), a boolean, an array or an
// object is no identifier.
func idString(m json.RawMessage) (string, bool) {
	switch {
	case m[0] == '"':
		var s string
		return s, json.Unmarshal(m, &s) == nil
	case !isNumber(m), bytes.ContainsAny(m, ".eE"):
		return "", false
	case string(m) == "-0":
		return "0", true
	}
	return string(m), true
}

// A session is a token-endpoint session as the voucher handlers read it.
type session struct {
	ClientID string
	// Amount is the most a client session may spend, as a decimal literal
	// such as "100" or "12.5". The token carries it as a JSON number, as
	// the assertion does, and the bearer middleware decodes claims as
	// float64, so it is exact only as far as a float64 is: every integer up
	// to 2^53 (9007199254740992) and every decimal of at most 15
	// significant digits comes back with its value, in normalised form
	// ("0.1" stays "0.1"; "100.00" and "1e2" read "100"). A longer amount
	// comes back rounded to the nearest float64, in its shortest decimal
	// form (9007199254740993 reads "9007199254740992").
	Amount json.Number
	// NotificationKey identifies the client session's transaction; it was
	// single-use per client at the token endpoint. An integer in the
	// assertion arrives as its decimal digits, exactly as written.
	NotificationKey string
	// UserID is the end user of a client session; empty when the assertion
	// named none.
	UserID string
	// ForceManualConfirm asks that vouchers reserved in the session wait
	// for a confirmation.
	ForceManualConfirm bool
}

// errNotClientSession refuses a client session whose token lacks the
// claims assertionClaims puts in every one, as a session of another kind.
var errNotClientSession = envelope.ErrForbidden.WithOAuthCode("access_denied").
	WithMessage("This route requires a client session").WithCause(tokenendpoint.ErrWrongSession)

// checkSession returns the request's session of kind
// (tokenendpoint.CheckSession) with, for a client session, its claims, or
// the refusal to write.
func checkSession(r *http.Request, kind tokenendpoint.SessionKind) (session, error) {
	ts, err := tokenendpoint.CheckSession(r, kind)
	if err != nil {
		return session{}, err
	}
	s := session{ClientID: ts.ClientID}
	if kind != tokenendpoint.SessionClient {
		return s, nil
	}
	amount, _ := ts.Claims.Get("amount")
	switch a := amount.(type) {
	case float64:
		// The shortest decimal that reads back as a: exact for the
		// precision documented on session.Amount.
		s.Amount = json.Number(strconv.FormatFloat(a, 'f', -1, 64))
	case json.Number:
		s.Amount = a
	default:
		return session{}, errNotClientSession
	}
	s.NotificationKey, _ = ts.Claims.String("notificationKey")
	s.UserID, _ = ts.Claims.String("userId")
	if v, ok := ts.Claims.Get("forceManualConfirm"); ok {
		s.ForceManualConfirm, _ = v.(bool)
	}
	if s.NotificationKey == "" {
		return session{}, errNotClientSession
	}
	return s, nil
}
