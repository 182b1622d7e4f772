package redisstore

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// scriptSources are the Lua sources of every script the stores run,
// recorded by newScript. The stores run scripts with EVALSHA, which a
// Redis that does not have the script answers with NOSCRIPT, and go-redis
// then sends the script itself with EVAL: a second round trip. New loads
// them all into every master (loadScripts), and the clients a Store builds
// itself load them into every connection they open (onConnect), so that a
// Redis restarted empty has them again before its first request.
var scriptSources []string

// newScript returns redis.NewScript(src) and records src in scriptSources.
// Only package-level variables call it.
func newScript(src string) *redis.Script {
	scriptSources = append(scriptSources, src)
	return redis.NewScript(src)
}

// loadScripts loads every script into the one Redis of c, or into every
// master of a Redis Cluster, with one pipelined round trip per server.
func loadScripts(ctx context.Context, c redis.UniversalClient) error {
	if cluster, ok := c.(*redis.ClusterClient); ok {
		return cluster.ForEachMaster(ctx, func(ctx context.Context, master *redis.Client) error {
			return loadScriptsOn(ctx, master)
		})
	}
	return loadScriptsOn(ctx, c)
}

// loadScriptsOn loads every script with one pipeline on c. (Not with
// Script.Load, which takes the digest from a reply a pipeline has not yet
// read; Redis's digest is the SHA-1 of the source, as go-redis's.)
func loadScriptsOn(ctx context.Context, c redis.Cmdable) error {
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, src := range scriptSources {
			p.ScriptLoad(ctx, src)
		}
		return nil
	})
	return err
}

// onConnect is the OnConnect hook of the clients a Store builds itself:
// it loads every script on each new connection, before its first command.
func onConnect(ctx context.Context, cn *redis.Conn) error {
	return loadScriptsOn(ctx, cn)
}
