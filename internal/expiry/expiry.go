// Package expiry orders records by expiry for the in-memory stores of
// packages issuer and tokenendpoint.
package expiry

import "time"

// A Queue orders keys by expiry: the memory stores push one entry per
// record they hold and pop the expired ones before writes, so that expired
// records are forgotten earliest first and a full store knows at once
// whether anything can be dropped. Entries pushed in expiry order (the
// common case: one ttl and a clock that moves forward) go to a FIFO, in
// O(1); the others to a min-heap, in O(log n). It is not safe for
// concurrent use; the stores call it under their mutex.
type Queue[K comparable] struct {
	fifo []entry[K] // fifo[head:] in expiry order
	head int
	heap []entry[K] // min-heap by expiry
}

type entry[K comparable] struct {
	at  time.Time
	key K
}

// Push adds key expiring at at.
func (q *Queue[K]) Push(key K, at time.Time) {
	if n := len(q.fifo); n == q.head || !at.Before(q.fifo[n-1].at) {
		q.fifo = append(q.fifo, entry[K]{at: at, key: key})
		return
	}
	q.heap = append(q.heap, entry[K]{at: at, key: key})
	h := q.heap
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h[i].at.Before(h[p].at) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// PopExpired removes every entry whose time is not after now, earliest
// first, and calls drop with each.
func (q *Queue[K]) PopExpired(now time.Time, drop func(key K, at time.Time)) {
	for {
		var e entry[K]
		fromHeap := false
		switch {
		case q.head < len(q.fifo) && (len(q.heap) == 0 || !q.heap[0].at.Before(q.fifo[q.head].at)):
			e = q.fifo[q.head]
		case len(q.heap) > 0:
			e, fromHeap = q.heap[0], true
		default:
			return
		}
		if now.Before(e.at) {
			return
		}
		if fromHeap {
			q.popHeap()
		} else {
			q.popFIFO()
		}
		drop(e.key, e.at)
	}
}

// popFIFO removes the FIFO's first entry, moving the rest down once half
// of the slice is spent; it is not empty.
func (q *Queue[K]) popFIFO() {
	q.fifo[q.head] = entry[K]{} // let the key's memory go
	q.head++
	switch {
	case q.head == len(q.fifo):
		q.fifo, q.head = q.fifo[:0], 0
	case q.head >= 1024 && q.head*2 >= len(q.fifo):
		n := copy(q.fifo, q.fifo[q.head:])
		clear(q.fifo[n:])
		q.fifo, q.head = q.fifo[:n], 0
	}
}

// popHeap removes the heap's earliest entry; it is not empty.
func (q *Queue[K]) popHeap() {
	h := q.heap
	last := len(h) - 1
	h[0] = h[last]
	h[last] = entry[K]{}
	q.heap = h[:last]
	q.down(0)
}

// down moves the heap's entry i down to its place.
func (q *Queue[K]) down(i int) {
	h := q.heap
	for {
		l, small := 2*i+1, i
		if l < len(h) && h[l].at.Before(h[small].at) {
			small = l
		}
		if r := l + 1; r < len(h) && h[r].at.Before(h[small].at) {
			small = r
		}
		if small == i {
			return
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
}

// Len returns the number of entries.
func (q *Queue[K]) Len() int { return len(q.fifo) - q.head + len(q.heap) }

// Keep removes every entry for which keep reports false, in time linear in
// the queue's length: for a store that forgets some records before they
// expire, whose entries would otherwise stay until their time.
func (q *Queue[K]) Keep(keep func(key K, at time.Time) bool) {
	fifo := q.fifo[:0]
	for _, e := range q.fifo[q.head:] {
		if keep(e.key, e.at) {
			fifo = append(fifo, e)
		}
	}
	clear(q.fifo[len(fifo):])
	q.fifo, q.head = fifo, 0
	h := q.heap[:0]
	for _, e := range q.heap {
		if keep(e.key, e.at) {
			h = append(h, e)
		}
	}
	clear(q.heap[len(h):])
	q.heap = h
	for i := len(h)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}
