package envelope_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
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
		want    *envelope.Error
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
		{"null body", `null`, ct, envelope.ErrValidation, "Missing required field: username"},
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
	for _, s := range []string{`{"username":"a","password":"b"}`, `{"username":1}`, `[]`, `null`, `{"a":`, `{} {}`, "\xff", `{"username":"a","password":"b","remember":true}`} {
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
