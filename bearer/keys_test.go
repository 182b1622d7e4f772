package bearer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBindKey(t *testing.T) {
	rsaKey := testRSAKey(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)

	tests := []struct {
		name string
		alg  string
		key  any
		ok   bool
	}{
		{"HS256 32 bytes", "HS256", make([]byte, 32), true},
		{"HS256 31 bytes", "HS256", make([]byte, 31), false},
		{"HS384 32 bytes", "HS384", make([]byte, 32), false},
		{"HS512 64 bytes", "HS512", make([]byte, 64), true},
		{"HS256 string", "HS256", "0123456789abcdef0123456789abcdef", false},
		{"HS256 with RSA key", "HS256", &rsaKey.PublicKey, false},
		{"RS256", "RS256", &rsaKey.PublicKey, true},
		{"RS256 private reduced", "RS256", rsaKey, true},
		{"PS256", "PS256", &rsaKey.PublicKey, true},
		{"RS256 1024 bits", "RS256", &small.PublicKey, false},
		{"RS256 with EC key", "RS256", &p256.PublicKey, false},
		{"ES256", "ES256", &p256.PublicKey, true},
		{"ES256 on P-384", "ES256", &p384.PublicKey, false},
		{"ES384", "ES384", &p384.PublicKey, true},
		{"EdDSA", "EdDSA", edPub, true},
		{"EdDSA private reduced", "EdDSA", edPriv, true},
		{"EdDSA with bytes", "EdDSA", []byte(edPub), false},
		{"none", "none", nil, false},
		{"NoNe", "NoNe", nil, false},
		{"unknown", "HS1", make([]byte, 64), false},
		{"nil", "RS256", nil, false},
		{"nil RSA public key", "RS256", (*rsa.PublicKey)(nil), false},
		{"nil RSA private key", "RS256", (*rsa.PrivateKey)(nil), false},
		{"zero RSA private key", "RS256", &rsa.PrivateKey{}, false},
		{"nil ECDSA public key", "ES256", (*ecdsa.PublicKey)(nil), false},
		{"nil ECDSA private key", "ES256", (*ecdsa.PrivateKey)(nil), false},
		{"zero ECDSA public key", "ES256", &ecdsa.PublicKey{}, false},
		{"ECDSA key without a point", "ES256", &ecdsa.PublicKey{Curve: elliptic.P256()}, false},
		//lint:ignore SA1019 an off-curve key can only be built from raw coordinates
		{"ECDSA key off its curve", "ES256", &ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(1)}, false},
		{"nil HMAC secret", "HS256", []byte(nil), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := bindKey(tc.alg, tc.key)
			if tc.ok {
				require.NoError(t, err)
				require.NotNil(t, k)
			} else {
				assert.ErrorIs(t, err, ErrConfig)
			}
		})
	}
}

func TestParsePublicKeyPEM(t *testing.T) {
	rsaKey := testRSAKey(t)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pkix1, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pkixEC, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"}, NotBefore: t0, NotAfter: t0.Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, ecKey)
	require.NoError(t, err)
	privDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	enc := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }

	tests := []struct {
		name string
		alg  string
		pem  []byte
		ok   bool
	}{
		{"PKIX RSA", "RS256", enc("PUBLIC KEY", pkix1), true},
		{"PKCS1 RSA", "RS256", enc("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)), true},
		{"PKIX EC", "ES256", enc("PUBLIC KEY", pkixEC), true},
		{"certificate", "ES256", enc("CERTIFICATE", certDER), true},
		{"wrong algorithm", "ES256", enc("PUBLIC KEY", pkix1), false},
		{"private key refused", "RS256", enc("PRIVATE KEY", privDER), false},
		{"not PEM", "RS256", []byte("hello"), false},
		{"garbage DER", "RS256", enc("PUBLIC KEY", []byte{1, 2, 3}), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePublicKeyPEM(tc.alg, "kid-1", tc.pem)
			if !tc.ok {
				assert.ErrorIs(t, err, ErrConfig)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "kid-1", k.ID)
			assert.Equal(t, tc.alg, k.Algorithm)
		})
	}
}

func TestParseJWK(t *testing.T) {
	tests := []struct {
		name, jwk, alg, want string
	}{
		{"EC infers ES256", rfcA3Key, "", "ES256"},
		{"OKP infers EdDSA", rfc8037Key, "", "EdDSA"},
		{"RSA needs alg", rfcA2Key, "", ""},
		{"RSA with alg", rfcA2Key, "RS256", "RS256"},
		{"oct with alg", rfcA1Key, "HS256", "HS256"},
		{"alg member wins", `{"kty":"EC","crv":"P-256","alg":"ES256","kid":"k","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`, "", "ES256"},
		{"alg member conflicts", `{"kty":"EC","crv":"P-256","alg":"ES256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`, "ES384", ""},
		{"use enc refused", `{"kty":"EC","crv":"P-256","use":"enc","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`, "", ""},
		{"key_ops without verify refused", `{"kty":"EC","crv":"P-256","key_ops":["encrypt","wrapKey"],"x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`, "", ""},
		{"key_ops with verify", `{"kty":"EC","crv":"P-256","key_ops":["verify"],"x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`, "", "ES256"},
		{"not JSON", `{`, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseJWK([]byte(tc.jwk), tc.alg)
			if tc.want == "" {
				assert.ErrorIs(t, err, ErrConfig)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, k.Algorithm)
		})
	}
}

func TestParseJWKSet(t *testing.T) {
	keys, err := ParseJWKSet([]byte(`{"keys":[` +
		`{"kty":"EC","crv":"P-256","kid":"a","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},` +
		`{"kty":"OKP","crv":"Ed25519","kid":"b","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Equal(t, "ES256", keys[0].Algorithm)
	assert.Equal(t, "b", keys[1].ID)

	_, err = ParseJWKSet([]byte(`{"keys":[` + rfcA3Key + `,` + rfc8037Key + `]}`))
	assert.ErrorIs(t, err, ErrConfig, "several keys without kid")
	_, err = ParseJWKSet([]byte(`{"keys":[]}`))
	assert.ErrorIs(t, err, ErrConfig)
}
