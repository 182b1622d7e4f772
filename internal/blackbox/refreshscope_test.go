package blackbox

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A refresh grants no scope the account has lost since the login: the
// session's scopes are intersected with the account's current ones, in
// both refresh-token formats. It never widens the session: a scope the
// account gains later is not added, and a lost scope comes back only if
// the account regains it.
func TestRefreshDropsLostScopes(t *testing.T) {
	ctx := context.Background()
	scopeOf := func(t *testing.T, body string) any {
		t.Helper()
		return payload(t, dataField(t, body, "access_token"))["scope"]
	}
	for name, format := range formats {
		t.Run(name, func(t *testing.T) {
			a := newLoginAPI(t, format)
			wide := a.alice
			wide.Scopes = []string{"read", "admin"}
			require.NoError(t, a.creds.Put(ctx, wide))
			at, rt := a.login(t)
			assert.Equal(t, "read admin", payload(t, at)["scope"])

			narrow := a.alice
			narrow.Scopes = []string{"read"}
			require.NoError(t, a.creds.Put(ctx, narrow))
			res := a.refresh(t, rt)
			require.Equal(t, 200, res.status, res.body)
			assert.Equal(t, "read", scopeOf(t, res.body), "admin was taken from the account")
			rt = dataField(t, res.body, "refresh_token")

			more := a.alice
			more.Scopes = []string{"write", "admin", "read"}
			require.NoError(t, a.creds.Put(ctx, more))
			res = a.refresh(t, rt)
			require.Equal(t, 200, res.status, res.body)
			assert.Equal(t, "read admin", scopeOf(t, res.body), "never wider than the login's session, in its order")
			rt = dataField(t, res.body, "refresh_token")

			none := a.alice
			none.Scopes = nil
			require.NoError(t, a.creds.Put(ctx, none))
			res = a.refresh(t, rt)
			require.Equal(t, 200, res.status, res.body)
			assert.Nil(t, scopeOf(t, res.body), "no scope left")
		})
	}
}
