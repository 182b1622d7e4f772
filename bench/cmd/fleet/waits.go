package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// requestTypes are the request types the report counts, in its order.
var requestTypes = []string{"bearer", "login", "refresh", "logout"}

// A waitCost is what examples/rewardstore's round-trip test counted for
// one request type with redistest.RoundTrips: the sequential round trips
// the request waited for, and the commands the client sent.
type waitCost struct {
	waits    int
	commands int
}

// waitCounts holds a waitCost per Redis fleet (redisFleets) and request
// type (requestTypes).
type waitCounts map[string]map[string]waitCost

// roundTripTests maps each round-trip test of examples/rewardstore to the
// Redis it runs on, as redisFleets names it.
var roundTripTests = map[string]string{
	"TestRoundTripsSingleNode": "single node",
	"TestRoundTripsCluster":    "cluster",
}

// roundTripModes maps the mode a logged line names to the suffix of the
// fleet's name.
var roundTripModes = map[string]string{
	"local copy":    " + local copy",
	"no local copy": "",
}

// roundTripRun is the -test.run pattern of the two tests.
const roundTripRun = "^(TestRoundTripsSingleNode|TestRoundTripsCluster)$"

// waitLine is a line the round-trip test logs, as `go test -v` prints it:
// "    roundtrips_test.go:57: local copy, login: 2 waits, 5 commands".
var waitLine = regexp.MustCompile(`^\s*roundtrips_test\.go:\d+: (.+), (\w+): (\d+) waits, (\d+) commands$`)

// measureWaits runs examples/rewardstore's TestRoundTripsSingleNode and
// TestRoundTripsCluster from testBin (the package's test binary, which
// fleet.sh builds with go test -c) in dir, against the bench's own Redis
// node single and cluster nodes, and returns what they logged. A test
// that fails or is skipped, or a count that is missing or does not parse,
// is an error.
func measureWaits(ctx context.Context, testBin, dir, single string, clusterNodes []string) (waitCounts, error) {
	cmd := exec.CommandContext(ctx, testBin, "-test.count=1", "-test.v", "-test.run", roundTripRun, "-test.timeout", "2m")
	cmd.Dir = dir
	// The last value of a variable wins: the bench's Redis, never one the
	// environment names.
	cmd.Env = append(os.Environ(), "GATEHOUSE_REDIS_ADDR="+single, "GATEHOUSE_REDIS_CLUSTER="+strings.Join(clusterNodes, ","))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("round-trip tests (%s): %w\n%s", testBin, err, out)
	}
	counts, err := parseWaits(string(out))
	if err != nil {
		return nil, fmt.Errorf("round-trip tests (%s): %w\n%s", testBin, err, out)
	}
	return counts, nil
}

// parseWaits reads the counts the round-trip tests logged (`go test -v`
// output) and checks that every Redis fleet has one for every request
// type, exactly once. A line that names waits but does not parse is an
// error, as is one outside the two tests.
func parseWaits(out string) (waitCounts, error) {
	counts := waitCounts{}
	test := ""
	var errs []error
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		if rest, ok := strings.CutPrefix(line, "=== "); ok {
			// "=== RUN   TestX/sub", "=== CONT  TestX/sub", "=== NAME  TestX":
			// the test whose output follows.
			if f := strings.Fields(rest); len(f) == 2 {
				test, _, _ = strings.Cut(f[1], "/")
			}
			continue
		}
		if !strings.Contains(line, "roundtrips_test.go:") || !strings.Contains(line, " waits, ") {
			continue
		}
		m := waitLine.FindStringSubmatch(line)
		if m == nil {
			errs = append(errs, fmt.Errorf("unparsable count %q", line))
			continue
		}
		base, ok := roundTripTests[test]
		if !ok {
			errs = append(errs, fmt.Errorf("count %q logged by %q, not by a round-trip test", line, test))
			continue
		}
		suffix, ok := roundTripModes[m[1]]
		if !ok {
			errs = append(errs, fmt.Errorf("count %q: unknown mode %q", line, m[1]))
			continue
		}
		op := m[2]
		if !slices.Contains(requestTypes, op) {
			errs = append(errs, fmt.Errorf("count %q: unknown request type %q", line, op))
			continue
		}
		waits, err1 := strconv.Atoi(m[3])
		commands, err2 := strconv.Atoi(m[4])
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, fmt.Errorf("count %q: %w", line, err))
			continue
		}
		fleet := base + suffix
		if _, dup := counts[fleet][op]; dup {
			errs = append(errs, fmt.Errorf("%s, %s: counted twice", fleet, op))
			continue
		}
		if counts[fleet] == nil {
			counts[fleet] = map[string]waitCost{}
		}
		counts[fleet][op] = waitCost{waits: waits, commands: commands}
	}
	var missing []string
	for _, f := range redisFleets {
		for _, op := range requestTypes {
			if _, ok := counts[f][op]; !ok {
				missing = append(missing, f+" "+op)
			}
		}
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("no count logged for %s", strings.Join(missing, ", ")))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return counts, nil
}
