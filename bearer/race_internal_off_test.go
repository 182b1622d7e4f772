//go:build !race

package bearer

// raceEnabled reports whether the race detector is on: under it sync.Pool
// drops items and allocation counts are not the program's.
const raceEnabled = false
