package monitor

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/gatehouse-go/gatehouse"
)

// A Monitor counts the 401 and 403 answers of the audit stream over a
// sliding window, per client and overall, and raises an [Alert] when a
// threshold is exceeded. It is a [gatehouse.Auditor], safe for concurrent
// use. Other events (allowed requests, 400s, 429s, 5xx) cost it a
// comparison and nothing else.
type Monitor struct {
	onAlert func(context.Context, Alert)
	log     *slog.Logger
	now     func() time.Time
	epoch   time.Time // the clock's reading at New: event times are offsets from it
	span    int64     // the window, in nanoseconds
	max     [2]int    // the thresholds, by Kind-1
	overMax [2]int    // the overall scope's thresholds, by Kind-1
	budget  int       // alerts about single clients per window

	mu      sync.Mutex
	overall [2]window // by Kind-1
	clients *table
	// The alerts about single clients delivered since budgetFrom, and
	// those held back since the last overall alert.
	budgetFrom, budgetUsed, heldBack int64
}

// New returns a Monitor configured by cfg, or an error wrapping
// [ErrConfig] naming what is wrong with it.
func New(cfg Config) (*Monitor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Monitor{
		onAlert: cfg.OnAlert,
		log:     cfg.Logger,
		now:     cfg.Now,
		epoch:   cfg.Now(),
		span:    int64(cfg.Window),
		max:     [2]int{cfg.MaxUnauthorized, cfg.MaxForbidden},
		overMax: [2]int{cfg.OverallMaxUnauthorized, cfg.OverallMaxForbidden},
		budget:  cfg.MaxClientAlerts,
		clients: newTable(cfg.MaxAddresses),
	}, nil
}

// Audit counts e if it answered 401 or 403, and raises the alerts it
// causes: the client's (when e has a client address) and the overall one.
func (m *Monitor) Audit(ctx context.Context, e gatehouse.Event) {
	switch e.Status {
	case 401:
		m.count(ctx, Unauthorized, e.ClientIP, e.Reason)
	case 403:
		m.count(ctx, Forbidden, e.ClientIP, e.Reason)
	}
}

// count records one refusal of kind k from addr and delivers the alerts
// it raises, outside the lock.
func (m *Monitor) count(ctx context.Context, k Kind, addr netip.Addr, reason gatehouse.Reason) {
	// Offsets from the epoch use the monotonic clock when the clock has
	// one (time.Now), so the window never runs backwards with the wall
	// clock.
	at := int64(m.now().Sub(m.epoch))
	scope := scopeOf(addr)
	i, max := k-1, m.max[k-1]
	var alerts [2]Alert
	n := 0
	m.mu.Lock()
	if scope.IsValid() {
		c := m.clients.get(scope, at, m.span)
		if w := &c.windows[i]; w.add(at, reason, m.span, max) {
			a := m.alert(w, k, scope, max, at)
			if m.spend(at) {
				alerts[n] = a
				n++
			}
		}
	}
	if w := &m.overall[i]; w.add(at, reason, m.span, m.overMax[i]) {
		alerts[n] = m.alert(w, k, netip.Prefix{}, m.overMax[i], at)
		alerts[n].SuppressedClients = int(m.heldBack)
		m.heldBack = 0
		n++
	}
	m.mu.Unlock()
	for _, a := range alerts[:n] {
		m.log.LogAttrs(ctx, slog.LevelWarn, "gatehouse monitor alert", a.LogAttrs()...)
		if m.onAlert != nil {
			m.onAlert(ctx, a)
		}
	}
}

// spend reports whether an alert about a single client raised at time at
// may be delivered: fewer than the budget were within the window that
// began with the first of them. One held back is counted for the next
// overall alert.
func (m *Monitor) spend(at int64) bool {
	if m.budgetUsed == 0 || at-m.budgetFrom >= m.span {
		m.budgetFrom, m.budgetUsed = at, 0
	}
	if m.budgetUsed >= int64(m.budget) {
		m.heldBack++
		return false
	}
	m.budgetUsed++
	return true
}

// alert records the alert w raised at time at, over threshold max, and
// describes it.
func (m *Monitor) alert(w *window, k Kind, scope netip.Prefix, max int, at int64) Alert {
	prev, had, suppressed := w.raised(at)
	a := Alert{
		Kind:       k,
		Client:     scope,
		Count:      len(w.ring),
		Threshold:  max,
		Window:     time.Duration(m.span),
		First:      m.time(w.oldest()),
		Last:       m.time(at),
		Reasons:    w.reasons(3),
		Suppressed: suppressed,
	}
	if had {
		a.Previous = m.time(prev)
	}
	return a
}

// time turns an offset from the epoch back into a wall-clock time.
func (m *Monitor) time(at int64) time.Time {
	return m.epoch.Add(time.Duration(at)).Round(0)
}
