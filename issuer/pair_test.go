package issuer_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPairJSON(t *testing.T) {
	at := time.Date(2024, 1, 15, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	base := issuer.Pair{
		AccessToken: "eyJ.a.b", RefreshToken: "rt_x",
		AccessExpiresAt: at, RefreshExpiresAt: at.Add(7 * 24 * time.Hour),
		TokenID: "jti", SessionID: "sid",
	}
	tests := []struct{ clientID, want string }{
		{"123456", `,"client_id":123456}`},
		{"0", `,"client_id":0}`},
		{"0123", `,"client_id":"0123"}`},
		{"1234567890123456", `,"client_id":"1234567890123456"}`},
		{"-5", `,"client_id":"-5"}`},
		{"my-app", `,"client_id":"my-app"}`},
		{"", `}`},
	}
	for _, tc := range tests {
		t.Run("client_id "+tc.clientID, func(t *testing.T) {
			p := base
			p.ClientID = tc.clientID
			b, err := json.Marshal(p)
			require.NoError(t, err)
			assert.Equal(t, `{"access_token":"eyJ.a.b","refresh_token":"rt_x","access_expires_at":"2024-01-15T09:30:00Z","refresh_expires_at":"2024-01-22T09:30:00Z"`+tc.want, string(b))
			assert.True(t, json.Valid(b))
		})
	}
}
