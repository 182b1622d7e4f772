// Package issuance is what packages issuer and tokenendpoint share: the
// signer of their access tokens (and of the issuer's refresh JWTs), the
// access-token claim set and the claims an application may not add to it,
// the scope check, and the rendering and audit of their answers. Neither
// public package imports the other; both import this one.
package issuance
