package issuer

// Len exposes MemoryRefresh.len to the package's external tests: how many
// token hashes the store holds.
func (m *MemoryRefresh) Len() int { return m.len() }
