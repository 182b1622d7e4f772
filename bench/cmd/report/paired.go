package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
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
	name                 string // e.g. "HS256/valid"
	gatehouse, signature float64
	// over and beyond are gatehouse less the signature check and less the
	// control, summed over every group; overMedian and beyondMedian the
	// same of the typical group; control is the control less the
	// signature check.
	over, overMedian, control, beyond, beyondMedian float64
	passes                                          int
}

var metricRe = regexp.MustCompile(`(-?[0-9.]+) ([a-z-]+)/req`)

// parsePaired reads the BenchmarkPairedOverhead lines of a go test -bench
// output, in the order they first appear. A row's metric is the median of
// its passes; a metric no pass reported is NaN (written as a dash).
func parsePaired(path string) ([]pairedRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	byName := map[string]map[string][]float64{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := benchRe.FindStringSubmatch(sc.Text())
		if m == nil || !strings.HasPrefix(m[1], pairedArea+"/") {
			continue
		}
		name := strings.TrimPrefix(m[1], pairedArea+"/")
		samples := byName[name]
		if samples == nil {
			samples = map[string][]float64{}
			byName[name] = samples
			order = append(order, name)
		}
		for _, mm := range metricRe.FindAllStringSubmatch(sc.Text(), -1) {
			if v, err := strconv.ParseFloat(mm[1], 64); err == nil {
				samples[mm[2]] = append(samples[mm[2]], v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var rows []pairedRow
	for _, name := range order {
		samples := byName[name]
		passes := max(len(samples["overhead-ns"]), len(samples["overhead-median-ns"]))
		if passes == 0 {
			continue
		}
		med := func(metric string) float64 {
			if v := samples[metric]; len(v) > 0 {
				return medianOf(v)
			}
			return math.NaN()
		}
		rows = append(rows, pairedRow{
			name: name, passes: passes,
			gatehouse: med("gatehouse-ns"), signature: med("signature-ns"),
			over: med("overhead-ns"), overMedian: med("overhead-median-ns"), control: med("control-ns"),
			beyond: med("beyond-ns"), beyondMedian: med("beyond-median-ns"),
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
	fmt.Fprintf(w, "gatehouse's first sight of a token (cache disabled), the same token's signature check alone "+
		"(`signature` above) and a control, timed in rotating batches of a few requests, so the three halves of each "+
		"group see the same machine (`BenchmarkPairedOverhead`): a drift of the machine between the JWT table's rows, "+
		"which for RSA and ECDSA exceeds the whole overhead, cancels here. The control is the signature check followed "+
		"by the least any middleware does next: hand a prebuilt Principal to the handler (valid token) or write the "+
		"same refusal (bad signature). Overhead = gatehouse − signature, per request, the handoff or the refusal "+
		"included; control = control − signature; beyond control = gatehouse − control. The plain columns sum every "+
		"group, stalls and garbage collection included; the *typical* columns are the median group's, which a group "+
		"stalled by the machine does not move. Each column is the median of its own %d passes, so the columns need not "+
		"add up exactly. The rows *after an RS256 (ES256, EdDSA) check* are a control for the asymmetric rows: the "+
		"HS256 rows again, with every request and every signature check of each half preceded by that algorithm's "+
		"signature check of another token, which cancels out of each group's difference (so only the typical "+
		"differences are shown: the check's own variation adds up in the sums). They time "+
		"gatehouse's work for an HS256 token in the state an asymmetric verification leaves the core's caches and "+
		"branch predictors in, which is the state in which gatehouse works on every RS256, ES256 or EdDSA token.\n\n", rows[0].passes)
	fmt.Fprint(w, "| row | gatehouse | signature | overhead | overhead, typical | control | beyond control | beyond control, typical |\n"+
		"|---|---:|---:|---:|---:|---:|---:|---:|\n")
	// cell writes v with f, or a dash for a metric no pass reported.
	cell := func(f func(float64) string, v float64) string {
		if math.IsNaN(v) {
			return "—"
		}
		return f(v)
	}
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", pairedLabel(r.name), cell(dur, r.gatehouse), cell(dur, r.signature),
			cell(signedDur, r.over), cell(signedDur, r.overMedian), cell(signedDur, r.control), cell(signedDur, r.beyond), cell(signedDur, r.beyondMedian))
	}
	fmt.Fprintln(w)
}

// pairedLabel is the label of a paired row: "HS256 · valid", or, for a
// row of the cache control, "HS256 · valid, *after an RS256 check*"
// (emphasised in Markdown).
func pairedLabel(name string) string {
	name, after, ok := strings.Cut(name, "-after-")
	if !ok {
		return rowLabel(name)
	}
	return fmt.Sprintf("%s, *after an %s check*", rowLabel(name), after)
}
