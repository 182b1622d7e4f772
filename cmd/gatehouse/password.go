package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/gatehouse-go/gatehouse/issuer"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
)

var passwordHashCmd = &command{
	name: "password hash",
	args: "[-cost N] < password",
	about: `Reads a password from stdin (never from the command line, where other users
and the shell history could see it) and prints its bcrypt hash
(issuer.HashPassword), ready for issuer.Account.PasswordHash or redisstore's
Credentials. One trailing newline is not part of the password. Passwords
longer than 72 bytes, which bcrypt cannot check whole, are refused.`,
	run: passwordHash,
}

// maxPasswordInput bounds what password hash reads from stdin.
const maxPasswordInput = 4 << 10

func passwordHash(_ context.Context, e *env, c *command, args []string) error {
	fs := c.flags()
	cost := fs.Int("cost", bcrypt.DefaultCost, fmt.Sprintf("bcrypt `cost`, %d to %d (each step doubles the time of a login)", bcrypt.MinCost, bcrypt.MaxCost))
	pos, err := c.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if *cost < bcrypt.MinCost || *cost > bcrypt.MaxCost {
		return fmt.Errorf("-cost %d is outside %d–%d", *cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	var raw []byte
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		// Interactive: one line, not echoed, so that it never shows on
		// the screen (or in a screen recording).
		fmt.Fprint(e.stderr, "password (not echoed): ")
		raw, err = term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return fmt.Errorf("read the password: %w", err)
		}
	} else if raw, err = readLimited(e.stdin, maxPasswordInput, "the password on stdin"); err != nil {
		return err
	}
	raw = trimNewline(raw)
	if len(raw) == 0 {
		return errors.New("empty password on stdin")
	}
	hash, err := issuer.HashPassword(string(raw), *cost)
	if errors.Is(err, bcrypt.ErrPasswordTooLong) {
		return errors.New("the password is longer than 72 bytes, which bcrypt cannot check whole")
	} else if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, hash)
	return nil
}

// trimNewline removes one trailing "\n" or "\r\n".
func trimNewline(b []byte) []byte {
	if b, ok := bytes.CutSuffix(b, []byte("\n")); ok {
		b, _ = bytes.CutSuffix(b, []byte("\r"))
		return b
	}
	return b
}
