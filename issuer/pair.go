package issuer

import (
	"time"

	"github.com/gatehouse-go/gatehouse/internal/issuance"
)

// A Pair is what Login and Refresh answer: an access token and the refresh
// token that renews it. It marshals to this data object:
//
//	{"access_token":"…","refresh_token":"…","access_expires_at":"2024-01-15T10:30:00Z",
//	 "refresh_expires_at":"2024-01-22T09:30:00Z","client_id":123456}
//
// client_id is a JSON number when ClientID is a decimal integer of at most
// 15 digits (exact in every JSON parser), otherwise a string, and is left
// out when empty. An access token bound to a DPoP key (JKT set) adds
// "token_type":"DPoP" after "access_token" (RFC 9449 §5); a bearer token's
// answer has no token_type. TokenID, SessionID and JKT are not rendered.
type Pair struct {
	AccessToken      string
	RefreshToken     string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	ClientID         string
	TokenID          string // the access token's jti
	SessionID        string // the refresh family id, the access token's sid
	// JKT is the RFC 7638 thumbprint of the DPoP key the access token is
	// bound to (its "cnf" "jkt"), "" for a bearer token.
	JKT string
}

func newPair(at AccessToken, rt string, rtExp time.Time, sid, clientID, jkt string) Pair {
	return Pair{
		AccessToken:      at.Token,
		RefreshToken:     rt,
		AccessExpiresAt:  at.ExpiresAt,
		RefreshExpiresAt: rtExp,
		ClientID:         clientID,
		TokenID:          at.ID,
		SessionID:        sid,
		JKT:              jkt,
	}
}

// MarshalJSON renders p in the shape above.
func (p Pair) MarshalJSON() ([]byte, error) {
	// 168: the members' names, both times, the DPoP token_type and the
	// client_id's name and quotes, so that one allocation holds it all.
	b := make([]byte, 0, 168+len(p.AccessToken)+len(p.RefreshToken)+len(p.ClientID))
	b = append(b, `{"access_token":`...)
	b = issuance.AppendJSONString(b, p.AccessToken)
	if p.JKT != "" {
		b = append(b, `,"token_type":"`+issuance.TokenTypeDPoP+`"`...)
	}
	b = append(b, `,"refresh_token":`...)
	b = issuance.AppendJSONString(b, p.RefreshToken)
	b = append(b, `,"access_expires_at":"`...)
	b = p.AccessExpiresAt.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","refresh_expires_at":"`...)
	b = p.RefreshExpiresAt.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, '"')
	if p.ClientID != "" {
		b = append(b, `,"client_id":`...)
		if isJSONInteger(p.ClientID) {
			b = append(b, p.ClientID...)
		} else {
			b = issuance.AppendJSONString(b, p.ClientID)
		}
	}
	return append(b, '}'), nil
}

// isJSONInteger reports whether s is a canonical decimal integer of 1 to 15
// digits (no sign, no leading zero).
func isJSONInteger(s string) bool {
	if len(s) == 0 || len(s) > 15 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
