// Package assertionhook is a tokenendpoint Config.Assertion hook for the
// library's own tests: the claims of a voucher API's client sessions —
// amount, userId, forceManualConfirm, and the notificationKey replay claim
// — as the examples/vouchers server declares them for itself. It is not
// part of the library.
package assertionhook

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// Vouchers returns the Config.Assertion hook, with Config.ReplayClaim
// "notificationKey", of a voucher API whose client sessions are bound to
// their assertion's amount (a positive JSON number), userId (a string or
// an integer, at most 256 bytes) and forceManualConfirm (a boolean), and
// to its notificationKey, which the session token carries too. refuse is
// tokenendpoint.InvalidGrant (passed in so that tokenendpoint's own tests
// can use the hook).
func Vouchers(refuse func(description string) error) func(claims json.RawMessage, notificationKey string) (any, error) {
	return func(raw json.RawMessage, notificationKey string) (any, error) {
		return vouchers(refuse, raw, notificationKey)
	}
}

func vouchers(refuse func(string) error, raw json.RawMessage, notificationKey string) (any, error) {
	var c struct {
		Amount             json.RawMessage `json:"amount"`
		UserID             json.RawMessage `json:"userId"`
		ForceManualConfirm json.RawMessage `json:"forceManualConfirm"`
	}
	if (envelope.Decoder{AllowUnknownFields: true}).Unmarshal(raw, &c) != nil {
		return nil, refuse("Assertion claims must be named exactly and appear once")
	}
	s := struct {
		Amount             json.Number `json:"amount,omitempty"`
		NotificationKey    string      `json:"notificationKey,omitempty"`
		UserID             string      `json:"userId,omitempty"`
		ForceManualConfirm bool        `json:"forceManualConfirm,omitempty"`
	}{NotificationKey: notificationKey}
	switch {
	case len(c.Amount) == 0 || string(c.Amount) == "null":
		return nil, refuse("Assertion amount is required")
	case !(c.Amount[0] == '-' || c.Amount[0] >= '0' && c.Amount[0] <= '9'):
		return nil, refuse("Assertion amount must be a positive number")
	}
	if f, err := strconv.ParseFloat(string(c.Amount), 64); err != nil || !(f > 0) || math.IsInf(f, 0) {
		return nil, refuse("Assertion amount must be a positive number")
	}
	s.Amount = json.Number(c.Amount)
	if len(c.UserID) > 0 && string(c.UserID) != "null" {
		uid, ok := idString(c.UserID)
		if !ok || len(uid) > 256 {
			return nil, refuse("Assertion userId must be a string or an integer of at most 256 bytes")
		}
		s.UserID = uid
	}
	switch string(c.ForceManualConfirm) {
	case "", "null", "false":
	case "true":
		s.ForceManualConfirm = true
	default:
		return nil, refuse("Assertion forceManualConfirm must be a boolean")
	}
	return s, nil
}

// idString decodes a JSON string, or a JSON integer as its decimal digits
// ("-0" as "0"); any other JSON value is no identifier.
func idString(m json.RawMessage) (string, bool) {
	switch {
	case m[0] == '"':
		var s string
		return s, json.Unmarshal(m, &s) == nil
	case !(m[0] == '-' || m[0] >= '0' && m[0] <= '9'), bytes.ContainsAny(m, ".eE"):
		return "", false
	case string(m) == "-0":
		return "0", true
	}
	return string(m), true
}
