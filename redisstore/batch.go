package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-go/gatehouse/ratelimit"
)

var _ ratelimit.FailureBatcher = (*Failures)(nil)

// AddFailures implements [ratelimit.FailureBatcher]: the script of
// AddFailure for each attempt, in one pipeline — one round trip on one
// Redis; on a Redis Cluster, whose keys of different attempts lie on
// different masters, one pipeline per master, sent at once. Each script
// is atomic on its key, as AddFailure is.
func (f *Failures) AddFailures(ctx context.Context, attempts []ratelimit.Attempt, window time.Duration, now time.Time) ([]ratelimit.FailureCount, error) {
	if len(attempts) == 0 {
		return []ratelimit.FailureCount{}, nil
	}
	ctx, cancel := f.s.ctx(ctx)
	defer cancel()
	w := strconv.FormatInt(max(window.Microseconds(), 1), 10)
	calls := make([]scriptCall, len(attempts))
	for i, a := range attempts {
		calls[i] = scriptCall{failuresScript, []string{f.s.key("fail:", a.Key)},
			[]any{f.s.nowArg(now), w, counterSlack.Milliseconds(), "a:" + a.ID}}
	}
	cmds, err := f.s.pipelineScripts(ctx, nil, calls)
	if err != nil {
		return nil, wrap("add failures", err)
	}
	out := make([]ratelimit.FailureCount, len(cmds))
	for i, cmd := range cmds {
		v, err := cmd.Int64Slice()
		if err != nil {
			return nil, wrap("add failures", err)
		}
		if len(v) != 2 {
			return nil, wrap("add failures", errReply)
		}
		if v[0] != 0 {
			out[i] = ratelimit.FailureCount{Count: int(v[0]), ResetAt: time.UnixMicro(v[1])}
		}
	}
	return out, nil
}

// SettleFailures implements [ratelimit.FailureBatcher]: a DEL per key of
// reset and the script of RemoveFailure per attempt of remove, in one
// pipeline (one per master on a cluster, sent at once).
func (f *Failures) SettleFailures(ctx context.Context, reset []string, remove []ratelimit.Attempt, now time.Time) error {
	if len(reset)+len(remove) == 0 {
		return nil
	}
	ctx, cancel := f.s.ctx(ctx)
	defer cancel()
	calls := make([]scriptCall, len(remove))
	for i, a := range remove {
		calls[i] = scriptCall{removeFailureScript, []string{f.s.key("fail:", a.Key)},
			[]any{f.s.nowArg(now), "a:" + a.ID, ratelimit.TakeBackMemory.Milliseconds()}}
	}
	dels := func(p redis.Pipeliner) {
		for _, key := range reset {
			p.Del(ctx, f.s.key("fail:", key))
		}
	}
	_, err := f.s.pipelineScripts(ctx, dels, calls)
	return wrap("settle failures", err)
}

// A scriptCall is one script to run in a pipeline, with its keys and
// arguments.
type scriptCall struct {
	script *redis.Script
	keys   []string
	args   []any
}

// pipelineScripts sends the commands first queues (if any), then calls,
// in one pipeline: one round trip on one Redis; on a Redis Cluster, one
// pipeline per master the keys belong to, sent at once. Scripts go as
// EVALSHA; a script a Redis does not have (NOSCRIPT: it restarted empty,
// or its scripts were flushed) is sent again with its source, in one more
// pipeline. It returns the scripts' replies in order and the first error
// of any command (a nil reply is no error).
func (s *Store) pipelineScripts(ctx context.Context, first func(redis.Pipeliner), calls []scriptCall) ([]*redis.Cmd, error) {
	cmds := make([]*redis.Cmd, len(calls))
	sent, perr := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if first != nil {
			first(p)
		}
		for i, c := range calls {
			cmds[i] = c.script.EvalSha(ctx, p, c.keys, c.args...)
		}
		return nil
	})
	var again []int
	for i, cmd := range cmds {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range again {
				c := calls[i]
				cmds[i] = c.script.Eval(ctx, p, c.keys, c.args...)
			}
			return nil
		})
	}
	if n := len(sent) - len(calls); n > 0 {
		for _, cmd := range sent[:n] {
			if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
				return nil, err
			}
		}
	}
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
	}
	if perr != nil && len(again) == 0 && !errors.Is(perr, redis.Nil) {
		return nil, perr // an error that no command carries
	}
	return cmds, nil
}
