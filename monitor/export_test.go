package monitor

import "net/netip"

// Tracked returns the number of clients m tracks.
func Tracked(m *Monitor) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.clients.byKey)
}

// TracksAddr reports whether m tracks the client of addr.
func TracksAddr(m *Monitor, addr string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.clients.byKey[scopeOf(netip.MustParseAddr(addr))] != nil
}
