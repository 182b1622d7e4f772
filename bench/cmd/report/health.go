package main

import "fmt"

// The host control: how much slower the host ran code-heavy work than a
// tight loop in this run. golang-jwt's ParseWithClaims (the HS256 floor)
// runs a few thousand distinct branches and allocates 63 times; the HMAC
// check alone (the HS256 signature) is one small loop. A shared host whose
// other guests thrash the caches and branch predictors slows the first far
// more than the second, and gatehouse's overheads, which are code-heavy
// work over a signature check, with it: the ratio of their medians says
// whether a run measured the code or the host. On the 2-core machine
// RESULTS.md was measured on, quiet runs gave 22× to 27×; two runs on a
// host running code-heavy work at half speed gave 36× and 38×, and one at
// about 0.6 of its speed (gatehouse's overheads 1.6 times a quiet run's)
// 29×. The limit, 28×, sits just above the quiet runs.
const (
	hostArea, hostRow         = "JWT", "HS256/valid"
	hostHeavy, hostLoop       = "floor", "signature"
	defaultMaxHostRatio       = 28.0
	hostControlRecommendation = "run again on a quieter host, or pass -max-host-ratio 0 (run.sh: MAX_HOST_RATIO=0) to write it anyway"
)

// hostControl returns the run's host control (floor ÷ signature time of
// JWT HS256/valid), and false when the run lacks either cell.
func hostControl(areas []*area) (float64, bool) {
	for _, a := range areas {
		if a.name != hostArea {
			continue
		}
		r := a.rowsByName[hostRow]
		if r == nil {
			return 0, false
		}
		heavy, ok1 := r.cells[hostHeavy]
		loop, ok2 := r.cells[hostLoop]
		if !ok1 || !ok2 || loop.ns <= 0 {
			return 0, false
		}
		return heavy.ns / loop.ns, true
	}
	return 0, false
}

// hostLine is the header bullet that reports the host control, and the
// limit the report held it to (max; 0: none).
func hostLine(ratio, max float64) string {
	limit := fmt.Sprintf("the report refuses to write above %.0f×", max)
	if max <= 0 {
		limit = "no limit was set for this run"
	}
	return fmt.Sprintf("Host control: the golang-jwt floor ÷ the HMAC check alone (JWT HS256 · valid) is %.1f×. It compares code-heavy work with a tight loop, so other load that slows code-heavy work raises it: quiet runs on this machine gave 22× to 27×, slow ones 29× to 38×; %s.", ratio, limit)
}

// checkHost returns the error that stops the report when the host control
// exceeds max (0 disables the check).
func checkHost(ratio float64, ok bool, max float64) error {
	if max <= 0 || !ok || ratio <= max {
		return nil
	}
	return fmt.Errorf("host control %.1f× (golang-jwt floor ÷ HMAC check, JWT HS256 · valid) is above %.0f×: the host ran code-heavy work slow, so the overheads measure the host, not the code; RESULTS.md and README.md are left as they were; %s", ratio, max, hostControlRecommendation)
}
