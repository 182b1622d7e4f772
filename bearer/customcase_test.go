package bearer

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCustomClaimsExactNames: Config.Custom decodes claims with exact
// member names, so a claim that differs from a field of C only by case
// ("ROLES" for "roles") neither fills nor overrides it: the token is
// refused, as it is when it repeats a claim.
func TestCustomClaimsExactNames(t *testing.T) {
	c := newClock(t0)
	s := newSigner(t, "HS256", "")
	cfg := baseConfig(c, s)
	cfg.Custom = Custom[orgClaims](nil)
	a := mustNew(t, cfg)

	m := claimsAt(t0)
	m["org"], m["roles"], m["other"], m["OTHER"] = "acme", []string{"reader"}, 1, 2
	p, err := a.Check(bearerRequest(s.sign(t, m, nil)))
	require.NoError(t, err, "unknown members in any case are fine")
	assert.Equal(t, orgClaims{Org: "acme", Roles: []string{"reader"}}, *p.Claims.(*orgClaims))

	for _, extra := range []map[string]any{
		{"ROLES": []string{"admin"}},
		{"Org": "evil"},
	} {
		m := claimsAt(t0)
		m["org"], m["roles"] = "acme", []string{"reader"}
		for k, v := range extra {
			m[k] = v
		}
		_, err := a.Check(bearerRequest(s.sign(t, m, nil)))
		assert.ErrorIs(t, err, ErrClaims, "%v", extra)
	}
}
