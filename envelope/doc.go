// Package envelope is the one place where gatehouse turns a refusal into an
// HTTP response.
//
// Middleware decides with an error value; [Write] renders it. An [*Error]
// carries the HTTP status, a name ("UnauthorizedError"), a string code
// ("UNAUTHORIZED"), an optional numeric code, a client-safe message, and the
// optional WWW-Authenticate challenge and Retry-After delay. Any other error
// is rendered as a generic 500 so that no internal error text ever reaches a
// client.
//
// A [Style] chooses the body's shape. The built-in styles cover the common
// shapes byte for byte:
//
//	Nested   {"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Invalid credentials"}}
//	Flat     {"success":false,"error":"Forbidden","message":"Token does not have the required scope: orders:write"}
//	Numeric  {"code":-23,"message":"Invalid API key"}
//	OAuth    {"error":"invalid_grant","error_description":"..."}  (RFC 6749 §5.2)
//	Problem  application/problem+json                              (RFC 9457)
//
// and [StyleFunc] adapts any function. The style is chosen per middleware
// (its Config.Style) or for everything inside [Use]; when neither is set,
// [Nested] is used.
//
// Every error response carries Content-Type, "Cache-Control: no-store" and
// "X-Content-Type-Options: nosniff".
//
// [Prepare] readies a refusal that is known when a middleware is built:
// its body is rendered once, and [Prepared.Write] sends the response
// [WriteStyle] would.
//
// [Recover], outermost, answers a panic inside it with a 500 in the
// request's style and logs it with its stack, instead of dropping the
// connection.
//
// [OK] and [Success] write the success wrapper {"success":true,"data":...};
// [Decode] is a strict JSON request-body decoder whose failures are
// envelope errors.
package envelope
