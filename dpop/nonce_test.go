package dpop_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
)

func TestNonceFlow(t *testing.T) {
	secret := bytes.Repeat([]byte("s"), 32)
	now := t0
	clock := func() time.Time { return now }
	cfg := dpop.Config{Nonce: &dpop.NonceConfig{Secret: secret, Lifetime: time.Minute}, Now: clock}
	v := newVerifier(t, cfg)
	other := newVerifier(t, cfg) // another instance with the same secret
	verify := func(v *dpop.Verifier, nonce string) error {
		p := newProof(t)
		p.claims["iat"] = now.Unix()
		if nonce != "" {
			p.claims["nonce"] = nonce
		}
		_, err := v.Verify(context.Background(), request(p.sign(t)), "")
		return err
	}

	err := verify(v, "")
	require.ErrorIs(t, err, dpop.ErrUseNonce, "no nonce")
	assert.Equal(t, dpop.CodeUseNonce, dpop.ErrorCode(err))
	require.ErrorIs(t, verify(v, "made-up-nonce-of-24-char"), dpop.ErrUseNonce)

	n := v.Nonce()
	assert.Len(t, n, 24)
	assert.Regexp(t, `^[A-Za-z0-9_-]+$`, n, "NQCHAR, no quoting needed")
	assert.Equal(t, n, other.Nonce(), "instances sharing the secret mint the same nonce")
	require.NoError(t, verify(v, n))
	require.NoError(t, verify(other, n), "and accept each other's")

	// A nonce is accepted in its period and the next, then refused.
	now = now.Add(time.Minute)
	assert.NotEqual(t, n, v.Nonce(), "the nonce rotates each period")
	require.NoError(t, verify(v, n))
	now = now.Add(time.Minute)
	require.ErrorIs(t, verify(v, n), dpop.ErrUseNonce, "two periods later")
	require.NoError(t, verify(v, v.Nonce()))

	// A nonce of another secret is refused.
	foreign := newVerifier(t, dpop.Config{Nonce: &dpop.NonceConfig{Secret: bytes.Repeat([]byte("t"), 32)}, Now: clock})
	require.ErrorIs(t, verify(v, foreign.Nonce()), dpop.ErrUseNonce)

	// Without nonces, Nonce is empty and a proof's nonce is ignored.
	plain := newVerifier(t, dpop.Config{Now: clock})
	assert.Empty(t, plain.Nonce())
	require.NoError(t, verify(plain, n))
}

func TestNonceNotOfferedForInvalidProofs(t *testing.T) {
	v := newVerifier(t, dpop.Config{Nonce: &dpop.NonceConfig{Secret: make([]byte, 32)}})
	p := newProof(t)
	p.claims["htm"] = "POST"
	_, err := v.Verify(context.Background(), request(p.sign(t)), "")
	assert.ErrorIs(t, err, dpop.ErrMethodMismatch, "a proof that fails another check is invalid_dpop_proof, not use_dpop_nonce")
}
