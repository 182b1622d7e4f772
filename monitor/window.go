package monitor

import (
	"cmp"
	"slices"

	"github.com/gatehouse-go/gatehouse"
)

// An event is one counted refusal: its time, in nanoseconds since the
// monitor's epoch, and its reason.
type event struct {
	at     int64
	reason gatehouse.Reason
}

// A window counts the events of one kind in one scope over a sliding
// window, exactly, in O(1) per event and O(threshold) memory.
//
// The question is only "were there more than max events in the last
// span?", which is true exactly when the max+1 latest events all lie
// within the span. So the window keeps the latest max+1 event times in a
// ring (growing up to that size, so a client refused once costs one slot)
// and compares the oldest of them with the newest: no buckets, no
// rounding, no scan. Events older than those are not needed for the
// decision and are overwritten.
type window struct {
	ring []event // the latest events, at most max+1
	next int     // where the next event goes once the ring is full: its oldest

	alerted    bool  // an alert was raised...
	alertAt    int64 // ...at this time
	suppressed int   // events since that alert, within its quiet period
	lastAt     int64 // the latest event
}

// add records an event at time at (never before the previous one's, on
// the monitor's clock) and reports whether it raises an alert: whether the
// last max+1 events lie within span and no alert of this window was
// raised during the last span.
func (w *window) add(at int64, reason gatehouse.Reason, span int64, max int) bool {
	limit := max + 1
	if len(w.ring) < limit {
		if len(w.ring) == cap(w.ring) { // grow by doubling, to limit and no further
			w.ring = append(make([]event, 0, min(limit, 2*cap(w.ring)+1)), w.ring...)
		}
		w.ring = append(w.ring, event{at, reason})
	} else {
		w.ring[w.next] = event{at, reason}
		w.next++
		if w.next == limit {
			w.next = 0
		}
	}
	w.lastAt = at
	if w.quiet(at, span) {
		w.suppressed++
		return false
	}
	if len(w.ring) < limit || at-w.ring[w.next].at >= span {
		return false // fewer than max+1 events, or the oldest of them has left the window
	}
	return true
}

// quiet reports whether at is within the quiet period of the window's
// last alert.
func (w *window) quiet(at, span int64) bool {
	return w.alerted && at-w.alertAt < span
}

// idle reports whether the window holds nothing that matters at time at:
// every event has left the window and no alert's quiet period is running.
func (w *window) idle(at, span int64) bool {
	return (len(w.ring) == 0 || at-w.lastAt >= span) && !w.quiet(at, span)
}

// raised records an alert at time at, after add returned true, and
// returns the previous alert's time (ok false if there was none) and the
// number of events suppressed since.
func (w *window) raised(at int64) (prev int64, ok bool, suppressed int) {
	prev, ok, suppressed = w.alertAt, w.alerted, w.suppressed
	w.alerted, w.alertAt, w.suppressed = true, at, 0
	return prev, ok, suppressed
}

// oldest returns the time of the oldest event the ring holds (next
// stays 0 until the ring is full, and then points at its oldest).
func (w *window) oldest() int64 { return w.ring[w.next].at }

// reasons returns the most frequent reasons of the events the ring holds,
// at most n, most frequent first, ties in name order.
func (w *window) reasons(n int) []ReasonCount {
	var out []ReasonCount
	for _, e := range w.ring {
		i := slices.IndexFunc(out, func(rc ReasonCount) bool { return rc.Reason == e.reason })
		if i < 0 {
			out = append(out, ReasonCount{Reason: e.reason, Count: 1})
		} else {
			out[i].Count++
		}
	}
	slices.SortFunc(out, func(a, b ReasonCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Reason, b.Reason)
	})
	return out[:min(n, len(out))]
}

// reset empties the window for a new scope, keeping its ring's memory.
func (w *window) reset() {
	*w = window{ring: w.ring[:0]}
}
