package bearer

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/internal/compact"
)

// confirmation reads a verified token's "cnf" claim (RFC 7800): the DPoP
// key thumbprint "jkt" (RFC 9449 §6.1) and the certificate thumbprint
// "x5t#S256" (RFC 8705 §3.1). A "cnf" that is not an object, a member of
// either that is not a non-empty string, a cnf naming neither, or one
// with any other member ("jwk", "kid", "jku": RFC 7800 §3, a binding this
// package cannot check) is rBound: the token is bound to something the
// request cannot prove. Of a member given twice, the last counts, as in
// the decoded claim set. cnf was read from pb, which the thumbprints
// returned may share.
func confirmation(pb []byte, cnf compact.Value) (gatehouse.Confirmation, reason) {
	switch cnf.Kind {
	case compact.Absent, compact.Null:
		return gatehouse.Confirmation{}, rOK
	case compact.Object:
	default:
		return gatehouse.Confirmation{}, rBound
	}
	var jkt, x5t compact.Value
	it := cnf.Members(pb)
	for {
		name, v, ok := it.Next()
		if !ok {
			break
		}
		switch name {
		case "jkt":
			jkt = v
		case "x5t#S256":
			x5t = v
		default:
			return gatehouse.Confirmation{}, rBound
		}
	}
	j, ok1 := member(pb, jkt)
	x, ok2 := member(pb, x5t)
	cf := gatehouse.Confirmation{JKT: j, X5TS256: x}
	if !ok1 || !ok2 || cf == (gatehouse.Confirmation{}) {
		return gatehouse.Confirmation{}, rBound
	}
	return cf, rOK
}

// member returns the string value of a cnf member, "" when absent; ok is
// false when it is present but not a non-empty string.
func member(pb []byte, v compact.Value) (string, bool) {
	if v.Kind == compact.Absent {
		return "", true
	}
	s := v.Str(pb)
	return s, v.Kind == compact.String && s != ""
}

// checkBinding checks that the request proves possession of what the
// token is bound to: for a DPoP request, a valid proof made with the key
// of the token's "jkt" (a token without one is not a DPoP token); for a
// Bearer request, that the token is bound to no key; for a token bound to
// a certificate, the client certificate. It runs on every request, cached
// tokens included: a proof is good for one request only.
func (a *Authenticator) checkBinding(ctx context.Context, r *http.Request, tok string, isDPoP bool, cf *gatehouse.Confirmation) (reason, error) {
	errs := &a.errs
	if isDPoP {
		errs = &a.dpopErrs
	}
	if cf.X5TS256 != "" && !a.certMatches(r, cf.X5TS256) {
		return rCertificate, errs[rCertificate]
	}
	switch {
	case isDPoP:
		if _, err := a.dpop.VerifyBound(ctx, r, tok, cf.JKT); err != nil {
			return a.proofRefusal(err)
		}
	case cf.JKT != "":
		return rBound, errs[rBound] // no downgrade to a bearer token
	}
	return rOK, nil
}

// proofRefusal turns a refusal of dpop.Verifier into bearer's: 503 for a
// failing replay store, use_dpop_nonce, or invalid_dpop_proof, each
// wrapping dpop's sentinel as well as bearer's.
func (a *Authenticator) proofRefusal(err error) (reason, error) {
	switch {
	case errors.Is(err, dpop.ErrUnavailable):
		return rUnavailable, a.dpopErrs[rUnavailable].WithCause(fmt.Errorf("%w: %w", ErrUnavailable, err))
	case errors.Is(err, dpop.ErrUseNonce):
		return rNonce, a.dpopErrs[rNonce].WithCause(fmt.Errorf("%w: %w", ErrDPoPNonce, err))
	}
	return rProof, a.dpopErrs[rProof].WithCause(fmt.Errorf("%w: %w", ErrDPoPProof, err))
}

// certMatches reports whether the request's client certificate has the
// SHA-256 thumbprint x5t (base64url, RFC 8705 §3.1). When
// gatehouse.TrustedPeer says the peer is a trusted proxy and
// Config.ClientCertHeader is set, the client's certificate is the one the
// proxy forwarded there (the proxy's own TLS certificate, if it presents
// one, is not the client's); otherwise it is the certificate of the
// request's TLS connection.
func (a *Authenticator) certMatches(r *http.Request, x5t string) bool {
	var der []byte
	switch {
	case a.certHeader != "" && gatehouse.TrustedPeer(r.Context()):
		der = forwardedCert(r.Header.Values(a.certHeader))
	case r.TLS != nil && len(r.TLS.PeerCertificates) > 0:
		der = r.TLS.PeerCertificates[0].Raw
	}
	if der == nil {
		return false
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]) == x5t
}

// forwardedCert decodes RFC 9440's Client-Cert field: exactly one value,
// a structured-field byte sequence (":" base64 DER ":", RFC 8941 §3.3.5;
// its padding may be left out, §4.2.7). Anything else is nil.
func forwardedCert(lines []string) []byte {
	if len(lines) != 1 {
		return nil
	}
	v := strings.Trim(lines[0], " \t")
	if len(v) < 3 || v[0] != ':' || v[len(v)-1] != ':' {
		return nil
	}
	der, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(v[1:len(v)-1], "="))
	if err != nil || len(der) == 0 {
		return nil
	}
	return der
}
