package gatehouse_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
)

// recorder is an Auditor that notes the events it sees under a name.
type recorder struct {
	name string
	log  *[]string
}

func (r recorder) Audit(_ context.Context, e gatehouse.Event) {
	*r.log = append(*r.log, r.name+":"+string(e.Reason))
}

func TestAuditorsFanOutInOrder(t *testing.T) {
	var seen []string
	a, b, c := recorder{"a", &seen}, recorder{"b", &seen}, recorder{"c", &seen}
	fan := gatehouse.Auditors(a, nil, b, gatehouse.AuditFunc(nil), c)
	require.NotNil(t, fan)
	gatehouse.Emit(context.Background(), fan, gatehouse.Event{Reason: "r1"})
	gatehouse.Emit(context.Background(), fan, gatehouse.Event{Reason: "r2"})
	assert.Equal(t, []string{"a:r1", "b:r1", "c:r1", "a:r2", "b:r2", "c:r2"}, seen)
}

func TestAuditorsNoneIsNil(t *testing.T) {
	assert.Nil(t, gatehouse.Auditors())
	assert.Nil(t, gatehouse.Auditors(nil, nil))
	assert.Nil(t, gatehouse.Auditors(gatehouse.AuditFunc(nil)))
	var off *pointerAuditor // monitoring turned off by a flag
	assert.Nil(t, gatehouse.Auditors(off), "a typed nil is skipped, not called (it would panic)")
	assert.Nil(t, gatehouse.Auditors(gatehouse.Auditors(nil)), "an empty fan-out inside one is nothing")
	gatehouse.Emit(context.Background(), gatehouse.Auditors(nil), gatehouse.Event{}) // a no-op, no panic
}

func TestAuditorsOneIsItself(t *testing.T) {
	var seen []string
	a := recorder{"a", &seen}
	assert.Equal(t, gatehouse.Auditor(a), gatehouse.Auditors(nil, a, nil))
}

func TestAuditorsFlattensNestedLists(t *testing.T) {
	var seen []string
	a, b, c := recorder{"a", &seen}, recorder{"b", &seen}, recorder{"c", &seen}
	inner := gatehouse.Auditors(a, b)
	fan := gatehouse.Auditors(inner, c, inner)
	gatehouse.Emit(context.Background(), fan, gatehouse.Event{Reason: "x"})
	assert.Equal(t, []string{"a:x", "b:x", "c:x", "a:x", "b:x"}, seen)
	assert.Len(t, fan, 5, "the nested lists were flattened into one")
}

func TestAuditorsEachSeesTheSameEvent(t *testing.T) {
	var got []gatehouse.Event
	keep := gatehouse.AuditFunc(func(_ context.Context, e gatehouse.Event) { got = append(got, e) })
	var buf bytes.Buffer
	fan := gatehouse.Auditors(gatehouse.SlogAuditor(slog.New(slog.NewTextHandler(&buf, nil))), keep)
	ev := gatehouse.Event{Source: "bearer", Action: "authenticate", Outcome: gatehouse.Denied, Reason: "token_expired", Status: 401}
	gatehouse.Emit(context.Background(), fan, ev)
	assert.Equal(t, []gatehouse.Event{ev}, got)
	assert.Contains(t, buf.String(), "reason=token_expired")
}

func ExampleAuditors() {
	logs := gatehouse.AuditFunc(func(_ context.Context, e gatehouse.Event) {
		fmt.Println("log:", e.Source, e.Outcome, e.Status)
	})
	denials := 0
	count := gatehouse.AuditFunc(func(_ context.Context, e gatehouse.Event) {
		if e.Outcome == gatehouse.Denied {
			denials++
		}
	})
	audit := gatehouse.Auditors(logs, nil, count) // what a Config.Audit takes
	gatehouse.Emit(context.Background(), audit, gatehouse.Event{Source: "apikey", Outcome: gatehouse.Denied, Reason: "key_unknown", Status: 401})
	gatehouse.Emit(context.Background(), audit, gatehouse.Event{Source: "apikey", Outcome: gatehouse.Allowed})
	fmt.Println("denials:", denials)
	// Output:
	// log: apikey deny 401
	// log: apikey allow 0
	// denials: 1
}

func BenchmarkAuditors(b *testing.B) {
	n := 0
	count := gatehouse.AuditFunc(func(context.Context, gatehouse.Event) { n++ })
	fan := gatehouse.Auditors(count, count, count)
	ctx := context.Background()
	ev := gatehouse.Event{Source: "bearer", Action: "authenticate", Outcome: gatehouse.Allowed}
	b.ReportAllocs()
	for b.Loop() {
		gatehouse.Emit(ctx, fan, ev)
	}
	if n != 3*b.N {
		b.Fatalf("%d calls for %d events", n, b.N)
	}
}

type pointerAuditor struct{ n int }

func (p *pointerAuditor) Audit(context.Context, gatehouse.Event) { p.n++ }
