package bearer

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenFromHeader(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		token  string
		want   reason
	}{
		{"absent", nil, "", rMissing},
		{"empty", []string{""}, "", rMissing},
		{"bearer", []string{"Bearer abc"}, "abc", rOK},
		{"lower case scheme", []string{"bearer abc"}, "abc", rOK},
		{"mixed case scheme", []string{"BeArEr abc"}, "abc", rOK},
		{"several spaces", []string{"Bearer    abc"}, "abc", rOK},
		{"bare Bearer", []string{"Bearer"}, "", rEmpty},
		{"bare lower-case bearer", []string{"bearer"}, "", rEmpty},
		{"Bearer and one space", []string{"Bearer "}, "", rEmpty},
		{"Bearer and spaces", []string{"Bearer   "}, "", rEmpty},
		{"Bearer, space, tab", []string{"Bearer \t"}, "", rEmpty},
		{"Bearer and a tab", []string{"Bearer\t"}, "", rEmpty},
		{"Bearer and mixed whitespace", []string{"bEaReR \t "}, "", rEmpty},
		{"trailing whitespace", []string{"Bearer abc \t"}, "abc", rOK},
		{"inner whitespace kept", []string{"Bearer a b "}, "a b", rOK},
		{"no prefix", []string{"eyJhbGciOiJIUzI1NiJ9.e30.sig"}, "", rOtherScheme},
		{"other scheme", []string{"Basic dXNlcjpwYXNz"}, "", rOtherScheme},
		{"short other value", []string{"abc"}, "", rOtherScheme},
		{"tab separator (RFC 9110 OWS)", []string{"Bearer\tabc"}, "abc", rOK},
		{"scheme prefix only", []string{"Bearerabc"}, "", rMalformed},
		{"two lines", []string{"Bearer a", "Bearer b"}, "", rMultiple},
		{"too long", []string{"Bearer " + strings.Repeat("a", MaxHeaderBytes)}, "", rMalformed},
		{"just under the cap", []string{"Bearer " + strings.Repeat("a", MaxHeaderBytes-7)}, strings.Repeat("a", MaxHeaderBytes-7), rOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.values != nil {
				h["Authorization"] = tc.values
			}
			tok, _, rs := tokenFromHeader(h, false)
			assert.Equal(t, tc.want, rs)
			assert.Equal(t, tc.token, tok)
		})
	}
}

func TestValidToken(t *testing.T) {
	for tok, want := range map[string]bool{
		"abc":           true,
		"a.b.c":         true,
		"A-Z_a~z+0/9":   true,
		"abc==":         true,
		"=":             false,
		"":              false,
		"ab=c":          false,
		"a b":           false,
		"a,b":           false,
		"a\"b":          false,
		"a\x00b":        false,
		"abc\u00e9":     false,
		"Bearer%20abc":  false,
		"tok;drop":      false,
		"eyJ.eyJ.sig==": true,
	} {
		assert.Equal(t, want, validToken(tok), tok)
	}
	// validToken checks eight bytes at a time: a bad byte is found at
	// every position, in the blocks and in the tail.
	long := strings.Repeat("abcdefgh", 5) + "xyz"
	require.True(t, validToken(long))
	require.True(t, validToken(long+"=="))
	for i := range len(long) {
		for _, c := range []byte{' ', '=', ',', 0x80, 0} {
			if c == '=' && i == len(long)-1 {
				continue // trailing padding is allowed
			}
			bad := long[:i] + string([]byte{c}) + long[i+1:]
			assert.False(t, validToken(bad), "%q at %d", c, i)
		}
	}
}

// b64tokenRE is the RFC 6750 §2.1 grammar, the reference for validToken.
var b64tokenRE = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

func FuzzTokenFromHeader(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  a.b.c", "Basic x", "Bearer", "", "Bearer a b", "BEARER ===", "Bearer\t", "bEaReR \t ", "Bearer\tabc\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, _, rs := tokenFromHeader(http.Header{"Authorization": {v}}, false)
		switch rs {
		case rOK:
			// The token is what follows "Bearer" and whitespace, less
			// trailing whitespace (RFC 9110 OWS: spaces and tabs).
			if tok == "" || len(v) > MaxHeaderBytes || !strings.EqualFold(v[:6], "bearer") ||
				(v[6] != ' ' && v[6] != '\t') || tok != strings.Trim(v[6:], " \t") {
				t.Fatalf("accepted %q as token %q", v, tok)
			}
		case rMissing:
			if v != "" {
				t.Fatalf("%q reported missing", v)
			}
		case rEmpty:
			if !strings.EqualFold(v[:6], "bearer") || strings.Trim(v[6:], " \t") != "" {
				t.Fatalf("%q reported as a Bearer header without a token", v)
			}
		case rOtherScheme:
			if len(v) >= 6 && strings.EqualFold(v[:6], "bearer") {
				t.Fatalf("%q reported as another scheme", v)
			}
		case rMalformed:
			if len(v) <= MaxHeaderBytes && (len(v) < 6 || !strings.EqualFold(v[:6], "bearer")) {
				t.Fatalf("%q reported malformed, not another scheme", v)
			}
		default:
			t.Fatalf("unexpected reason %d", rs)
		}
		if got, want := validToken(tok), b64tokenRE.MatchString(tok); got != want {
			t.Fatalf("validToken(%q) = %v, want %v", tok, got, want)
		}
	})
}

func TestExportedTokenFromHeader(t *testing.T) {
	for _, tc := range []struct {
		values []string
		token  string
		err    error
	}{
		{nil, "", ErrNoToken},
		{[]string{""}, "", ErrNoToken},
		{[]string{"Bearer \t"}, "", ErrNoToken},
		{[]string{"Basic abc"}, "", ErrOtherScheme},
		{[]string{"Bearer a", "Bearer b"}, "", ErrMultipleHeaders},
		{[]string{"Bearerabc"}, "", ErrMalformedHeader},
		{[]string{"Bearer a b"}, "", ErrMalformedHeader},
		{[]string{"Bearer a,b"}, "", ErrMalformedHeader},
		{[]string{"Bearer " + strings.Repeat("a", MaxHeaderBytes)}, "", ErrMalformedHeader},
		{[]string{"bearer\ta.b-c_~+/==\t"}, "a.b-c_~+/==", nil},
	} {
		h := http.Header{}
		if tc.values != nil {
			h["Authorization"] = tc.values
		}
		tok, err := TokenFromHeader(h)
		assert.ErrorIs(t, err, tc.err, "%q", tc.values)
		if tc.err == nil {
			assert.NoError(t, err, "%q", tc.values)
		}
		assert.Equal(t, tc.token, tok, "%q", tc.values)
	}
}

// TokenFromHeaderDPoP reads a DPoP value exactly as TokenFromHeader reads
// the same value with "Bearer" in place of its scheme, says which scheme
// it was (also when it is refused), and still reads Bearer values.
func TestExportedTokenFromHeaderDPoP(t *testing.T) {
	for _, rest := range []string{"", " \t", " abc", "\tabc ", " a.b-c_~+/==", "abc", " a b", " a,b", " " + strings.Repeat("a", MaxHeaderBytes)} {
		for _, scheme := range []string{"DPoP", "dpop", "DPOP"} {
			h := http.Header{"Authorization": {scheme + rest}}
			tok, isDPoP, err := TokenFromHeaderDPoP(h)
			wantTok, wantErr := TokenFromHeader(http.Header{"Authorization": {"Bearer" + rest}})
			assert.Equal(t, wantTok, tok, "%q", scheme+rest)
			assert.Equal(t, wantErr, err, "%q", scheme+rest)
			if len(scheme+rest) <= MaxHeaderBytes {
				assert.True(t, isDPoP, "%q", scheme+rest)
			}
		}
	}
	tok, isDPoP, err := TokenFromHeaderDPoP(http.Header{"Authorization": {"Bearer abc"}})
	assert.NoError(t, err)
	assert.False(t, isDPoP)
	assert.Equal(t, "abc", tok)
	_, _, err = TokenFromHeaderDPoP(http.Header{"Authorization": {"DPoP a", "DPoP b"}})
	assert.ErrorIs(t, err, ErrMultipleHeaders)
}
