package issuance

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertionLike has the shape of the token endpoint's assertion claims:
// every claim its raw JSON text.
type assertionLike struct {
	IssuedAt json.RawMessage `json:"iat"`
	Expiry   json.RawMessage `json:"exp"`
	Issuer   json.RawMessage `json:"iss"`
	Audience json.RawMessage `json:"aud"`
	Replay   json.RawMessage `json:"jti"`
}

// smallInts has integer fields of every size and a named string type.
type smallInts struct {
	A int8   `json:"a"`
	B int16  `json:"b,omitempty"`
	C int32  `json:"c"`
	D int    `json:"d"`
	E label  `json:"e"`
	F string `json:"-"`
	G string `json:"-,"` //lint:ignore SA5008 the field named "-", on purpose
	H string
	x string // unexported: never decoded
}

var _ = smallInts{}.x

type label string

// fallbacks are claim types DecodeClaims leaves to ClaimsDecoder.
type withEmbedded struct {
	refreshLike
	Extra string `json:"extra"`
}

type withFloat struct {
	F float64 `json:"f"`
}

type withStringOpt struct {
	N int64 `json:"n,string"`
}

type foldPair struct {
	A string `json:"sid"`
	B string `json:"SID"`
}

func TestPlans(t *testing.T) {
	for _, v := range []any{refreshLike{}, assertionLike{}, smallInts{}} {
		assert.NotNil(t, planFor(reflect.TypeOf(v)), "%T is decoded by DecodeStrict", v)
	}
	for _, v := range []any{withEmbedded{}, withFloat{}, withStringOpt{}, foldPair{}, struct {
		A string `envelope:"required"`
	}{}, struct {
		R json.Number
	}{}} {
		assert.Nil(t, planFor(reflect.TypeOf(v)), "%T falls back to ClaimsDecoder", v)
	}
	assert.Equal(t, planFor(reflect.TypeOf(refreshLike{})), planFor(reflect.TypeOf(refreshLike{})), "plans are cached")
}

// claimTexts are claim sets at the edges of the strict decoder.
var claimTexts = []string{
	`{"iss":"https://rewards.example","sub":"user-42","aud":"https://rewards.example","exp":4102444800,"iat":1735689600,"auth_time":1735689600,"sid":"s1","tenant":"acme","token_use":"refresh","jti":"j1"}`,
	`{}`, `null`, ` null `, `[]`, `"x"`, `1`, `true`, ``, `{`, `{}x`, `{} {}`, " \n{\t}\r\n",
	`{"sub":"a","sub":"b"}`, `{"sub":"a","SUB":"b"}`, `{"SUB":"b"}`, `{"Sub":"b"}`, `{"s\u0075b":"a"}`, `{"s\u0075b":"a","sub":"b"}`,
	`{"x":1,"x":2}`, `{"x":{"y":1,"y":2}}`, `{"x":[{"y":1},{"y":1,"y":2}]}`, `{"x":{"y":{"z":[{"w":1,"w":1}]}}}`, `{"x":{"Y":1,"y":2}}`,
	`{"exp":1.5}`, `{"exp":1e3}`, `{"exp":-0}`, `{"exp":"1"}`, `{"exp":null}`, `{"exp":true}`, `{"exp":9223372036854775807}`, `{"exp":9223372036854775808}`, `{"exp":-9223372036854775809}`,
	`{"x":1e400}`, `{"x":[1e999,-1e999]}`, `{"exp":1e400}`,
	`{"tenant":null}`, `{"tenant":""}`, `{"tenant":1}`, `{"tenant":"a","tenant":null}`, `{"sid":null}`, `{"sid":["a"]}`, `{"sid":{"a":1}}`,
	"{\"sub\":\"a\xffb\"}", `{"sub":"\ud800"}`, `{"sub":"a\nb"}`, "{\"sub\":\"a\x01\"}", `{"sub":"\q"}`,
	`{"a":127,"b":32767,"c":2147483647,"d":-1}`, `{"a":128}`, `{"b":-32769}`, `{"c":2147483648}`, `{"e":"lbl","H":"h"}`, `{"h":"h"}`, `{"F":"f","-":"dash"}`,
	`{"iat":1,"exp":null,"iss":"c","aud":["a",1],"jti":12345678901234567890}`, `{"iat":{"a":[1,2]},"jti":1e999}`, `{"IAT":1}`, `{"Jti":"x"}`,
	`{"x":` + strings.Repeat(`[`, 9998) + strings.Repeat(`]`, 9998) + `}`,
	`{"x":` + strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000) + `}`,
	`{"a":1,"b":2,"c":3,"d":4,"e2":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"a":19}`,
}

// compareDecoders decodes text with DecodeClaims and ClaimsDecoder into
// two values of new's type, both starting as start, and fails unless both
// succeed alike and leave the same value.
func compareDecoders(t *testing.T, text string, start any) {
	t.Helper()
	typ := reflect.TypeOf(start)
	a, b := reflect.New(typ), reflect.New(typ)
	a.Elem().Set(reflect.ValueOf(start))
	b.Elem().Set(reflect.ValueOf(start))
	// The pointers of the start value are copied, so that neither decode
	// writes through the other's.
	deepCopyPointers(a.Elem())
	deepCopyPointers(b.Elem())
	errA := DecodeClaims([]byte(text), a.Interface())
	errB := ClaimsDecoder.Unmarshal([]byte(text), b.Interface())
	if (errA == nil) != (errB == nil) {
		t.Fatalf("%T %q: DecodeClaims err=%v, ClaimsDecoder err=%v", start, short(text), errA, errB)
	}
	if errA == nil && !reflect.DeepEqual(a.Elem().Interface(), b.Elem().Interface()) {
		t.Fatalf("%T %q: DecodeClaims %+v, ClaimsDecoder %+v", start, short(text), a.Elem().Interface(), b.Elem().Interface())
	}
}

func deepCopyPointers(v reflect.Value) {
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() && f.CanSet() {
			n := reflect.New(f.Type().Elem())
			n.Elem().Set(f.Elem())
			f.Set(n)
		}
	}
}

func short(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// starts are the values each text is decoded into: zero, and pre-set (a
// null or an absent claim leaves a field as it is; a null clears a
// pointer, a string goes into the pointer's own string).
func starts() []any {
	tenant := "preset"
	return []any{
		refreshLike{}, refreshLike{Subject: "preset", ExpiresAt: 7, Tenant: &tenant},
		assertionLike{}, assertionLike{Issuer: json.RawMessage(`"preset"`)},
		smallInts{}, smallInts{A: 1, E: "preset", F: "keep"},
	}
}

func TestDecodeClaimsMatchesClaimsDecoder(t *testing.T) {
	for _, text := range claimTexts {
		ss := starts()
		if len(text) > 4096 {
			ss = ss[:1] // the deeply nested texts: once is enough
		}
		for _, start := range ss {
			compareDecoders(t, text, start)
		}
	}
	// A refresh JWT's claims, read.
	var c refreshLike
	require.NoError(t, DecodeClaims([]byte(claimTexts[0]), &c))
	assert.Equal(t, "user-42", c.Subject)
	assert.Equal(t, int64(4102444800), c.ExpiresAt)
	require.NotNil(t, c.Tenant)
	assert.Equal(t, "acme", *c.Tenant)
}

// FuzzDecodeClaims: DecodeClaims accepts and refuses what ClaimsDecoder
// accepts and refuses, and decodes to the same values, for the issuer's
// and the token endpoint's claim shapes.
func FuzzDecodeClaims(f *testing.F) {
	for _, s := range claimTexts {
		if len(s) < 4096 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, start := range starts() {
			compareDecoders(t, text, start)
		}
	})
}

func TestParseRefusals(t *testing.T) {
	s, tok := benchRefreshToken(t)
	var c refreshLike
	require.NoError(t, s.Parse(tok, s.RefreshType(), &c))
	i := strings.LastIndexByte(tok, '.')
	h, _, _ := strings.Cut(tok, ".")
	for name, bad := range map[string]string{
		"two segments":     tok[:i],
		"forged":           tok[:i+1] + strings.Repeat("A", len(tok)-i-1),
		"wrong typ":        tok,
		"header not JSON":  b64("{") + tok[len(h):],
		"header null":      b64("null") + tok[len(h):],
		"padded signature": tok + "=",
	} {
		want := s.RefreshType()
		if name == "wrong typ" {
			want = s.Type()
		}
		assert.Error(t, s.Parse(bad, want, &c), name)
	}
	// The header as golang-jwt reads it into a map: the last member wins.
	hdr := fmt.Sprintf(`{"alg":"none","alg":"HS256","typ":"x","typ":%q}`, s.RefreshType())
	tok2, err := s.signWith([]byte(b64(hdr)+"."), []byte(`{"sub":"x"}`))
	require.NoError(t, err)
	require.NoError(t, s.Parse(tok2, s.RefreshType(), &c))
	assert.Equal(t, "x", c.Subject)
	// application/ + typ.
	tok3, err := s.signWith([]byte(b64(`{"alg":"HS256","typ":"application/`+s.RefreshType()+`"}`)+"."), []byte(`{}`))
	require.NoError(t, err)
	require.NoError(t, s.Parse(tok3, s.RefreshType(), &c))
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestParseLineBreaks: a line break inside the signature segment is
// skipped, as encoding/base64 (and so golang-jwt's parser) skips it; one
// in the header or the payload changes the signing input.
func TestParseLineBreaks(t *testing.T) {
	s, tok := benchRefreshToken(t)
	parts := strings.Split(tok, ".")
	var c refreshLike
	for _, ok := range []string{
		parts[0] + "." + parts[1] + "." + parts[2][:8] + "\n" + parts[2][8:],
		parts[0] + "." + parts[1] + "." + parts[2] + "\r\n",
	} {
		assert.NoError(t, s.Parse(ok, s.RefreshType(), &c), "%q", ok)
		assert.Equal(t, "user-42", c.Subject)
	}
	for _, bad := range []string{
		parts[0] + "." + parts[1][:8] + "\n" + parts[1][8:] + "." + parts[2],
		parts[0][:4] + "\r\n" + parts[0][4:] + "." + parts[1] + "." + parts[2],
	} {
		assert.Error(t, s.Parse(bad, s.RefreshType(), &c), "%q", bad)
	}
}
