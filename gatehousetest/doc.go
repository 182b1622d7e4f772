// Package gatehousetest is a kit for testing an application's own
// handlers through the real gatehouse middleware, in a few lines: an
// OpenID provider on a loopback httptest server whose tokens a real
// [bearer.Authenticator] verifies, tokens with sensible defaults and the
// defective variants a correct middleware refuses, API-key fixtures on
// an [apikey.MemoryStore], and DPoP proofs.
//
//	func TestOrders(t *testing.T) {
//		op := gatehousetest.NewProvider(t)                     // discovery, JWK Set, ES256
//		auth := op.Authenticator(t, bearer.Config{})           // trusts op; keys fetched
//		h := auth.Middleware(ordersHandler)                    // the handler under test
//
//		tok := op.Token(t, gatehousetest.Claims{Subject: "ada", Scopes: []string{"orders:read"}})
//		res := gatehousetest.Serve(h, gatehousetest.Request(t, "GET", "/orders", gatehousetest.WithBearer(tok)))
//		// res.Code is 200, and the handler saw ada's Principal.
//
//		tok = op.Token(t, gatehousetest.Claims{Subject: "ada"}, gatehousetest.Expired())
//		// ... refused with 401, bearer.ErrTokenExpired.
//	}
//
// # Tokens
//
// [Provider.Token] signs an access token with the provider's current key:
// "iss" the provider, "aud" its audience ([DefaultAudience] unless
// [WithAudience]), "sub" [DefaultSubject], "iat" now, "exp" an hour later,
// a random "jti", and the headers "kid" and "typ" at+jwt. [Claims] set
// the subject, scopes, tenant and the rest, and Extra any other claim.
// The [TokenOption] variants make the tokens a middleware must refuse,
// each with the bearer sentinel its refusal wraps:
//
//   - [Expired]: bearer.ErrTokenExpired;
//   - [NotYetValid]: bearer.ErrTokenNotYetValid;
//   - [Foreign], signed by a key the provider never published under its
//     current kid, and [Tampered], whose payload changed after signing:
//     bearer.ErrTokenInvalid;
//   - [UnknownKey], a kid the provider does not publish: bearer.ErrUnknownKey;
//   - [WrongAudience]: bearer.ErrAudience; [WrongIssuer]: bearer.ErrIssuer;
//   - [Header]("typ", "JWT"): bearer.ErrTokenType.
//
// [BoundTo] binds a token to a client's DPoP key ([NewDPoPKey]);
// [WithDPoP] sends it with a proof, and [DPoPProof] makes one for any
// request.
//
// The provider rotates its keys (Rotate, Withdraw), fails on demand and
// counts the requests it answers: its methods of the embedded
// [bearertest.Provider]. An Authenticator from [Provider.Authenticator]
// fetches a rotated key when the first token that names it comes.
//
// # Time
//
// Tokens are minted on the wall clock, and an Authenticator judges them
// on it. [WithClock] puts both on the test's clock instead: the provider
// mints from it and [Provider.Authenticator] sets bearer.Config.Now to it.
//
// # API keys
//
// [NewAPIKeys] holds key fixtures: [APIKeys.Add] generates a key, stores
// the record the test gives it and returns the key to send with
// [WithAPIKey]; [APIKeys.Authenticator] builds the real apikey middleware
// on them.
//
// Every server the kit starts and every Authenticator it builds is closed
// when the test ends (TB.Cleanup); every failure ends the test (TB.Fatalf).
package gatehousetest
