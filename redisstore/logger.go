package redisstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// SetRedisLogger routes go-redis's own log lines — a connection pool that
// cannot dial, a cluster that reloads its slots, a panic it recovered — to
// l, each as one Warn record with the message "go-redis" and the line in
// its "log" attribute, instead of the unstructured lines go-redis writes on
// stderr by default. A nil l means slog.Default(), looked up at each line,
// so that a later slog.SetDefault applies.
//
// go-redis has one logger for the whole process (redis.SetLogger), not one
// per client: SetRedisLogger sets it for every go-redis client of the
// process, whether or not a Store uses it, and the last call wins — a
// later SetRedisLogger or redis.SetLogger replaces it. Importing this
// package calls SetRedisLogger(nil), so go-redis's lines reach
// slog.Default() unless the program chooses otherwise after its packages
// are initialized (in main, say). Config.Logger is the Store's own logger
// and does not change go-redis's.
func SetRedisLogger(l *slog.Logger) {
	redis.SetLogger(redisLogger{l})
}

func init() { SetRedisLogger(nil) }

// redisLogger adapts a *slog.Logger (nil: the default one) to go-redis's
// logging interface.
type redisLogger struct{ l *slog.Logger }

// Printf logs one go-redis line at Warn: go-redis writes at its default
// level only what went wrong.
func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l := r.l
	if l == nil {
		l = slog.Default()
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if !l.Enabled(ctx, slog.LevelWarn) {
		return
	}
	line := strings.TrimSpace(fmt.Sprintf(format, v...))
	line = strings.TrimPrefix(line, "redis: ")
	l.LogAttrs(ctx, slog.LevelWarn, "go-redis", slog.String("log", line))
}
