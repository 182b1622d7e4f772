// Package redisstore keeps gatehouse's shared state in Redis, so that a
// fleet of API instances behind a load balancer agrees on revocations,
// refresh-token families, API keys, per-account IP allowlists, assertion
// replay keys and rate limits: a logout handled by one instance is refused
// by every other one at once, a refresh token rotated on one instance counts
// as reused on another, and a rate limit holds across the fleet.
//
// One [Store] (built by [New] from a [Config]) hands out one typed store per
// interface of the library, all sharing its client, key prefix and command
// deadline:
//
//	Store.Revocations()  bearer.RevocationStore (the issuer writes to it,
//	                     in one write at logout)
//	Store.Tokens()       bearer.TokenStore, opaque tokens by SHA-256
//	Store.APIKeys()      apikey.Store, keys by SHA-256
//	Store.Lists()        ipallow.ListEditor and ipallow.SetStore
//	Store.RateLimit()    ratelimit.Store, GCRA in a Lua script
//	Store.Failures()     ratelimit.FailureStore, fixed windows (and
//	                     ratelimit.FailureBatcher, pipelined)
//	Store.Refresh()      issuer.RefreshStore, atomic rotation in Lua
//	Store.Credentials()  issuer.CredentialStore, bcrypt hashes
//	Store.Replay()       tokenendpoint.ReplayStore, SET NX PX
//
// Only hashes of secrets reach Redis. Every command runs under a deadline
// (Config.Timeout, or the request's earlier one), and every read-modify-write
// of one entity is one Lua script, atomic across instances. A Redis outage
// makes every method return an error, which the middleware turns into 503:
// requests fail closed, never pass. So does lost data: while Redis holds
// no epoch record (before [Store.Establish], or after Redis lost its data)
// the reads that decide access fail with [ErrStateLost]. With
// Config.LocalCache a Store keeps a local copy of revocation answers and
// allowlists that Redis invalidates over pub/sub, dropped when its
// subscription or the epoch records are lost (see [LocalCache]). [New]
// refuses the clients and servers it cannot be correct on, naming the
// reason.
//
// With Config.AllowlistAccount and [Store.Middleware], a request's
// revocation check and allowlist read share one round trip when they go
// to Redis.
//
// The package's README.md has the supported deployments, the key schema,
// the fail-closed design, the local copy, timeouts and the benchmarks.
package redisstore
