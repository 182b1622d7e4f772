package otelgatehouse

import "go.opentelemetry.io/otel/attribute"

// The instruments a [Telemetry] records (see the README's table).
const (
	MetricDecisions      = "gatehouse.decisions"      // counter, {decision}
	MetricStepDuration   = "gatehouse.step.duration"  // histogram, s
	MetricStoreDuration  = "gatehouse.store.duration" // histogram, s
	MetricStoreErrors    = "gatehouse.store.errors"   // counter, {error}
	MetricKeySetFetches  = "gatehouse.jwks.fetches"   // counter, {fetch}
	MetricKeySetAge      = "gatehouse.jwks.age"       // gauge, s
	MetricKeySetKeys     = "gatehouse.jwks.keys"      // gauge, {key}
	MetricKeySetFailures = "gatehouse.jwks.failures"  // gauge, {fetch}
	EventDecision        = "gatehouse.decision"       // span event of each decision
)

// The attribute keys of the gatehouse namespace. The others are
// OpenTelemetry semantic conventions: http.response.status_code,
// error.type, and on span events enduser.id and client.address.
const (
	// AttrSource is the deciding package: "bearer", "apikey", "ipallow",
	// "issuer", "ratelimit", "scopes", …
	AttrSource = attribute.Key("gatehouse.source")
	// AttrAction is what was decided: "authenticate", "login", "refresh",
	// "logout", "authorize", "throttle", …
	AttrAction = attribute.Key("gatehouse.action")
	// AttrOutcome is "allow", "deny" (a 4xx) or "error" (a 5xx).
	AttrOutcome = attribute.Key("gatehouse.outcome")
	// AttrReason is the machine-readable cause of a refusal
	// ("token_expired", "ip_denied", …), absent when allowed.
	AttrReason = attribute.Key("gatehouse.reason")
	// AttrStep is the name given to [Telemetry.Measure].
	AttrStep = attribute.Key("gatehouse.step")
	// AttrStore is the kind of store called: "revocations", "tokens",
	// "apikeys", "ip_lists", "ratelimit", "failures" or "refresh".
	AttrStore = attribute.Key("gatehouse.store")
	// AttrOperation is the store method called: "Revoked", "Lookup", …
	AttrOperation = attribute.Key("gatehouse.store.operation")
	// AttrIssuer names a remote JWK Set: its issuer's URL, or the set's
	// URL (redacted as in the logs) for a set without issuer.
	AttrIssuer = attribute.Key("gatehouse.jwks.issuer")
	// AttrFetchResult is a refresh's result: "updated", "not_modified"
	// or "error".
	AttrFetchResult = attribute.Key("gatehouse.jwks.result")
	// AttrTenant is the principal's tenant, on span events only.
	AttrTenant = attribute.Key("gatehouse.tenant")
	// AttrCredentialID identifies the credential used — a token id
	// ("jti"), an API key's id or display prefix — never the credential
	// itself; on span events only.
	AttrCredentialID = attribute.Key("gatehouse.credential.id")
)
