// Package readmetest runs the shell commands of the examples' README files
// against the example servers, so that a README cannot drift from the code
// it describes. examples/README.md states the conventions it reads: ```sh
// blocks run from the repository root, one command per line, `go run
// ./examples/NAME` starting a server, `# → 401` stating the HTTP status a
// curl line must get, `<!-- not run: why -->` before a block that cannot run
// in a test.
package readmetest

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A Doc is the shell commands of one README.
type Doc struct {
	Path    string    // the file, as the test names it in failures
	Blocks  []Block   // the ```sh blocks that run, in order
	Skipped []Skipped // the ```sh blocks marked not run
}

// A Block is one ```sh block that runs.
type Block struct {
	Line  int    // the line of its opening fence
	Lines []Line // its commands
}

// A Skipped block is a ```sh block preceded by `<!-- not run: Reason -->`.
type Skipped struct {
	Line   int
	Reason string
}

// A Line is one command: a physical line, or several joined by a trailing
// backslash.
type Line struct {
	Num     int    // the line number of its first physical line
	Text    string // the command as written, continuation lines joined with "\n"
	Code    string // Text without its trailing comment
	Expect  int    // the HTTP status its last curl must get (`# → 200`); 0: none stated
	Example string // for a start line (`go run ./examples/NAME …`), NAME
}

// Examples returns the examples whose commands the doc runs, with `go run
// ./examples/NAME` at the start of a line or anywhere in it.
func (d *Doc) Examples() []string {
	var names []string
	for _, b := range d.Blocks {
		for _, l := range b.Lines {
			for _, m := range goRunRe.FindAllStringSubmatch(l.Code, -1) {
				if name, ok := strings.CutPrefix(m[1], "./examples/"); ok {
					if name = strings.TrimSuffix(name, "/"); !slices.Contains(names, name) {
						names = append(names, name)
					}
				}
			}
		}
	}
	return names
}

// Mentions reports whether any command of the doc contains s.
func (d *Doc) Mentions(s string) bool {
	for _, b := range d.Blocks {
		for _, l := range b.Lines {
			if strings.Contains(l.Code, s) {
				return true
			}
		}
	}
	return false
}

var (
	fenceRe  = regexp.MustCompile("^```+\\s*([^`\\s]*)\\s*$")
	notRunRe = regexp.MustCompile(`^<!--\s*not run:\s*(.*?)\s*-->\s*$`)
	// goRunRe finds `go run PATH`.
	goRunRe = regexp.MustCompile(`(?:^|[\s;&|(])go run ([^\s;&|()]+)`)
	// startRe is a start line: optional VAR=value words, then
	// `go run ./examples/NAME`.
	// A value with a command substitution is not one: in
	// `X=$(go run ./examples/NAME …)` the example is a command's.
	startRe = regexp.MustCompile("^\\s*((?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|\"[^\"]*\"|[^\\s'\"()`])*\\s+)*)(go run \\./examples/([A-Za-z0-9_-]+)/?)(?:\\s|$)")
	curlRe  = regexp.MustCompile(`(?:^|[\s;&|(])curl(?:\s|$)`)
	// expectRe is an expectation comment: `# → 401`, text may follow.
	expectRe = regexp.MustCompile(`^#\s*→\s*([0-9]{3})(?:[\s:;,.)]|$)`)
	// shellFences are info strings of shell blocks written otherwise than
	// sh, which the test would not see.
	shellFences = map[string]bool{"bash": true, "shell": true, "console": true, "zsh": true, "shell-session": true}
)

// Parse reads the ```sh blocks of the README src, named path in errors. It
// refuses what the test could not run faithfully or would silently miss:
// shell blocks tagged other than sh, commands in untagged blocks, `go run`
// of a relative path other than ./examples/…, placeholders (…), unbalanced
// quotes, here-documents, a comment before a continuation line, a curl line
// without an expected status, an expected status on a line without curl.
func Parse(path string, src []byte) (*Doc, error) {
	doc := &Doc{Path: path}
	fences, err := Fences(path, src)
	if err != nil {
		return nil, err
	}
	for _, f := range fences {
		open, info, body, prev := f.Line, f.Info, f.Body, f.Before
		reason := ""
		if m := notRunRe.FindStringSubmatch(prev); m != nil {
			if m[1] == "" {
				return nil, fmt.Errorf("%s:%d: <!-- not run: … --> needs a reason", path, open-1)
			}
			reason = m[1]
		}
		switch {
		case shellFences[info]:
			return nil, fmt.Errorf("%s:%d: a ```%s block: write ```sh, which the README test runs (or marks not run)", path, open, info)
		case info == "":
			for j, l := range body {
				t := strings.TrimPrefix(strings.TrimSpace(l), "$ ")
				if strings.HasPrefix(t, "curl ") || strings.HasPrefix(t, "go run ") {
					return nil, fmt.Errorf("%s:%d: a command in an untagged block: put commands in a ```sh block (the response in a block of its own)", path, open+1+j)
				}
			}
		case info == "sh" && reason != "":
			// Not run, but written as the runnable ones are.
			for j, l := range body {
				if err := checkGoRun(l); err != nil {
					return nil, fmt.Errorf("%s:%d: %v", path, open+1+j, err)
				}
			}
			doc.Skipped = append(doc.Skipped, Skipped{Line: open, Reason: reason})
		case info == "sh":
			cmds, err := parseBlock(path, open, body)
			if err != nil {
				return nil, err
			}
			doc.Blocks = append(doc.Blocks, Block{Line: open, Lines: cmds})
		}
	}
	return doc, nil
}

// A Fence is one fenced code block of a Markdown file.
type Fence struct {
	Line int      // the line of its opening fence, from 1
	Info string   // its info string: "sh", "go" or ""
	Body []string // its lines, fences excluded
	// Before is the last non-blank line above the fence, trimmed, when it
	// comes after the previous block: a marker such as <!-- not run: … -->
	// names the block right below it.
	Before string
}

// Fences returns the fenced code blocks of the Markdown src, named path
// in errors; a block that is never closed is an error.
func Fences(path string, src []byte) ([]Fence, error) {
	var out []Fence
	lines := strings.Split(string(src), "\n")
	prev := "" // the last non-blank line since the previous block
	for i := 0; i < len(lines); i++ {
		m := fenceRe.FindStringSubmatch(lines[i])
		if m == nil {
			if strings.TrimSpace(lines[i]) != "" {
				prev = strings.TrimSpace(lines[i])
			}
			continue
		}
		f := Fence{Line: i + 1, Info: m[1], Before: prev}
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			f.Body = append(f.Body, lines[i])
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%s:%d: the block is never closed", path, f.Line)
		}
		out = append(out, f)
		prev = ""
	}
	return out, nil
}

// parseBlock reads the commands of the ```sh block whose fence is on line
// open, each checked as [Parse] says.
func parseBlock(path string, open int, body []string) ([]Line, error) {
	var cmds []Line
	var cur *Line
	last := 0 // the physical line the last command ended on
	for j, raw := range body {
		num := open + 1 + j
		if cur == nil {
			t := strings.TrimSpace(raw)
			if m := expectRe.FindStringSubmatch(t); m != nil && last == num-1 && cmds[len(cmds)-1].Expect == 0 {
				// `# → 200` on the line right after a command is its
				// expectation.
				cmds[len(cmds)-1].Expect, _ = strconv.Atoi(m[1])
				continue
			}
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			cur = &Line{Num: num, Text: raw}
		} else {
			cur.Text += "\n" + raw
		}
		if strings.HasSuffix(raw, `\`) {
			continue
		}
		l, err := analyze(cur.Num, cur.Text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v\n\t%s", path, cur.Num, err, cur.Text)
		}
		cmds = append(cmds, l)
		cur, last = nil, num
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: the block ends inside a command continued with \\", path, cur.Num)
	}
	for _, l := range cmds {
		if err := checkExpect(l); err != nil {
			return nil, fmt.Errorf("%s:%d: %v\n\t%s", path, l.Num, err, l.Text)
		}
	}
	return cmds, nil
}

// Analyze checks one command, numbered num, and reads its comment,
// expectation and start: see [Parse].
func Analyze(num int, text string) (Line, error) {
	l, err := analyze(num, text)
	if err == nil {
		err = checkExpect(l)
	}
	return l, err
}

// analyze is Analyze but for the expectation rules of checkExpect: in a
// README, the expectation may be on the next line.
func analyze(num int, text string) (Line, error) {
	l := Line{Num: num, Text: text}
	code, comment, err := splitComment(text)
	if err != nil {
		return l, err
	}
	l.Code = strings.TrimRight(code, " \t")
	if strings.Contains(comment, "\n") {
		return l, fmt.Errorf("a comment before a continuation line ends the command there")
	}
	if strings.Contains(l.Code, "…") {
		return l, fmt.Errorf("a placeholder (…) in a command that runs: write a value, a variable, or mark the block <!-- not run: why -->")
	}
	if i := strings.Index(l.Code, "<<"); i >= 0 && !strings.HasPrefix(l.Code[i:], "<<<") {
		return l, fmt.Errorf("a here-document: write the file with printf, one command per line")
	}
	if err := checkGoRun(l.Code); err != nil {
		return l, err
	}
	if m := expectRe.FindStringSubmatch(comment); m != nil {
		l.Expect, _ = strconv.Atoi(m[1])
	} else if strings.HasPrefix(comment, "# →") {
		return l, fmt.Errorf("an expectation is `# → ` and a three-digit HTTP status")
	}
	if m := startRe.FindStringSubmatch(l.Code); m != nil {
		l.Example = m[3]
	}
	return l, nil
}

// checkExpect refuses a curl line without an expected status, and one on a
// line without curl or starting a server.
func checkExpect(l Line) error {
	hasCurl := curlRe.MatchString(l.Code)
	switch {
	case l.Example != "" && l.Expect != 0:
		return fmt.Errorf("a line starting a server has no HTTP status to expect")
	case l.Example != "":
		return nil
	case hasCurl && l.Expect == 0:
		return fmt.Errorf("a curl line states no expected status: end it with `# → 200` (or the status it gets)")
	case !hasCurl && l.Expect != 0:
		return fmt.Errorf("an expected status on a line without curl")
	}
	return nil
}

// checkGoRun refuses a `go run` of anything but ./examples/NAME: commands
// run from the repository root.
func checkGoRun(code string) error {
	for _, m := range goRunRe.FindAllStringSubmatch(code, -1) {
		if !strings.HasPrefix(m[1], "./examples/") {
			return fmt.Errorf("go run %s: commands run from the repository root, so an example is go run ./examples/NAME", m[1])
		}
	}
	return nil
}

// splitComment splits a command at its trailing shell comment: a # outside
// quotes at the start of a word. It fails on unbalanced quotes.
func splitComment(s string) (code, comment string, err error) {
	var single, double bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case single:
			single = c != '\''
		case c == '\\':
			i++ // the next byte is quoted (in double quotes too, enough here)
		case double:
			double = c != '"'
		case c == '\'':
			single = true
		case c == '"':
			double = true
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i], s[i:], nil
		}
	}
	if single || double {
		return "", "", fmt.Errorf("unbalanced quotes: a command ends on its line (or on a line continued with \\)")
	}
	return s, "", nil
}
