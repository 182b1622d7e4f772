package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// flags returns c's FlagSet. It prints nothing itself: parse reports its
// errors and -h.
func (c *command) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("gatehouse "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args with fs, flags and positional arguments in any order
// ("--" ends the flags), and returns the positional arguments. -h prints
// c's usage to stdout and returns errHelp; a flag error is a usage error.
func (c *command) parse(e *env, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.usage(e.stdout, fs)
				return nil, errHelp
			}
			return nil, usageErrorf("%s", hideSecrets(err.Error(), args))
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usage writes c's help: synopsis, description and flags.
func (c *command) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: gatehouse %s %s\n\n%s\n", c.name, c.args, strings.TrimSpace(c.about))
	var b bytes.Buffer
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if b.Len() > 0 {
		fmt.Fprintf(w, "\nflags:\n%s", b.String())
	}
}

// isSet reports whether the command line set the flag name.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// noArgs is the usage error of a command that takes no positional
// argument but was given one.
func noArgs(pos []string) error {
	if len(pos) > 0 {
		// Not quoted: a secret typed where it does not belong (a
		// password after "password hash") must not be echoed.
		return usageErrorf("this command takes no argument, got %d (secrets are read from stdin or files)", len(pos))
	}
	return nil
}

// secretPlaceholder stands in an error for a value that looks like a
// secret.
const secretPlaceholder = "(a value that looks like a secret, not shown)"

// quoteArg is the form in which an error quotes s, a value the user typed
// (an argument, a flag's value, an id or a file name): s quoted as %q does,
// or secretPlaceholder when s, or one of its space-separated words, looks
// like a token or key (looksSecret). Every error that quotes a user's value
// quotes it through quoteArg.
func quoteArg(s string) string {
	if looksSecret(s) || slices.ContainsFunc(strings.Fields(s), looksSecret) {
		return secretPlaceholder
	}
	return strconv.Quote(s)
}

// quoteArgs quotes the values ss as %q quotes a slice, each through
// quoteArg.
func quoteArgs(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quoteArg(s)
	}
	return "[" + strings.Join(q, " ") + "]"
}

// hideSecrets returns msg, an error message of the flag package (which
// quotes a value it cannot parse and names an undefined flag), with every
// value of args that looks like a secret, whole or as a flag's name or
// value (-name=value), replaced by its quoteArg form.
func hideSecrets(msg string, args []string) string {
	for _, a := range args {
		name, value, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		for _, v := range []string{a, name, value} {
			if v == "" || quoteArg(v) != secretPlaceholder {
				continue
			}
			msg = strings.ReplaceAll(msg, strconv.Quote(v), secretPlaceholder)
			msg = strings.ReplaceAll(msg, v, secretPlaceholder)
		}
	}
	return msg
}

// refuseSecret returns nil when value, given as what (such as "-id" or
// "the JTI"), does not look like a token or key (looksSecret). Otherwise it
// returns a usage error that says what takes want, does not repeat the
// value, and gives advice on the secret now in the shell history.
func refuseSecret(what, value, want, advice string) error {
	if !looksSecret(value) {
		return nil
	}
	return usageErrorf("%s takes %s, not a token or key; the value given looks like one and was not echoed, but it is in your shell history: %s",
		what, want, advice)
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// words splits space- or comma-separated values into their words.
func words(values ...string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })...)
	}
	return out
}

// parseDuration parses a Go duration ("90m", "1h30m") or a whole number of
// days ("90d"), possibly negative.
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days > 100_000 || days < -100_000 {
			return 0, fmt.Errorf("invalid duration %s (want 90d, 12h, 30m…)", quoteArg(s))
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %s (want 90d, 12h, 30m…)", quoteArg(s))
	}
	return d, nil
}

// parseInstant parses an RFC 3339 time, or a duration from now ("24h",
// "90d"). The empty string and "never" are the zero time.
func parseInstant(s string, now time.Time) (time.Time, error) {
	switch s {
	case "", "never":
		return time.Time{}, nil
	case "now":
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := parseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid time %s (want an RFC 3339 time such as 2030-01-02T15:04:05Z, or a duration from now such as 24h or 90d)", quoteArg(s))
	}
	return now.Add(d), nil
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// timeJSON is a time for JSON output: RFC 3339 in UTC, null for the zero
// time.
func timeJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// timeText is a time for text output.
func timeText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// ago says how far t is from now: "3m12s ago" or "in 55m0s".
func ago(t, now time.Time) string {
	d := now.Sub(t).Round(time.Second)
	if d >= 0 {
		return d.String() + " ago"
	}
	return "in " + (-d).String()
}

// readLimited reads at most limit bytes from r, failing when there are
// more.
func readLimited(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is longer than %d bytes", what, limit)
	}
	return b, nil
}
