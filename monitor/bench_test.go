package monitor_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/monitor"
)

// BenchmarkAllowed is the cost on every request: an allowed decision.
func BenchmarkAllowed(b *testing.B) {
	m, _, _ := setup(b, monitor.Config{})
	var a gatehouse.Auditor = m
	ctx := context.Background()
	ev := gatehouse.Event{Source: "bearer", Action: "authenticate", Outcome: gatehouse.Allowed, ClientIP: netip.MustParseAddr("192.0.2.7")}
	b.ReportAllocs()
	for b.Loop() {
		a.Audit(ctx, ev)
	}
}

// BenchmarkDenied is a 401 from a client the monitor already tracks (a
// flood from one address, de-duplicated).
func BenchmarkDenied(b *testing.B) {
	m, _, _ := setup(b, monitor.Config{})
	var a gatehouse.Auditor = m
	ctx := context.Background()
	ev := gatehouse.Event{Source: "bearer", Action: "authenticate", ClientIP: netip.MustParseAddr("192.0.2.7")}
	ev.Conclude(401, "token_invalid")
	b.ReportAllocs()
	for b.Loop() {
		a.Audit(ctx, ev)
	}
}

// BenchmarkDeniedRotating is a 401 from a new address each time, with the
// table full: every event evicts a client.
func BenchmarkDeniedRotating(b *testing.B) {
	m, _, _ := setup(b, monitor.Config{MaxAddresses: 1024})
	var a gatehouse.Auditor = m
	ctx := context.Background()
	ev := gatehouse.Event{Source: "bearer", Action: "authenticate"}
	ev.Conclude(401, "token_invalid")
	i := uint32(0)
	b.ReportAllocs()
	for b.Loop() {
		i++
		ev.ClientIP = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		a.Audit(ctx, ev)
	}
}

// BenchmarkDeniedParallel is a 401 from several goroutines at once, all
// through the monitor's one lock.
func BenchmarkDeniedParallel(b *testing.B) {
	m, _, _ := setup(b, monitor.Config{})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ev := gatehouse.Event{Source: "bearer", Action: "authenticate", ClientIP: netip.MustParseAddr("192.0.2.7")}
		ev.Conclude(401, "token_invalid")
		for pb.Next() {
			m.Audit(ctx, ev)
		}
	})
}
