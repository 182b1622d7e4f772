package monitor

import "net/netip"

// A client is the state of one client scope: a window per kind, and its
// place in the table's recency list.
type client struct {
	key        netip.Prefix
	windows    [2]window // by Kind-1
	prev, next *client   // the recency list: prev is more recent
}

// idle reports whether nothing of c matters any more at time at.
func (c *client) idle(at, span int64) bool {
	return c.windows[0].idle(at, span) && c.windows[1].idle(at, span)
}

// A table holds at most max clients, in a map and in a list ordered by
// their latest event (head the most recent), so that finding, touching,
// adding and evicting a client are O(1).
type table struct {
	byKey      map[netip.Prefix]*client
	head, tail *client
	max        int
	spare      *client // the last client evicted, reused with its rings' memory
}

func newTable(max int) *table {
	return &table{byKey: make(map[netip.Prefix]*client, min(max, 1024)), max: max}
}

// get returns the client of key, made the most recent, adding it if the
// table has none: first forgetting the idle clients at the tail, then, if
// the table is still full, the least recent one.
func (t *table) get(key netip.Prefix, at, span int64) *client {
	if c := t.byKey[key]; c != nil {
		t.unlink(c)
		t.push(c)
		return c
	}
	for t.tail != nil && t.tail.idle(at, span) {
		t.evict(t.tail)
	}
	if len(t.byKey) >= t.max {
		t.evict(t.tail)
	}
	c := t.spare
	if c != nil {
		t.spare = nil
		c.windows[0].reset()
		c.windows[1].reset()
		c.key, c.prev, c.next = key, nil, nil
	} else {
		c = &client{key: key}
	}
	t.byKey[key] = c
	t.push(c)
	return c
}

// evict removes c from the table, keeping it as the spare.
func (t *table) evict(c *client) {
	t.unlink(c)
	delete(t.byKey, c.key)
	t.spare = c
}

func (t *table) push(c *client) {
	c.prev, c.next = nil, t.head
	if t.head != nil {
		t.head.prev = c
	}
	t.head = c
	if t.tail == nil {
		t.tail = c
	}
}

func (t *table) unlink(c *client) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		t.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		t.tail = c.prev
	}
	c.prev, c.next = nil, nil
}

// scopeOf returns the client scope of a: an IPv4 address (IPv4-mapped
// IPv6 included) as its /32, an IPv6 address as its /64, without zone;
// the zero Prefix for the zero Addr.
func scopeOf(a netip.Addr) netip.Prefix {
	if !a.IsValid() {
		return netip.Prefix{}
	}
	a = a.Unmap().WithZone("")
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits) // cannot fail: bits is within a's length
	return p
}
