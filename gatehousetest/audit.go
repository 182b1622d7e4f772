package gatehousetest

import (
	"context"
	"slices"
	"sync"

	"github.com/gatehouse-go/gatehouse"
)

// AuditLog is a [gatehouse.Auditor] that keeps the events it receives, so
// a test can check why a middleware refused a request (Event.Reason,
// bearer.ReasonTokenExpired say) from its audit, as production logs it.
// The zero AuditLog is ready to use and safe for concurrent use.
type AuditLog struct {
	mu     sync.Mutex
	events []gatehouse.Event
}

var _ gatehouse.Auditor = (*AuditLog)(nil)

// Audit keeps e.
func (l *AuditLog) Audit(_ context.Context, e gatehouse.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

// Events returns the events kept so far, oldest first.
func (l *AuditLog) Events() []gatehouse.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// Last returns the latest event, or the zero Event when there is none.
func (l *AuditLog) Last() gatehouse.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.events) == 0 {
		return gatehouse.Event{}
	}
	return l.events[len(l.events)-1]
}
