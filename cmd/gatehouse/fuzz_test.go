package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeJWS checks that decoding any string never panics, and that a
// decoded token's header and claims are JSON objects of its first two
// parts.
func FuzzDecodeJWS(f *testing.F) {
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln")
	f.Add("e30.e30.")
	f.Add("a.b.c.d")
	f.Add("")
	f.Add("e30.W10.x")
	f.Add("e30KXX00.e30.x") // a header of "{}\n]}4": trailing text after the object
	f.Add("e30.bnVsbA.x")   // claims of null
	f.Fuzz(func(t *testing.T, tok string) {
		d, err := decodeJWS(tok)
		if err != nil {
			if strings.Contains(err.Error(), tok) && len(tok) > 8 {
				t.Fatalf("the error quotes the token: %v", err)
			}
			return
		}
		parts := strings.Split(tok, ".")
		for i, raw := range []json.RawMessage{d.header, d.claims} {
			want, _ := base64.RawURLEncoding.DecodeString(parts[i])
			if string(raw) != string(want) {
				t.Fatalf("part %d: %q is not the token's %q", i, raw, want)
			}
			var m map[string]any
			if json.Unmarshal(raw, &m) != nil {
				t.Fatalf("part %d is not a JSON object: %q", i, raw)
			}
		}
		if d.hdr == nil || d.cl == nil {
			t.Fatal("decoded maps missing")
		}
	})
}

// FuzzParseInstant checks that time and duration flags never panic and
// that a duration in days is that many 24-hour days.
func FuzzParseInstant(f *testing.F) {
	for _, s := range []string{"90d", "-1d", "1h30m", "never", "now", "2030-01-02T15:04:05Z", "d", "9999999999d", "1e3d"} {
		f.Add(s)
	}
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseInstant(s, now)
		d, err := parseDuration(s)
		if err == nil && strings.HasSuffix(s, "d") && d%(24*time.Hour) != 0 {
			t.Fatalf("%q parsed as %v, not whole days", s, d)
		}
	})
}

// FuzzKeyFile checks that reading any key file, for signing and for
// verifying, never panics.
func FuzzKeyFile(f *testing.F) {
	f.Add([]byte(`{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI","alg":"HS256"}`), "")
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`), "EdDSA")
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEIA==\n-----END PRIVATE KEY-----\n"), "")
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), "ES256")
	f.Add([]byte("a raw secret of thirty-two bytes!\n"), "HS256")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte, alg string) {
		path := filepath.Join(dir, "key")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _ = loadSigningKey(path, alg, "")
		_, _ = loadVerifyKeys(path, alg, "")
	})
}
