package envelope_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/envelope"
)

type loginBody struct {
	Username string   `json:"username" envelope:"required"`
	Password string   `json:"password" envelope:"required"`
	Remember bool     `json:"remember"`
	Roles    []string `json:"roles"`
}

type rolesBody struct {
	Username string   `json:"username" envelope:"required"`
	Password string   `json:"password" envelope:"required"`
	Roles    []string `json:"roles" envelope:"required"`
}

func newJSONRequest(body, contentType string) *http.Request {
	r := httptest.NewRequest("POST", "/auth/login", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestDecode(t *testing.T) {
	const ct = "application/json"
	cases := []struct {
		name    string
		body    string
		ct      string
		want    error
		message string
	}{
		{"valid", `{"username":"demo","password":"pw"}`, ct, nil, ""},
		{"valid with charset", `{"username":"demo","password":"pw"}`, "application/json; charset=utf-8", nil, ""},
		{"valid +json", `{"username":"demo","password":"pw"}`, "application/vnd.api+json", nil, ""},
		{"trailing whitespace ok", "{\"username\":\"demo\",\"password\":\"pw\"}\n\t ", ct, nil, ""},
		{"no content type", `{"username":"demo","password":"pw"}`, "", envelope.ErrUnsupportedMediaType, ""},
		{"form content type", `username=demo`, "application/x-www-form-urlencoded", envelope.ErrUnsupportedMediaType, ""},
		{"latin1 charset", `{}`, "application/json; charset=latin1", envelope.ErrUnsupportedMediaType, ""},
		{"garbage content type", `{}`, ";;;", envelope.ErrUnsupportedMediaType, ""},
		{"empty body", ``, ct, envelope.ErrSyntax, "Request body is empty"},
		{"malformed", `{"username":`, ct, envelope.ErrSyntax, "Invalid JSON in request body"},
		{"not json", `hello`, ct, envelope.ErrSyntax, "Invalid JSON in request body"},
		{"trailing data", `{"username":"demo","password":"pw"}{}`, ct, envelope.ErrSyntax, "Unexpected data after JSON body"},
		{"trailing garbage", `{"username":"demo","password":"pw"} x`, ct, envelope.ErrSyntax, "Unexpected data after JSON body"},
		{"missing field", `{"username":"demo"}`, ct, envelope.ErrValidation, "Missing required field: password"},
		{"empty field", `{"username":"","password":"pw"}`, ct, envelope.ErrValidation, "Missing required field: username"},
		{"empty array field", `{"username":"demo","password":"pw","roles":[]}`, ct, envelope.ErrValidation, "Missing required field: roles"},
		{"null body", `null`, ct, envelope.ErrValidation, "Request body must be a JSON object"},
		{"wrong type", `{"username":42,"password":"pw"}`, ct, envelope.ErrValidation, "Invalid type for field: username"},
		{"array body", `[1,2]`, ct, envelope.ErrValidation, "Request body must be a JSON object"},
		{"unknown field", `{"username":"demo","password":"pw","admin":true}`, ct, envelope.ErrValidation, "Unknown field: admin"},
		{"unknown odd field name", `{"username":"demo","password":"pw","<script>":1}`, ct, envelope.ErrValidation, "Unknown field in request body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var dst loginBody
			var target any = &dst
			if strings.Contains(tc.body, "roles") {
				target = &rolesBody{}
			}
			err := envelope.Decode(httptest.NewRecorder(), newJSONRequest(tc.body, tc.ct), target)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, "demo", dst.Username)
				return
			}
			require.ErrorIs(t, err, tc.want)
			if tc.message != "" {
				assert.Equal(t, tc.message, envelope.As(err).Message)
			}
		})
	}
}

// nestedBody has every shape the member check follows: a nested struct,
// a pointer to one, a slice of them, a map and an embedded struct.
type nestedBody struct {
	Client  clientBody            `json:"client"`
	Backup  *clientBody           `json:"backup"`
	Clients []clientBody          `json:"clients"`
	Labels  map[string]clientBody `json:"labels"`
	Extra   any                   `json:"extra"`
	embeddedBody
	Ignored string `json:"-"`
}

type clientBody struct {
	ID string `json:"client_id"`
}

type embeddedBody struct {
	Tenant string `json:"tenant"`
}

// TestDecodeExactMembers checks that a body cannot mean two things: a
// member given twice, or one that matches a field only when case is
// ignored, is refused (encoding/json alone would take the last one, and
// match "USERNAME" to "username").
func TestDecodeExactMembers(t *testing.T) {
	cases := []struct {
		name, body, message string
		field               string
	}{
		{"duplicate", `{"username":"alice","password":"pw","username":"admin"}`, "Duplicate field: username", "username"},
		{"case-folded", `{"username":"alice","password":"pw","USERNAME":"admin"}`, "Unknown field: USERNAME", "USERNAME"},
		{"case-folded alone", `{"Username":"alice","password":"pw"}`, "Unknown field: Username", "Username"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, d := range []envelope.Decoder{{}, {AllowUnknownFields: true}} {
				var dst loginBody
				err := d.Decode(httptest.NewRecorder(), newJSONRequest(tc.body, "application/json"), &dst)
				require.ErrorIs(t, err, envelope.ErrValidation)
				e := envelope.As(err)
				assert.Equal(t, tc.message, e.Message)
				assert.Equal(t, tc.field, e.Field)
			}
		})
	}

	nested := []struct {
		name, body, message string
	}{
		{"valid", `{"client":{"client_id":"a"},"backup":{"client_id":"b"},"clients":[{"client_id":"c"}],` +
			`"labels":{"x":{"client_id":"d"},"X":{"client_id":"e"}},"extra":{"A":1,"a":2},"tenant":"t"}`, ""},
		{"nested struct duplicate", `{"client":{"client_id":"a","client_id":"b"}}`, "Duplicate field: client_id"},
		{"nested struct case", `{"client":{"CLIENT_ID":"a"}}`, "Unknown field: CLIENT_ID"},
		{"pointer struct case", `{"backup":{"Client_Id":"a"}}`, "Unknown field: Client_Id"},
		{"slice element case", `{"clients":[{"client_id":"a"},{"CLIENT_ID":"b"}]}`, "Unknown field: CLIENT_ID"},
		{"map value case", `{"labels":{"x":{"CLIENT_ID":"a"}}}`, "Unknown field: CLIENT_ID"},
		{"map key duplicate", `{"labels":{"x":{},"x":{}}}`, "Duplicate field: x"},
		{"escaped duplicate", `{"labels":{"x":{},"\u0078":{}}}`, "Duplicate field: x"},
		{"odd name duplicate", `{"labels":{"<x>":{},"<x>":{}}}`, "Duplicate field in request body"},
		{"many members duplicate", `{"labels":{` + manyMembers(40) + `,"m7":{}}}`, "Duplicate field: m7"},
		{"many members", `{"labels":{` + manyMembers(40) + `},"client":{"client_id":"a"}}`, ""},
		{"interface duplicate", `{"extra":{"a":1,"a":2}}`, "Duplicate field: a"},
		{"embedded case", `{"TENANT":"t"}`, "Unknown field: TENANT"},
		{"embedded duplicate", `{"tenant":"t","tenant":"u"}`, "Duplicate field: tenant"},
	}
	for _, tc := range nested {
		t.Run(tc.name, func(t *testing.T) {
			var dst nestedBody
			err := envelope.Decode(httptest.NewRecorder(), newJSONRequest(tc.body, "application/json"), &dst)
			if tc.message == "" {
				require.NoError(t, err)
				if len(dst.Labels) > 2 {
					return
				}
				assert.Equal(t, "e", dst.Labels["X"].ID, "map keys keep their case")
				assert.Equal(t, "t", dst.Tenant)
				return
			}
			require.ErrorIs(t, err, envelope.ErrValidation)
			assert.Equal(t, tc.message, envelope.As(err).Message)
		})
	}
}

// Shadowing types: Profile at depth 1 (through shadowB) hides the
// Profile of depth 2 (through shadowA's embedded shadowC), as in
// encoding/json, whichever embedded struct comes first.
type shadowC struct{ Profile string }
type shadowA struct{ shadowC }
type shadowB struct {
	Profile struct {
		Username string `json:"username"`
	}
}
type shadowBody struct {
	shadowA
	shadowB
}

// TestDecodeMembersFollowEncodingJSON checks the member check reads names
// and fields as encoding/json does: the shallower of two promoted fields,
// and invalid UTF-8 in names turned into U+FFFD (so two names that differ
// only in invalid bytes are the same member).
func TestDecodeMembersFollowEncodingJSON(t *testing.T) {
	var dst shadowBody
	err := envelope.Decode(nil, newJSONRequest(`{"Profile":{"USERNAME":"admin"}}`, "application/json"), &dst)
	require.ErrorIs(t, err, envelope.ErrValidation)
	assert.Equal(t, "Unknown field: USERNAME", envelope.As(err).Message)
	require.NoError(t, envelope.Decode(nil, newJSONRequest(`{"Profile":{"username":"alice"}}`, "application/json"), &dst))
	assert.Equal(t, "alice", dst.shadowB.Profile.Username)

	var m struct {
		Labels map[string]string `json:"labels"`
	}
	err = envelope.Decode(nil, newJSONRequest("{\"labels\":{\"a\xff\":\"first\",\"a\xfe\":\"second\"}}", "application/json"), &m)
	require.ErrorIs(t, err, envelope.ErrValidation)
	assert.Equal(t, "Duplicate field in request body", envelope.As(err).Message)
}

// manyMembers returns n distinct members "m0":{}, "m1":{}, … as the inside
// of an object.
func manyMembers(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"m%d":{}`, i)
	}
	return b.String()
}

func TestDecodeNeverEchoesValues(t *testing.T) {
	const secret = "hunter2-secret-value"
	for _, body := range []string{
		`{"username":"` + secret + `","password":12}`,
		`{"username":"demo","password":"pw","x":"` + secret + `"}`,
		`{"username":"` + secret,
	} {
		rec := httptest.NewRecorder()
		r := newJSONRequest(body, "application/json")
		envelope.Write(rec, r, envelope.Decode(rec, r, &loginBody{}))
		assert.NotContains(t, rec.Body.String(), secret)
		assert.Equal(t, 400, rec.Code)
	}
}

func TestDecodeSizeCap(t *testing.T) {
	big := `{"username":"` + strings.Repeat("a", 100) + `","password":"pw"}`
	d := envelope.Decoder{MaxBytes: 64}

	t.Run("declared length", func(t *testing.T) {
		err := d.Decode(httptest.NewRecorder(), newJSONRequest(big, "application/json"), &loginBody{})
		assert.ErrorIs(t, err, envelope.ErrPayloadTooLarge)
	})
	t.Run("chunked body", func(t *testing.T) {
		r := newJSONRequest("", "application/json")
		r.Body = ioNopCloser{bytes.NewReader([]byte(big))}
		r.ContentLength = -1
		err := d.Decode(httptest.NewRecorder(), r, &loginBody{})
		assert.ErrorIs(t, err, envelope.ErrPayloadTooLarge)
	})
	t.Run("default cap", func(t *testing.T) {
		huge := `{"username":"` + strings.Repeat("a", envelope.DefaultMaxBodyBytes) + `","password":"pw"}`
		err := envelope.Decode(httptest.NewRecorder(), newJSONRequest(huge, "application/json"), &loginBody{})
		assert.ErrorIs(t, err, envelope.ErrPayloadTooLarge)
	})
}

func TestDecodeAllowUnknown(t *testing.T) {
	var dst loginBody
	err := envelope.Decoder{AllowUnknownFields: true}.Decode(nil,
		newJSONRequest(`{"username":"demo","password":"pw","extra":1}`, "application/json"), &dst)
	require.NoError(t, err)
}

func TestDecodeBadDestination(t *testing.T) {
	err := envelope.Decode(nil, newJSONRequest(`{}`, "application/json"), nil)
	require.Error(t, err)
	assert.Equal(t, 500, envelope.As(err).Status)
}

type ioNopCloser struct{ *bytes.Reader }

func (ioNopCloser) Close() error { return nil }

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"username":"a","password":"b"}`, `{"username":"a","password":"b","USERNAME":"c"}`, `{"username":"a","password":"b","username":"c"}`, `{"username":1}`, `[]`, `null`, `{"a":`, `{} {}`, "\xff", `{"username":"a","password":"b","remember":true}`} {
		f.Add(s, "application/json")
	}
	f.Add(`{}`, "text/plain")
	f.Fuzz(func(t *testing.T, body, ct string) {
		var dst loginBody
		r := newJSONRequest(body, ct)
		err := envelope.Decoder{MaxBytes: 1 << 10}.Decode(httptest.NewRecorder(), r, &dst)
		if err == nil {
			if dst.Username == "" || dst.Password == "" {
				t.Fatalf("required fields empty without error: %q", body)
			}
			// Every top-level member is one of loginBody's, exactly, once.
			dec := json.NewDecoder(strings.NewReader(body))
			seen := map[string]bool{}
			for depth := 0; ; {
				tok, err := dec.Token()
				if err != nil {
					break
				}
				switch tok {
				case json.Delim('{'), json.Delim('['):
					depth++
					continue
				case json.Delim('}'), json.Delim(']'):
					depth--
					continue
				}
				if name, ok := tok.(string); ok && depth == 1 {
					if seen[name] || !slices.Contains([]string{"username", "password", "remember", "roles"}, name) {
						t.Fatalf("accepted member %q twice or not exactly: %q", name, body)
					}
					seen[name] = true
					var skip json.RawMessage
					if err := dec.Decode(&skip); err != nil {
						t.Fatalf("re-reading an accepted body: %v", err)
					}
				}
			}
			return
		}
		var e *envelope.Error
		if !errors.As(err, &e) {
			t.Fatalf("non-envelope error %T", err)
		}
		if e.Status != 400 && e.Status != 413 && e.Status != 415 {
			t.Fatalf("unexpected status %d for %q", e.Status, body)
		}
		if len(body) > 8 && strings.Contains(e.Message, body) {
			t.Fatalf("message echoes the body: %q", e.Message)
		}
	})
}

// BenchmarkDecode is a login body through the strict decoder, beside
// encoding/json alone (the same DisallowUnknownFields decode of the same
// bytes, without the member check, the size cap and the required check).
func BenchmarkDecode(b *testing.B) {
	const body = `{"username":"alice@example.com","password":"correct horse battery staple"}`
	b.Run("Decoder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var dst loginBody
			if err := envelope.Decode(nil, newJSONRequest(body, "application/json"), &dst); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var dst loginBody
			r := newJSONRequest(body, "application/json")
			dec := json.NewDecoder(r.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&dst); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A required field promoted from an embedded struct (one encoding/json
// reads into the same object) is required too, also behind a nil
// embedded pointer.
func TestDecodeRequiredInEmbeddedStruct(t *testing.T) {
	type Credentials struct {
		Username string `json:"username" envelope:"required"`
		Password string `json:"password" envelope:"required"`
	}
	type login struct {
		Credentials
		Remember bool `json:"remember"`
	}
	var dst login
	err := (envelope.Decoder{}).Unmarshal([]byte(`{"remember":true}`), &dst)
	require.ErrorIs(t, err, envelope.ErrValidation)
	assert.Equal(t, "Missing required field: username", envelope.As(err).Message)
	require.NoError(t, (envelope.Decoder{}).Unmarshal([]byte(`{"username":"u","password":"p"}`), &dst))
	assert.Equal(t, "u", dst.Username)

	type byPointer struct {
		*Credentials
		Remember bool `json:"remember"`
	}
	var p byPointer
	err = (envelope.Decoder{}).Unmarshal([]byte(`{"remember":true}`), &p)
	require.ErrorIs(t, err, envelope.ErrValidation)
	require.NoError(t, (envelope.Decoder{}).Unmarshal([]byte(`{"username":"u","password":"p"}`), &p))
}

// Unmarshal, like Decode, refuses a JSON null: it is not an object.
func TestUnmarshalNull(t *testing.T) {
	var dst struct {
		Remember bool `json:"remember"`
	}
	for _, data := range []string{`null`, " \n null\t"} {
		err := (envelope.Decoder{}).Unmarshal([]byte(data), &dst)
		require.ErrorIs(t, err, envelope.ErrValidation, "%q", data)
		assert.Equal(t, "Request body must be a JSON object", envelope.As(err).Message)
	}
}

// A required field is the one encoding/json decodes its name into: a
// shallower field of the same name hides an embedded one (which is then
// not required), and two untagged fields of one name at one depth are
// neither decoded nor required.
func TestDecodeRequiredFollowsJSONNames(t *testing.T) {
	type Base struct {
		Name string `json:"name" envelope:"required"`
	}
	type Outer struct {
		Base
		Name string `json:"name"`
	}
	var dst Outer
	require.NoError(t, (envelope.Decoder{}).Unmarshal([]byte(`{"name":"alice"}`), &dst))
	assert.Equal(t, "alice", dst.Name)

	type A struct {
		ID string `envelope:"required"`
	}
	type B struct {
		ID string `envelope:"required"`
	}
	type Both struct {
		A
		B
		Note string `json:"note" envelope:"required"`
	}
	var both Both
	err := (envelope.Decoder{AllowUnknownFields: true}).Unmarshal([]byte(`{"note":"n"}`), &both)
	require.NoError(t, err, "an ambiguous name is neither decoded nor required")
	var empty Both
	err = (envelope.Decoder{}).Unmarshal([]byte(`{}`), &empty)
	require.Error(t, err)
	assert.Equal(t, "Missing required field: note", envelope.As(err).Message)
}

// A required pointer field is present when the member is, whatever it
// points to: an empty string, array or object behind it is the handler's
// to validate, and only an absent member (or null) is missing.
func TestDecodeRequiredPointerIsPresence(t *testing.T) {
	type options struct {
		Mode string `json:"mode"`
	}
	type body struct {
		Name   *string   `json:"name" envelope:"required"`
		Opts   *options  `json:"opts" envelope:"required"`
		Roles  *[]string `json:"roles" envelope:"required"`
		Enable *bool     `json:"enable" envelope:"required"`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var dst body
		if err := envelope.Decode(w, r, &dst); err != nil {
			envelope.Write(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	cases := []struct{ body, missing string }{
		{`{"name":"","opts":{},"roles":[],"enable":false}`, ""},
		{`{"opts":{},"roles":[],"enable":false}`, "name"},
		{`{"name":"n","opts":null,"roles":["r"],"enable":true}`, "opts"},
		{`{"name":"n","opts":{},"roles":["r"]}`, "enable"},
	}
	for _, tc := range cases {
		res, err := http.Post(srv.URL, "application/json", strings.NewReader(tc.body))
		require.NoError(t, err)
		var got struct {
			Error struct{ Message string } `json:"error"`
		}
		_ = json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if tc.missing == "" {
			assert.Equal(t, http.StatusNoContent, res.StatusCode, tc.body)
			continue
		}
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, tc.body)
		assert.Equal(t, "Missing required field: "+tc.missing, got.Error.Message, tc.body)
	}
}
