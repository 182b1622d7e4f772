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

// errDPoPRequired answers a token request without a proof where one is
// required: the refusal of a missing proof, with a message that says so.
var errDPoPRequired = envelope.ErrBadRequest.WithOAuthCode(dpop.CodeInvalidProof).
	WithMessage("A DPoP proof is required").WithCause(dpop.ErrMissingProof)

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

// CheckDPoP verifies the DPoP proof of the token request r with v (RFC
// 9449 §4.3, no access token): with want set, the proof's key must be
// the one of thumbprint want (a refresh token bound to it). A missing
// proof, when required, and every refusal of a proof are 400 with their
// OAuth code; a failing replay store is 503.
func CheckDPoP(ctx context.Context, v *dpop.Verifier, r *http.Request, want string) DPoPCheck {
	var (
		p   dpop.Proof
		err error
	)
	if want != "" {
		p, err = v.VerifyBound(ctx, r, "", want)
	} else {
		p, err = v.Verify(ctx, r, "")
	}
	if err == nil {
		return DPoPCheck{JKT: p.Thumbprint, Nonce: p.Nonce}
	}
	return DPoPRefusal(err)
}

// DPoPRequired is the refusal of a token request without the DPoP proof
// it must carry.
func DPoPRequired() DPoPCheck {
	return DPoPCheck{Err: errDPoPRequired, Reason: dpop.ReasonMissingProof}
}

// DPoPRefusal is the answer to a DPoP proof v refused with err.
func DPoPRefusal(err error) DPoPCheck {
	ref, ok := dpop.RefusalFor(err)
	if !ok || dpop.ErrorCode(err) == "" {
		// ErrUnavailable, or an error dpop does not list: the store.
		return DPoPCheck{Err: Unavailable(err), Reason: gatehouse.ReasonStoreUnavailable}
	}
	for _, e := range dpopRefusals {
		if e.Unwrap() == ref.Err {
			return DPoPCheck{Err: e, Reason: ref.Reason}
		}
	}
	return DPoPCheck{Err: envelope.ErrBadRequest.WithOAuthCode(dpop.ErrorCode(err)).WithCause(err), Reason: ref.Reason}
}

// SetNonce puts v's current nonce in the DPoP-Nonce header of h when
// nonces are on and the answer should carry it: with a use_dpop_nonce
// refusal (RFC 9449 §8), and with a success whose proof did not carry the
// current nonce, so that the client's next proof does (§8.2).
func (c DPoPCheck) SetNonce(h http.Header, v *dpop.Verifier) {
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
