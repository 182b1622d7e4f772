// Package otelgatehouse records gatehouse's access decisions, the
// latency of its authentication steps, its store calls and the bearer
// package's key-set refreshes as OpenTelemetry metrics and span events.
// It is a module of its own, so that OpenTelemetry never enters the
// dependencies of an application that does not use it.
//
// Build one [Telemetry] with [New] and hand it to each part it observes:
// as the Auditor of every middleware (it counts decisions and adds an
// event to the request's span), around middleware with
// [Telemetry.Measure], around the stores with [Telemetry.RevocationStore]
// and its siblings, and to the bearer Authenticator's key sets with
// [Telemetry.KeySetFetched] and [Telemetry.ObserveKeySets]. The README
// lists every instrument and attribute.
//
// No attribute carries a token, key, password, secret or signature: the
// audit events it is built on carry none. Tenant, credential id and client
// address, which identify a principal and make unbounded series, go on
// span events only, never on metrics; so does the subject, and only with
// Config.RecordSubject, since it is personal data.
package otelgatehouse
