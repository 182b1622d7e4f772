package dpop

import "github.com/gatehouse-go/gatehouse/envelope"

// Challenge returns a WWW-Authenticate value for the DPoP scheme (RFC 9449
// §7.1): DPoP realm="…", error="…", error_description="…", algs="…",
// with the verifier's algorithms as algs. Empty arguments are left out;
// values are quoted-string escaped. A resource server answers a request
// without DPoP credentials with Challenge(realm, "", ""), and a refused
// proof with the refusal's [ErrorCode] (and, for [CodeUseNonce], a
// DPoP-Nonce header with [Verifier.Nonce]):
//
//	v.Challenge("api", "", "")                                 // DPoP realm="api", algs="ES256 …"
//	v.Challenge("api", dpop.CodeUseNonce, "Nonce required")    // DPoP realm="api", error="use_dpop_nonce", …
func (v *Verifier) Challenge(realm, code, description string) string {
	ch := "DPoP"
	ch = envelope.AppendAuthParam(ch, "realm", realm)
	ch = envelope.AppendAuthParam(ch, "error", code)
	ch = envelope.AppendAuthParam(ch, "error_description", description)
	return envelope.AppendAuthParam(ch, "algs", v.algsParam)
}
