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
	window  time.Duration
	max     [2]int // the thresholds, by Kind-1

	mu      sync.Mutex
	overall [2]window // by Kind-1
	clients *table
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
		window:  cfg.Window,
		max:     [2]int{cfg.MaxUnauthorized, cfg.MaxForbidden},
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
			alerts[n] = m.alert(w, k, scope, at)
			n++
		}
	}
	if w := &m.overall[i]; w.add(at, reason, m.span, max) {
		alerts[n] = m.alert(w, k, netip.Prefix{}, at)
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

// alert records the alert w raised at time at and describes it.
func (m *Monitor) alert(w *window, k Kind, scope netip.Prefix, at int64) Alert {
	prev, had, suppressed := w.raised(at)
	a := Alert{
		Kind:       k,
		Client:     scope,
		Count:      len(w.ring),
		Threshold:  m.max[k-1],
		Window:     m.window,
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
