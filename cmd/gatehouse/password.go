package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gatehouse-go/gatehouse/issuer"
	"golang.org/x/crypto/bcrypt"
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
	if f, ok := e.stdin.(*os.File); ok && isTerminal(f) {
		// Interactive: one line, so Enter ends it. The terminal echoes it.
		fmt.Fprint(e.stderr, "password (echoed; end with Enter): ")
		line, err := bufio.NewReaderSize(f, maxPasswordInput).ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password: %w", err)
		}
		raw = line
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

// isTerminal reports whether f is a character device, such as a terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
