package redisstore_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// outageTimeout is the Store's Timeout in the outage tests.
const outageTimeout = 200 * time.Millisecond

// outageStore returns a Store on a proxy to the test Redis: the one New
// builds from Config.Addr, or (control) one on a go-redis client with
// go-redis's defaults.
func outageStore(tb testing.TB, control bool) (*redisstore.Store, *redistest.Proxy) {
	tb.Helper()
	c := redistest.Client(tb)
	prefix := redistest.Prefix(tb, c)
	p := redistest.NewProxy(tb, redistest.Addr())
	cfg := redisstore.Config{Addr: p.Addr(), Prefix: prefix, Timeout: outageTimeout}
	if control {
		cl := redis.NewClient(&redis.Options{Addr: p.Addr(), ContextTimeoutEnabled: true})
		tb.Cleanup(func() { _ = cl.Close() })
		cfg = redisstore.Config{Client: cl, Prefix: prefix, Timeout: outageTimeout}
	}
	s, err := redisstore.New(cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	established(tb, s)
	return s, p
}

// outageCycle stops the proxy, times the first failing Revoked call, keeps
// calling every 5 ms for outage, starts the proxy again and times the
// calls until the first success (giving up after limit).
func outageCycle(tb testing.TB, s *redisstore.Store, p *redistest.Proxy, outage, limit time.Duration) (firstError, recovery time.Duration) {
	tb.Helper()
	ctx := context.Background()
	ref := &bearer.TokenRef{Subject: "alice", ID: "j1", IssuedAt: time.Now().Unix()}
	_, err := s.Revocations().Revoked(ctx, ref)
	require.NoError(tb, err, "before the outage")
	p.Stop()
	start := time.Now()
	_, err = s.Revocations().Revoked(ctx, ref)
	firstError = time.Since(start)
	require.Error(tb, err, "the first call of the outage")
	// Requests keep coming during the outage, from 32 clients at once (a
	// server under load), each failing.
	var wg sync.WaitGroup
	var succeeded atomic.Bool
	end := time.Now().Add(outage)
	for range 32 {
		wg.Go(func() {
			for ; time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
				if _, err := s.Revocations().Revoked(ctx, ref); err == nil {
					succeeded.Store(true)
				}
			}
		})
	}
	wg.Wait()
	require.False(tb, succeeded.Load(), "a call succeeded during the outage")
	require.NoError(tb, p.Start())
	start = time.Now()
	for {
		if _, err = s.Revocations().Revoked(ctx, ref); err == nil {
			return firstError, time.Since(start)
		}
		if time.Since(start) > limit {
			tb.Fatalf("no success %v after Redis came back: %v", limit, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOutageFailsFastRecoversFast: with the client New builds from
// Config.Addr, the first call of an outage whose connections are refused
// fails well within Timeout (not by running out of it), and calls succeed
// again soon after Redis is back, even after an outage with enough failed
// requests to make go-redis's pool stop dialing (PoolSize failed dials in
// a row). The bounds are loose for shared machines: measured, the first
// error takes about 8 ms and recovery 1 to 15 ms; go-redis's defaults take
// the whole Timeout and 300 ms to 1 s (BenchmarkOutage).
func TestOutageFailsFastRecoversFast(t *testing.T) {
	s, p := outageStore(t, false)
	for range 5 {
		firstError, recovery := outageCycle(t, s, p, 300*time.Millisecond, 2*time.Second)
		t.Logf("first error after %v, recovered after %v", firstError, recovery)
		require.Less(t, firstError, outageTimeout/2)
		require.Less(t, recovery, 250*time.Millisecond)
	}
}

// BenchmarkOutage measures 20 outage/recovery cycles with the client New
// builds from Config.Addr and, as the control, a client with go-redis's
// defaults: p50 and p99 of the time to the first error and the time to
// the first success after Redis is back. Run it with -benchtime=1x.
func BenchmarkOutage(b *testing.B) {
	for _, tc := range []struct {
		name    string
		control bool
	}{{"store", false}, {"go-redis-defaults", true}} {
		b.Run(tc.name, func(b *testing.B) {
			s, p := outageStore(b, tc.control)
			for b.Loop() {
				var fe, rec []time.Duration
				for range 20 {
					f, r := outageCycle(b, s, p, 300*time.Millisecond, 3*time.Second)
					fe, rec = append(fe, f), append(rec, r)
				}
				slices.Sort(fe)
				slices.Sort(rec)
				b.ReportMetric(float64(fe[len(fe)/2].Microseconds())/1000, "first-error-p50-ms")
				b.ReportMetric(float64(fe[len(fe)*99/100].Microseconds())/1000, "first-error-p99-ms")
				b.ReportMetric(float64(rec[len(rec)/2].Microseconds())/1000, "recovery-p50-ms")
				b.ReportMetric(float64(rec[len(rec)*99/100].Microseconds())/1000, "recovery-p99-ms")
			}
		})
	}
}
