// Command modtool keeps the repository's Go modules publishable: it checks
// that every module requires the others at one real version, which is the
// latest release in CHANGELOG.md and which go.work maps to the checkout; it
// sets that version everywhere for a release; and it writes a file://
// module proxy holding the published modules of the working tree at that
// version, so that a consumer can `go get` them before the tags exist.
//
// Usage:
//
//	modtool [-repo DIR] check                  report every version problem; print the version
//	modtool [-repo DIR] version                print the version the modules require each other at
//	modtool [-repo DIR] published              print each published module's directory and path, one a line
//	modtool [-repo DIR] modules                print each module of go.work's directory and path, one a line
//	modtool [-repo DIR] set-version vX.Y.Z     require vX.Y.Z everywhere and map it in go.work
//	modtool [-repo DIR] proxy -out DIR         write the proxy of the published modules
//
// The published modules are those go.work uses, less the directories
// listed in .ci/unpublished.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	repoDir := flag.String("repo", ".", "the repository's root directory")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: modtool [-repo DIR] check|version|published|modules|set-version vX.Y.Z|proxy -out DIR")
	}
	flag.Parse()
	if err := run(*repoDir, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "modtool:", err)
		os.Exit(1)
	}
}

func run(repoDir string, args []string) error {
	if len(args) == 0 {
		flag.Usage()
		return errors.New("no command")
	}
	r, err := openRepo(repoDir)
	if err != nil {
		return err
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "check":
		version, err := r.check()
		if err != nil {
			return err
		}
		fmt.Println(version)
	case "version":
		version, err := r.requiredVersion()
		if err != nil {
			return err
		}
		fmt.Println(version)
	case "published":
		for _, m := range r.published() {
			fmt.Println(m.Dir, m.Path)
		}
	case "modules":
		for _, m := range r.modules {
			fmt.Println(m.Dir, m.Path)
		}
	case "set-version":
		if len(rest) != 1 {
			return errors.New("set-version takes one version, e.g. v0.3.0")
		}
		return r.setVersion(rest[0], os.Stdout)
	case "proxy":
		fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
		out := fs.String("out", "", "the proxy directory to write (created if missing)")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if *out == "" {
			return errors.New("proxy: -out is required")
		}
		version, err := r.requiredVersion()
		if err != nil {
			return err
		}
		return r.writeProxy(version, *out, os.Stdout)
	default:
		return fmt.Errorf("unknown command %q (want %s)", cmd, strings.Join([]string{"check", "version", "published", "modules", "set-version", "proxy"}, ", "))
	}
	return nil
}
