// Command gatehouse is the operator's command line for gatehouse: it
// generates and revokes API keys, hashes passwords, generates client
// secrets and signing keys, mints and inspects tokens, and edits the
// revocations and IP allowlists a fleet shares in Redis.
//
//	go install github.com/gatehouse-go/gatehouse/cmd/gatehouse@latest
//	gatehouse key generate -env live -tenant acme -scopes "orders:read"
//	gatehouse token inspect -key signing.jwk -aud api - < token.txt
//
// Every subcommand prints its usage with -h and exits 0 on success, 1 when
// its input is refused or invalid (with one line on stderr saying why) and
// 2 on a usage error (an unknown flag or subcommand, a missing argument).
// Subcommands whose output a script parses take -json. Secrets are read
// from stdin, files or (the Redis password) the environment, never from the
// command line, and printed only where they are the output: a generated
// key or secret, once.
//
// The command uses the standard flag package, one FlagSet per subcommand,
// rather than a CLI library: it adds no dependency, the repository's
// examples parse their flags the same way, and for a dozen subcommands of
// a few flags each a library would buy little beyond what the small
// dispatch table in this file does. Flags may follow positional arguments
// ("revoke jti ID -redis ADDR"); "--" ends the flags.
//
// It is its own module because it uses redisstore, and so go-redis, which
// the library's own module never requires.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, now: time.Now})
	stop()
	os.Exit(code)
}

// env is what a command reads and writes: its standard streams and clock.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
}

// A command is one subcommand, such as "key generate".
type command struct {
	name  string // "key generate"
	args  string // the synopsis after the name
	about string // what it does, for -h
	run   func(ctx context.Context, e *env, c *command, args []string) error
}

// groups lists the commands by their first word, in the order of the
// top-level usage.
var groups = []struct {
	name     string
	commands []*command
}{
	{"key", []*command{keyGenerateCmd, keyRevokeCmd}},
	{"password", []*command{passwordHashCmd}},
	{"secret", []*command{secretGenerateCmd}},
	{"jwk", []*command{jwkGenerateCmd}},
	{"token", []*command{tokenMintCmd, tokenInspectCmd}},
	{"revoke", []*command{revokeJTICmd, revokeSessionCmd, revokeSubjectCmd}},
	{"allowlist", []*command{allowlistGetCmd, allowlistSetCmd}},
}

// exitError is an error with the exit code it ends the command with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf returns a usage error: exit code 2.
func usageErrorf(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

// errHelp is returned by a command whose -h printed its usage.
var errHelp = errors.New("help requested")

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, topUsage())
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, topUsage())
		return 0
	}
	var cmds []*command
	for _, g := range groups {
		if g.name == args[0] {
			cmds = g.commands
		}
	}
	if cmds == nil {
		fmt.Fprintf(e.stderr, "gatehouse: unknown command %s (run 'gatehouse -h' for the list)\n", quoteArg(args[0]))
		return 2
	}
	if len(args) < 2 || isHelp(args[1]) {
		w, code := e.stderr, 2
		if len(args) >= 2 {
			w, code = e.stdout, 0
		}
		fmt.Fprint(w, groupUsage(cmds))
		return code
	}
	var c *command
	for _, cmd := range cmds {
		if cmd.name == args[0]+" "+args[1] {
			c = cmd
		}
	}
	if c == nil {
		fmt.Fprintf(e.stderr, "gatehouse: unknown command %s (run 'gatehouse %s -h' for the list)\n", quoteArg(args[0]+" "+args[1]), args[0])
		return 2
	}
	err := c.run(ctx, e, c, args[2:])
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ee) && ee.code == 2:
		fmt.Fprintf(e.stderr, "gatehouse: %s: %s\nusage: gatehouse %s %s (run 'gatehouse %s -h' for help)\n",
			c.name, oneLine(err.Error()), c.name, c.args, c.name)
		return 2
	default:
		fmt.Fprintf(e.stderr, "gatehouse: %s: %s\n", c.name, oneLine(err.Error()))
		return 1
	}
}

func isHelp(s string) bool {
	return s == "-h" || s == "-help" || s == "--help" || s == "help"
}

// oneLine joins the lines of a multi-line error message, so that a refusal
// is one line on stderr.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

func topUsage() string {
	var b strings.Builder
	b.WriteString("gatehouse: the operator's command line for gatehouse.\n\nusage:\n")
	for _, g := range groups {
		for _, c := range g.commands {
			fmt.Fprintf(&b, "  gatehouse %s %s\n", c.name, c.args)
		}
	}
	b.WriteString("\nRun 'gatehouse COMMAND -h' for a command's flags. Exit codes: 0 success,\n" +
		"1 refused or invalid input (one line on stderr), 2 usage error.\n")
	return b.String()
}

func groupUsage(cmds []*command) string {
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "  gatehouse %s %s\n", c.name, c.args)
	}
	return b.String()
}
