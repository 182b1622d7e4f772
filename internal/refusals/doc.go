// Package refusals holds no code: its test walks every refusal path of
// every gatehouse package (bearer, apikey, scopes, ipallow, ratelimit,
// issuer and tokenendpoint) through the real middleware and handlers, and checks the
// invariants every refusal shares: each 401 carries a WWW-Authenticate
// challenge of the right scheme (RFC 9110 §15.5.2), and each 403 names
// what happened in its OAuth error code, insufficient_scope only for a
// scope refusal (RFC 6750 §3.1). The test also reads each package's
// sentinel errors from its sources, so a sentinel added without a row (or
// a written exemption) fails it. TestRefusalTables walks each package's
// refusal table (its Refusals function): every reason is an exported
// constant, one reason string has one meaning across the library, and
// every sentinel has a row.
package refusals
