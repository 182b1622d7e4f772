//go:build race

package jwsalg

// raceEnabled reports whether the race detector is on: under it sync.Pool
// drops items, so allocation counts are not the program's.
const raceEnabled = true
