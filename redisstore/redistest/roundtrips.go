package redistest

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RoundTrips is a go-redis hook that measures what code costs in Redis:
// the commands it sends, and the sequential round trips it waits for
// ("waits"). A wait begins whenever a counted command (or pipeline) is
// sent while no other counted one is outstanding, so a pipeline is one
// wait, and so are commands sent concurrently on several connections (one
// pipeline per node of a Redis Cluster included); a command sent after
// the previous reply arrived is another. The count is exact for the code
// measured, and independent of how long Redis takes to answer: use it to
// assert round trips, never timings.
//
// Dials are not counted. A command that opens a connection sends its
// handshake first (HELLO, CLIENT SETINFO), whose commands count with it
// and whose round trip does not: measure code whose connections are open
// (run it once before).
//
// Only commands whose context was marked by [RoundTrips.Context] (or
// whose request went through [RoundTrips.Handler]) are counted, so that a
// client's background traffic — health checks, slot-map reloads, the
// take-backs a store retries on its own — is left out. Add it to a client
// with AddHook; on a *redis.ClusterClient it counts the cluster client's
// commands and pipelines, each as the application sent it (the per-node
// pipelines a cluster pipeline is split into are one wait, as they run
// concurrently).
//
// The zero RoundTrips is ready to use. It is safe for concurrent use.
type RoundTrips struct {
	// Latency, when positive, holds every counted command or pipeline that
	// long before sending it, as a Redis that far away would: commands
	// that code sends together then overlap even on a busy machine, where
	// a goroutine may otherwise start only after another's reply arrived,
	// so the count of waits reflects the code's structure rather than the
	// scheduler's. Set it before the hook is added.
	Latency time.Duration

	mu          sync.Mutex
	outstanding int
	count       Cost
}

// Cost is what RoundTrips counted: sequential round trips and commands.
type Cost struct {
	Waits    int // sequential round trips
	Commands int // commands sent, each command of a pipeline counted
}

// countedKey marks the contexts whose commands a RoundTrips counts; the
// value is the RoundTrips.
type countedKey struct{}

var _ redis.Hook = (*RoundTrips)(nil)

// Context returns ctx marked so that r counts the commands sent with it,
// or with any context derived from it.
func (r *RoundTrips) Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, countedKey{}, r)
}

// Handler returns h with every request's context marked for r (see
// [RoundTrips.Context]): the commands a request's handling sends are
// counted.
func (r *RoundTrips) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h.ServeHTTP(w, req.WithContext(r.Context(req.Context())))
	})
}

// Take returns what r counted since the last Take (or since it was added)
// and starts counting from zero. Call it when nothing counted is
// outstanding, between the pieces of code to measure.
func (r *RoundTrips) Take() Cost {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.count
	r.count = Cost{}
	return c
}

// DialHook implements redis.Hook: dials are not counted.
func (r *RoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook: one command.
func (r *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !r.counts(ctx) {
			return next(ctx, cmd)
		}
		r.begin(1)
		defer r.end()
		r.hold(ctx)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook: a pipeline (or a MULTI/EXEC
// transaction) of commands, one round trip.
func (r *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !r.counts(ctx) {
			return next(ctx, cmds)
		}
		r.begin(len(cmds))
		defer r.end()
		r.hold(ctx)
		return next(ctx, cmds)
	}
}

// counts reports whether ctx was marked for r.
func (r *RoundTrips) counts(ctx context.Context) bool {
	m, _ := ctx.Value(countedKey{}).(*RoundTrips)
	return m == r
}

// begin records n commands sent together: a new wait unless others are
// outstanding.
func (r *RoundTrips) begin(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.outstanding == 0 {
		r.count.Waits++
	}
	r.outstanding++
	r.count.Commands += n
}

// end records that the commands begin recorded were answered.
func (r *RoundTrips) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outstanding--
}

// hold waits Latency, or until ctx ends.
func (r *RoundTrips) hold(ctx context.Context) {
	if r.Latency <= 0 {
		return
	}
	t := time.NewTimer(r.Latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
