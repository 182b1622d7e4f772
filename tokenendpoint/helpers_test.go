package tokenendpoint_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/storekit"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/stretchr/testify/require"
)

// testSecret is a 32-byte HS256 secret.
var testSecret = []byte("0123456789abcdef0123456789abcdef")

// clock is a settable test clock.
type clock = storekit.Clock

func newClock() *clock { return storekit.NewClock() }

// throttle is the tests' Throttle (storekit.Throttle).
type throttle = storekit.Throttle

func newThrottle(limit int) *throttle { return storekit.NewThrottle(limit) }

// clientKey is the Throttle key of the client_id id: "client:" and its
// SHA-256, base64url encoded.
func clientKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "client:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// events collects audit events.
type events = storekit.Events

// errorBody returns the nested error of a response.
func errorBody(t testing.TB, w *httptest.ResponseRecorder) (name, code, message string) {
	t.Helper()
	var b struct {
		Error struct{ Name, Code, Message string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &b), w.Body.String())
	return b.Error.Name, b.Error.Code, b.Error.Message
}

// sessionClaims are the session claims a handler reads from a token of
// the fixture's endpoint.
type sessionClaims struct {
	Kind               tokenendpoint.SessionKind
	ClientID           string
	Amount             json.Number
	NotificationKey    string
	UserID             string
	ForceManualConfirm bool
}

func sessionClaimsOf(s tokenendpoint.Session) sessionClaims {
	c := sessionClaims{Kind: s.Kind, ClientID: s.ClientID}
	if a, ok := s.Claims.Get("amount"); ok {
		if f, ok := a.(float64); ok {
			c.Amount = json.Number(strconv.FormatFloat(f, 'f', -1, 64))
		}
	}
	c.NotificationKey, _ = s.Claims.String("notificationKey")
	c.UserID, _ = s.Claims.String("userId")
	if v, ok := s.Claims.Get("forceManualConfirm"); ok {
		c.ForceManualConfirm, _ = v.(bool)
	}
	return c
}

// mustMemoryReplay returns a new MemoryReplay on the clock now, with the
// default bounds.
func mustMemoryReplay(now func() time.Time) *tokenendpoint.MemoryReplay {
	m, err := tokenendpoint.NewMemoryReplay(tokenendpoint.MemoryReplayConfig{Now: now})
	if err != nil {
		panic(err)
	}
	return m
}
