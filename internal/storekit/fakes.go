package storekit

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-go/gatehouse"
)

// A Clock is a settable test clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at the current second.
func NewClock() *Clock { return NewClockAt(time.Now().UTC().Truncate(time.Second)) }

// NewClockAt returns a Clock at t.
func NewClockAt(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Events collects audit events; it is a gatehouse.Auditor.
type Events struct {
	mu  sync.Mutex
	evs []gatehouse.Event
}

// Audit records ev.
func (e *Events) Audit(_ context.Context, ev gatehouse.Event) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
}

// All returns a copy of the events recorded so far.
func (e *Events) All() []gatehouse.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]gatehouse.Event(nil), e.evs...)
}

// Last returns the last event recorded, or the zero Event.
func (e *Events) Last() gatehouse.Event {
	all := e.All()
	if len(all) == 0 {
		return gatehouse.Event{}
	}
	return all[len(all)-1]
}
