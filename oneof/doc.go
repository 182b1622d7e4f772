// Package oneof serves routes that accept several kinds of credentials — a
// JWT bearer token or an API key, say — and lets the request's own
// credential choose which authenticator judges it.
//
// A request must send exactly one of the accepted credentials:
//
//   - none: 401, with one WWW-Authenticate challenge per method, so that
//     the client learns every way in;
//   - exactly one: that method's Middleware decides, with its own refusals,
//     throttles and audit events, as on a route of its own;
//   - several: 400 ("ambiguous credentials"), never a silent pick. Chaining
//     two authenticators instead would let the second replace the first's
//     caller when a request carries both.
//
// [Selector.Optional] serves anonymous callers too: a request without any
// of the credentials goes on without a Principal.
//
// Any authenticator with the methods of [Method] can be chosen; those of
// packages bearer and apikey have them.
package oneof
