package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// pairedArea is the benchmark whose lines carry paired measurements
// (bench's BenchmarkPairedOverhead) rather than one contender each.
const pairedArea = "PairedOverhead"

// A pairedRow is one row of BenchmarkPairedOverhead: the medians, over the
// passes, of its per-request metrics.
type pairedRow struct {
	name                       string // e.g. "HS256/valid"
	gatehouse, signature, over float64
	// handoff and verify are the handoff control's time and the overhead
	// less it; hasHandoff is false for a row without the control (a
	// refused token is handed on to no handler).
	handoff, verify float64
	hasHandoff      bool
	passes          int
}

var metricRe = regexp.MustCompile(`(-?[0-9.]+) ([a-z-]+)/req`)

// parsePaired reads the BenchmarkPairedOverhead lines of a go test -bench
// output, in the order they first appear.
func parsePaired(path string) ([]pairedRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type samples struct{ g, s, o, h, v []float64 }
	byName := map[string]*samples{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := benchRe.FindStringSubmatch(sc.Text())
		if m == nil || !strings.HasPrefix(m[1], pairedArea+"/") {
			continue
		}
		name := strings.TrimPrefix(m[1], pairedArea+"/")
		s := byName[name]
		if s == nil {
			s = &samples{}
			byName[name] = s
			order = append(order, name)
		}
		for _, mm := range metricRe.FindAllStringSubmatch(sc.Text(), -1) {
			v, err := strconv.ParseFloat(mm[1], 64)
			if err != nil {
				continue
			}
			switch mm[2] {
			case "gatehouse-ns":
				s.g = append(s.g, v)
			case "signature-ns":
				s.s = append(s.s, v)
			case "overhead-ns":
				s.o = append(s.o, v)
			case "handoff-ns":
				s.h = append(s.h, v)
			case "verify-ns":
				s.v = append(s.v, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var rows []pairedRow
	for _, name := range order {
		s := byName[name]
		if len(s.o) == 0 {
			continue
		}
		rows = append(rows, pairedRow{
			name: name, gatehouse: medianOf(s.g), signature: medianOf(s.s), over: medianOf(s.o),
			handoff: medianOf(s.h), verify: medianOf(s.v), hasHandoff: len(s.v) > 0, passes: len(s.o),
		})
	}
	return rows, nil
}

// medianOf returns the median of v (0 for none), leaving v as it is.
func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// pairedTable writes the table of the paired overhead rows.
func pairedTable(w *bytes.Buffer, rows []pairedRow) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprint(w, "### JWT first sight, paired with the signature check\n\n")
	fmt.Fprintf(w, "gatehouse's first sight of a token (cache disabled) and the same token's signature check alone "+
		"(`signature` above), timed in alternating batches of a few requests, so both halves of each pair see the same "+
		"machine (`BenchmarkPairedOverhead`): a drift of the machine between the JWT table's rows, which for RSA and "+
		"ECDSA exceeds the whole overhead, cancels here. Overhead = gatehouse − signature, per request, the Principal's "+
		"handoff to the handler included. For a valid token the same groups time the handoff control too "+
		"(`handoff-bare` above less the bare handler: a prebuilt Principal handed on, nothing verified), which no "+
		"middleware handing a Principal on the net/http way avoids; verification = overhead − handoff. Each column is "+
		"the median of its own %d passes, so the columns need not add up exactly.\n\n", rows[0].passes)
	fmt.Fprint(w, "| row | gatehouse | signature | overhead | overhead ÷ signature | handoff | verification |\n"+
		"|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		handoff, verify := "—", "—"
		if r.hasHandoff {
			handoff, verify = dur(r.handoff), signedDur(r.verify)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", rowLabel(r.name), dur(r.gatehouse), dur(r.signature),
			signedDur(r.over), ratio(r.over/r.signature), handoff, verify)
	}
	fmt.Fprintln(w)
}
