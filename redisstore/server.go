package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrServerConfig is wrapped by the errors [Store.Check] (and so [New])
// returns for a Redis configured so that it can lose security state.
var ErrServerConfig = errors.New("redisstore: unsafe Redis configuration")

// ErrNotReplicated is wrapped by the error of a write that Config.MinReplicas
// makes wait for replicas, when fewer acknowledged it within
// Config.ReplicaTimeout. The write was applied on the master; whether it
// survives a failover is not known.
var ErrNotReplicated = errors.New("redisstore: write not acknowledged by enough replicas")

// Check reads the configuration of the Redis the Store writes to — every
// master of a Redis Cluster — and returns an error wrapping
// [ErrServerConfig] when a server
//   - is a replica (a client that reads and writes a replica misses
//     revocations and cannot write them);
//   - has a maxmemory-policy other than noeviction. An allkeys-* policy
//     evicts any key; a volatile-* policy evicts keys with a TTL, which is
//     exactly the security state that expires — revocations, failed-login
//     counters, refresh families, single-use keys — so it is refused too.
//     Under noeviction a full Redis refuses writes, which the middleware
//     turns into 503s;
//   - does not log every write to an append-only file that it fsyncs
//     at least every second (appendonly yes, appendfsync everysec or
//     always) while Config.RequirePersistence is set: a Redis that
//     persists nothing comes back empty, and one that only snapshots
//     (save) comes back from its last snapshot, without the revocations
//     written since but with its epoch record, so the loss goes unnoticed
//     (see RequirePersistence);
//   - has fewer connected replicas than Config.MinReplicas.
//
// It returns the Redis error when it cannot read the configuration: a
// managed service that forbids CONFIG needs Config.SkipServerCheck (after
// its operator has checked the policy). New runs Check unless
// SkipServerCheck is set. It is bounded by the Store's Timeout.
func (s *Store) Check(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var err error
	if c, ok := s.client.(*redis.ClusterClient); ok {
		err = c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return s.checkNode(ctx, node, node.Options().Addr)
		})
	} else {
		name := "redis"
		if c, ok := s.client.(*redis.Client); ok {
			name = c.Options().Addr
		}
		err = s.checkNode(ctx, s.client, name)
	}
	if err != nil && !errors.Is(err, ErrServerConfig) {
		return fmt.Errorf("redisstore: server check: %w", err)
	}
	return err
}

// checkNode checks one server, called name in errors.
func (s *Store) checkNode(ctx context.Context, c redis.Cmdable, name string) error {
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	repl := infoFields(info)
	if repl["role"] != "master" {
		return fmt.Errorf("%w: %s is a %s, not a master: reads miss revocations the master has", ErrServerConfig, name, repl["role"])
	}
	if s.minReplicas > 0 {
		if n, _ := strconv.Atoi(repl["connected_slaves"]); n < s.minReplicas {
			return fmt.Errorf("%w: %s has %d connected replicas, fewer than MinReplicas (%d): every revocation would fail", ErrServerConfig, name, n, s.minReplicas)
		}
	}

	params := []string{"maxmemory-policy"}
	if s.persist {
		params = append(params, "save", "appendonly", "appendfsync")
	}
	conf := make(map[string]string)
	for _, p := range params {
		m, err := c.ConfigGet(ctx, p).Result()
		if err != nil {
			return fmt.Errorf("%s: CONFIG GET %s: %w (a Redis that forbids CONFIG needs Config.SkipServerCheck, once its maxmemory-policy is known to be noeviction)", name, p, err)
		}
		v, ok := m[p]
		if !ok {
			return fmt.Errorf("%s: CONFIG GET %s: no such parameter", name, p)
		}
		conf[p] = v
	}
	if p := conf["maxmemory-policy"]; p != "noeviction" {
		return fmt.Errorf("%w: %s has maxmemory-policy %s, which can evict revocations, failure counts and refresh families under memory pressure; set it to noeviction", ErrServerConfig, name, p)
	}
	if s.persist {
		return checkPersistence(name, conf)
	}
	return nil
}

// checkPersistence returns an error wrapping ErrServerConfig unless conf
// (the server's save, appendonly and appendfsync) logs every write to an
// append-only file fsynced at least every second.
func checkPersistence(name string, conf map[string]string) error {
	const want = "set appendonly yes with appendfsync everysec or always"
	switch {
	case conf["appendonly"] != "yes" && strings.TrimSpace(conf["save"]) == "":
		return fmt.Errorf("%w: %s persists nothing (save \"\", appendonly no), so a restart empties it, and RequirePersistence is set; %s", ErrServerConfig, name, want)
	case conf["appendonly"] != "yes":
		return fmt.Errorf("%w: %s persists only snapshots (save %q, appendonly no): a restart from the last snapshot rolls back the revocations written since, undetected (the epoch record survives), and RequirePersistence is set; %s", ErrServerConfig, name, conf["save"], want)
	case conf["appendfsync"] != "everysec" && conf["appendfsync"] != "always":
		return fmt.Errorf("%w: %s has appendfsync %s, which leaves the append-only file's tail to the operating system (about 30 s of writes lost to a machine crash, undetected), and RequirePersistence is set; %s", ErrServerConfig, name, conf["appendfsync"], want)
	}
	return nil
}

// infoFields reads the "name:value" lines of an INFO reply.
func infoFields(info string) map[string]string {
	m := make(map[string]string)
	for line := range strings.Lines(info) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			m[k] = v
		}
	}
	return m
}

// replicated runs write — commands on keys of key's hash slot, queued on
// one pipeline — and, when Config.MinReplicas is positive, a WAIT on the
// same connection, so that it returns nil only once that many replicas
// have acknowledged the write (WAIT counts the writes of its own
// connection). On a Redis Cluster both go to the master that owns key.
// Scripts in write must be queued with Script.Eval (a pipeline cannot fall
// back from EVALSHA). Fewer acknowledgements within ReplicaTimeout return
// an error wrapping ErrNotReplicated.
func (s *Store) replicated(ctx context.Context, key string, write func(p redis.Pipeliner)) error {
	var target redis.Cmdable = s.client
	cluster, isCluster := s.client.(*redis.ClusterClient)
	if s.minReplicas > 0 && isCluster {
		node, err := cluster.MasterForKey(ctx, key)
		if err != nil {
			return err
		}
		target = node
	}
	var wait *redis.Cmd
	_, err := target.Pipelined(ctx, func(p redis.Pipeliner) error {
		write(p)
		if s.minReplicas > 0 {
			wait = p.Do(ctx, "wait", s.minReplicas, waitMS(s.replicaTimeout))
		}
		return nil
	})
	if err != nil {
		if target != s.client {
			// The node may no longer own the slot (a failover, a
			// resharding): have the cluster client look again.
			cluster.ReloadState(ctx)
		}
		return err
	}
	if wait != nil {
		n, err := wait.Int64()
		if err != nil {
			return err
		}
		if n < int64(s.minReplicas) {
			return fmt.Errorf("%w: %d of %d within %v", ErrNotReplicated, n, s.minReplicas, s.replicaTimeout)
		}
	}
	return nil
}

// waitMS returns d as WAIT's timeout: whole milliseconds, rounded up and
// at least 1, since WAIT takes 0 to mean no timeout at all.
func waitMS(d time.Duration) int64 {
	return max(int64((d+time.Millisecond-1)/time.Millisecond), 1)
}

// runWrite runs script on its one key under the Store's deadline (see
// runScript).
func (s *Store) runWrite(ctx context.Context, op string, script *redis.Script, key string, args ...any) error {
	return s.runWriteKeys(ctx, op, script, []string{key}, args...)
}

// runWriteKeys runs script on keys of one hash slot under the Store's
// deadline (see runScript).
func (s *Store) runWriteKeys(ctx context.Context, op string, script *redis.Script, keys []string, args ...any) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return wrap(op, s.runScript(ctx, script, keys, args...).Err())
}

// runScript runs a script that revokes or removes access, on keys of one
// hash slot, and returns its reply: with Config.MinReplicas, queued with a
// WAIT on the master that owns keys[0] (see replicated), so that its error
// wraps ErrNotReplicated when too few replicas acknowledged the write
// (the reply is still that of the applied script); otherwise one EVALSHA,
// falling back to EVAL. The caller bounds ctx.
func (s *Store) runScript(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	if s.minReplicas == 0 {
		return script.Run(ctx, s.client, keys, args...)
	}
	var cmd *redis.Cmd
	err := s.replicated(ctx, keys[0], func(p redis.Pipeliner) {
		cmd = script.Eval(ctx, p, keys, args...)
	})
	if cmd == nil {
		cmd = redis.NewCmd(ctx)
	}
	if err != nil && cmd.Err() == nil {
		cmd.SetErr(err)
	}
	return cmd
}
