package serve

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// DefaultAddr is the listen address of every example's -addr flag.
const DefaultAddr = "127.0.0.1:8080"

// NewFlagSet returns the flag set of the command name. Parse errors and
// the usage text go to stderr; -help prints usage and makes Parse return
// flag.ErrHelp, which [Exit] treats as success.
func NewFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	return fs
}

// Exit ends the command name with the outcome err of its run function. For
// nil or flag.ErrHelp (-help has printed the usage) it returns, so main
// returns and the process exits with status 0; for any other error it prints
// "name: err" to stderr and exits with status 1.
func Exit(name string, err error) {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	fmt.Fprintln(os.Stderr, name+":", err)
	os.Exit(1)
}
