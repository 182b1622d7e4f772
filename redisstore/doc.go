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
//	Store.Revocations()  bearer.RevocationStore (the issuer writes to it)
//	Store.Tokens()       bearer.TokenStore, opaque tokens by SHA-256
//	Store.APIKeys()      apikey.Store, keys by SHA-256
//	Store.Lists()        ipallow.ListEditor and ipallow.SetStore
//	Store.RateLimit()    ratelimit.Store, GCRA in a Lua script
//	Store.Failures()     ratelimit.FailureStore, fixed windows
//	Store.Refresh()      issuer.RefreshStore, atomic rotation in Lua
//	Store.Credentials()  issuer.CredentialStore, bcrypt hashes
//	Store.Replay()       tokenendpoint.ReplayStore, SET NX PX
//
// # Guarantees
//
// Only hashes of secrets reach Redis: opaque tokens, API keys and refresh
// tokens are stored under the hex SHA-256 the library computes, passwords as
// the caller's bcrypt hash. Every key starts with Config.Prefix. Every
// command runs under a deadline (Config.Timeout, 500 ms by default, or the
// request's earlier one). Every read-modify-write of one entity — refresh
// rotation with reuse detection, rate-limit charging, an API key's
// revocation and touch — is one Lua script, so it is atomic across
// instances: two instances rotating the same refresh token at once have
// exactly one winner. A token's or API key's record and its ID index live in
// different hash slots and are written in an order that keeps every stored
// record reachable by its ID (see [APIKeys]).
//
// A Redis outage makes every method return an error, which the middleware
// turns into 503 in the error envelope: requests fail closed, never pass.
// The client reconnects by itself; once Redis answers again, so do the
// stores. By default nothing is cached locally except compiled
// allowlists, which are revalidated against the stored text on every
// read. With Config.LocalCache a Store keeps a local copy of revocation
// answers and allowlists that Redis invalidates over pub/sub, used only
// while its subscription is confirmed, so that a request whose state did
// not change makes no round trip (see [LocalCache]).
//
// # Clocks
//
// Expiry decisions use the times the library passes in (the caller's Now),
// exactly as the in-memory stores do, and Redis TTLs only reclaim memory,
// with slack. The rate-limit stores can use the Redis server's clock
// instead (Config.ServerTime), one clock for the whole fleet.
//
// # Deployment
//
// The stores are correct on one Redis (replicas optional), on a primary
// found through Sentinel (redis.NewFailoverClient) and on a Redis Cluster
// (Config.ClusterAddrs or a *redis.ClusterClient; Valkey alike): every
// script and multi-key command touches keys of one hash slot, passed to it
// up front, while the keys of different tokens, keys and accounts spread
// over every slot. [New] refuses the clients it cannot be correct on — a
// *redis.Ring, a cluster client reading from replicas, an AutoPipeliner —
// naming the reason. The package README has the key schema.
package redisstore
