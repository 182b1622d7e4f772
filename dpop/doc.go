// Package dpop implements OAuth 2.0 Demonstrating Proof of Possession
// (DPoP, RFC 9449) for both sides of a request: a [Verifier] that checks
// the DPoP proof a request carries, and a [Transport] that signs one for
// every request a client sends.
//
// A [Verifier] is built once with [New] from a [Config] and is safe for
// concurrent use. [Verifier.Verify] makes every check of RFC 9449 §4.3 —
// one DPoP header; a compact JWS of type dpop+jwt signed with an allowed
// asymmetric algorithm by the public key in its "jwk" header; "htm" and
// "htu" matching the request; "iat" within Config.Window; "ath" matching
// the access token; the server's nonce when nonces are on — and then
// spends the proof's "jti" in a [ReplayStore], last, so that a refused
// proof never writes to the store. It returns the [Proof] with the RFC
// 7638 thumbprint of its key, which a token endpoint puts in the "cnf"
// "jkt" claim of the tokens it issues and a resource server compares with
// that claim ([Verifier.VerifyBound] does both).
//
// Verify decides and writes nothing: a refusal is one of the sentinel
// errors of [Refusals], whose [ErrorCode] is invalid_dpop_proof, or
// use_dpop_nonce for [ErrUseNonce], which the answer pairs with a
// DPoP-Nonce header holding [Verifier.Nonce]. A resource server answers
// 401 with a [Verifier.Challenge], a token endpoint 400 with the code in
// its JSON body; a failing replay store is [ErrUnavailable], answered
// with 503 and never a pass.
//
// Server nonces ([NonceConfig]) are stateless: an HMAC of the current
// time period under a shared secret, so every instance of a fleet mints
// and accepts the same nonces without a store. The replay store is the
// one state a fleet must share: the in-memory [MemoryReplay] holds one
// process's proofs, redisstore's replay store all instances'.
//
// On the client side, a [Signer] signs proofs with a private key and a
// [Transport] sends each request with a fresh one, the access token as
// "Authorization: DPoP", the origin's last nonce, and one retry when the
// server asks for a new nonce.
package dpop
