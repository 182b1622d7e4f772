//go:build !purego

package compact

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHasBlocks: the vector decoder runs exactly where the kernel reports
// AVX2, so that a broken feature check cannot leave the assembly untested
// while every test passes on the portable path.
func TestHasBlocks(t *testing.T) {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip("no /proc/cpuinfo to compare with")
	}
	var avx2 bool
	for line := range strings.Lines(string(info)) {
		if name, flags, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			avx2 = slices.Contains(strings.Fields(flags), "avx2")
			break
		}
	}
	assert.Equal(t, avx2, hasBlocks, "the processor's flags and hasBlocks disagree")
}
