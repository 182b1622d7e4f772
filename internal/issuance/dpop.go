package issuance

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// TokenTypeDPoP is the "token_type" of a token response whose access
// token is bound to a DPoP key (RFC 9449 §5).
const TokenTypeDPoP = "DPoP"

// dpopRefusals are the 400 answers of a token request whose DPoP proof was
// refused, one per refusal of dpop.Refusals that has an OAuth code, built
// once: the code (invalid_dpop_proof or use_dpop_nonce, RFC 9449 §5 and
// §8) and the refusal's message, wrapping its sentinel.
var dpopRefusals = func() []*envelope.Error {
	var out []*envelope.Error
	for _, r := range dpop.Refusals() {
		if code := dpop.ErrorCode(r.Err); code != "" {
			out = append(out, envelope.ErrBadRequest.WithOAuthCode(code).WithMessage(r.Message).WithCause(r.Err))
		}
	}
	return out
}()

// A DPoPCheck is the outcome of checking the DPoP proof of a token
// request: the thumbprint the tokens are bound to ("" for none), or the
// refusal and its audit reason.
type DPoPCheck struct {
	JKT    string
	Nonce  string // the proof's nonce
	Err    *envelope.Error
	Reason gatehouse.Reason
}

// HasProof reports whether r carries a DPoP header (one line or more, even
// empty): a token request without one asks for a bearer token.
func HasProof(r *http.Request) bool {
	_, ok := r.Header["Dpop"]
	return ok
}

// CheckDPoP checks the DPoP proof of the token request r with v (RFC 9449
// §4.3, no access token). A request without a DPoP header needs none —
// the zero DPoPCheck, for a bearer token — unless required, or unless want
// is set: then the proof's key must be the one of thumbprint want (a
// refresh token bound to it). A nil v checks nothing. A missing proof that
// is needed and every refusal of a proof are 400 with their OAuth code; a
// failing replay store is 503.
func CheckDPoP(ctx context.Context, v *dpop.Verifier, r *http.Request, want string, required bool) DPoPCheck {
	if v == nil || !HasProof(r) && !required && want == "" {
		return DPoPCheck{}
	}
	var (
		p   dpop.Proof
		err error
	)
	if want != "" {
		p, err = v.VerifyBound(ctx, r, "", want)
	} else {
		p, err = v.Verify(ctx, r, "")
	}
	if err != nil {
		return DPoPRefusal(err)
	}
	return DPoPCheck{JKT: p.Thumbprint, Nonce: p.Nonce}
}

// DPoPRefusal is the answer to a token request whose DPoP proof was
// refused with err: its row of dpopRefusals, or a 503 for a failing
// replay store.
func DPoPRefusal(err error) DPoPCheck {
	ref, ok := dpop.RefusalFor(err)
	if ok {
		for _, e := range dpopRefusals {
			if e.Unwrap() == ref.Err {
				return DPoPCheck{Err: e, Reason: ref.Reason}
			}
		}
	}
	// ErrUnavailable (no OAuth code), or an error dpop does not list: the
	// store.
	return DPoPCheck{Err: Unavailable(err), Reason: gatehouse.ReasonStoreUnavailable}
}

// SetNonce puts v's current nonce in the DPoP-Nonce header of h when
// nonces are on and the answer should carry it: with a use_dpop_nonce
// refusal (RFC 9449 §8), and with a success whose proof did not carry the
// current nonce, so that the client's next proof does (§8.2). A check of
// a request without a proof, or with a nil v, sets nothing.
func (c DPoPCheck) SetNonce(h http.Header, v *dpop.Verifier) {
	if v == nil || c.Err == nil && c.JKT == "" {
		return
	}
	sent := c.Nonce
	if c.Err != nil {
		if !errors.Is(c.Err, dpop.ErrUseNonce) {
			return
		}
		sent = ""
	}
	if n := v.Nonce(); n != "" && n != sent {
		h["Dpop-Nonce"] = []string{n}
	}
}
