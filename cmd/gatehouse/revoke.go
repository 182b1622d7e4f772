package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
)

const revokeAbout = `Writes a revocation to redisstore's revocation store (bearer
Config.Revocations, issuer Config.Revocations): every instance that reads it
refuses the tokens concerned from their next request.

Revocations are filed by subject (the tokens' sub claim), so jti and session
need -sub (give -sub "" for tokens without sub). -until is how long the
revocation must be remembered: the expiry of the last token it concerns
(redisstore keeps it bearer.MaxLeeway longer). It is an RFC 3339 time, a
duration from now (24h, 90d), or never.`

var revokeJTICmd = &command{
	name: "revoke jti",
	args: "JTI -sub S -until T -redis ADDR [-json] | revoke jti -token FILE|- -redis ADDR",
	about: `Revokes one token by its jti. With -token FILE (- for stdin) the subject,
jti and expiry are read from the token itself (decoded, not verified).

` + revokeAbout,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		return revoke(ctx, e, c, args, "jti")
	},
}

var revokeSessionCmd = &command{
	name: "revoke session",
	args: "SID -sub S -until T -redis ADDR [-json]",
	about: `Revokes every token of the subject whose sid claim is SID (an issuer's login
session and the access tokens it issued). -until is the expiry of the
session's last token.

` + revokeAbout,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		return revoke(ctx, e, c, args, "session")
	},
}

var revokeSubjectCmd = &command{
	name: "revoke subject",
	args: "SUBJECT [-before T] -until T -redis ADDR [-json]",
	about: `Revokes every token of SUBJECT issued at or before -before (default: now, in
whole seconds: a token issued in this second is refused too; sign in a
second later). -until is the expiry of the last token issued before then:
now plus the longest access-token lifetime.

` + revokeAbout,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		return revoke(ctx, e, c, args, "subject")
	},
}

// revokeArgs names the positional argument of each revoke command and
// says what it takes.
var revokeArgs = map[string]struct{ name, want string }{
	"jti":     {"JTI", "the token's jti claim"},
	"session": {"SID", "the session's sid claim"},
	"subject": {"SUBJECT", "the tokens' subject (sub claim)"},
}

// revokeSecretAdvice is what to do about a token or key typed where a
// revoke command's argument belongs.
const revokeSecretAdvice = "revoke that token by its jti with 'gatehouse revoke jti -token FILE' (- for stdin), which reads it without echoing it, or rotate the key"

func revoke(ctx context.Context, e *env, c *command, args []string, kind string) error {
	fs := c.flags()
	sub, before, token := new(""), new("now"), new("")
	if kind != "subject" {
		fs.StringVar(sub, "sub", "", "the tokens' `subject` (sub claim; required)")
	} else {
		fs.StringVar(before, "before", "now", "revoke the subject's tokens issued at or before `T` (RFC 3339 time, or now)")
	}
	if kind == "jti" {
		fs.StringVar(token, "token", "", "read subject, jti and expiry from the token in `FILE` (- for stdin)")
	}
	until := fs.String("until", "", "remember the revocation until `T`: RFC 3339 time, duration from now (24h, 90d), or never (required)")
	jsonOut := fs.Bool("json", false, "print the revocation as JSON")
	rf := addRedisFlags(fs)
	pos, err := c.parse(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErrorf("unexpected argument %s", quoteArg(pos[1]))
	}
	id := ""
	if len(pos) == 1 {
		id = pos[0]
	}
	// With -token, a JTI argument is only compared with the token's jti
	// (fromToken), whose mismatch error quotes it through quoteArg.
	if *token == "" {
		arg := revokeArgs[kind]
		if err := refuseSecret("the "+arg.name, id, arg.want, revokeSecretAdvice); err != nil {
			return err
		}
	}
	now := e.now()
	var untilAt time.Time
	untilSet := isSet(fs, "until")
	if untilSet {
		if untilAt, err = parseInstant(*until, now); err != nil {
			return fmt.Errorf("-until: %w", err)
		}
	}
	if *token != "" {
		if err := fromToken(e, *token, &id, sub, &untilAt, &untilSet, fs); err != nil {
			return err
		}
	}
	switch {
	case id == "":
		return usageErrorf("the %s is required", revokeArgs[kind].name)
	case kind != "subject" && !isSet(fs, "sub") && *token == "":
		return usageErrorf(`-sub is required (-sub "" for tokens without sub)`)
	case !untilSet:
		return usageErrorf("-until is required (the expiry of the last token concerned, or never)")
	}
	if !untilAt.IsZero() && untilAt.Add(bearer.MaxLeeway).Before(now) {
		return fmt.Errorf("-until %s has passed by more than %s: every verifier refuses those tokens as expired already; nothing written",
			timeText(untilAt), bearer.MaxLeeway)
	}
	var notBefore time.Time
	if kind == "subject" {
		if notBefore, err = parseBefore(*before, now); err != nil {
			return err
		}
	}
	if err := rf.check(true); err != nil {
		return err
	}
	store, err := rf.open()
	if err != nil {
		return err
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(ctx, 4*rf.timeout)
	defer cancel()
	revs := store.Revocations()
	subject := *sub
	switch kind {
	case "jti":
		err = revs.RevokeToken(ctx, subject, id, untilAt)
	case "session":
		err = revs.RevokeSession(ctx, subject, id, untilAt)
	default:
		subject = id
		err = revs.RevokeSubject(ctx, subject, notBefore, untilAt)
	}
	if err != nil {
		return rf.storeErr("write the revocation", err)
	}
	rf.warnLost(e, c, func() error { _, err := revs.Revoked(ctx, &bearer.TokenRef{Subject: subject}); return err })

	if *jsonOut {
		v := struct {
			Kind      string  `json:"kind"`
			Subject   string  `json:"subject"`
			ID        string  `json:"id,omitempty"`
			NotBefore *string `json:"not_before,omitempty"`
			Until     *string `json:"until"`
		}{Kind: kind, Subject: subject, Until: timeJSON(untilAt), NotBefore: timeJSON(notBefore)}
		if kind != "subject" {
			v.ID = id
		}
		return writeJSON(e.stdout, v)
	}
	switch kind {
	case "jti":
		fmt.Fprintf(e.stdout, "revoked token %q of subject %q until %s\n", id, subject, timeText(untilAt))
	case "session":
		fmt.Fprintf(e.stdout, "revoked session %q of subject %q until %s\n", id, subject, timeText(untilAt))
	default:
		fmt.Fprintf(e.stdout, "revoked the tokens of subject %q issued at or before %s, until %s\n",
			subject, notBefore.UTC().Truncate(time.Second).Format(time.RFC3339), timeText(untilAt))
	}
	return nil
}

// parseBefore parses the -before of revoke subject: now or an RFC 3339
// time. Unlike -until it takes no duration, which would be read from now
// into the future ("-before 1h" would revoke the tokens the subject signs
// in with during the next hour too).
func parseBefore(s string, now time.Time) (time.Time, error) {
	if s == "now" {
		return now, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.IsZero() {
		return time.Time{}, fmt.Errorf("-before: invalid time %s (want now or an RFC 3339 time)", quoteArg(s))
	}
	return t, nil
}

// fromToken fills the jti, subject and expiry of revoke jti -token from
// the token in file (- for stdin), decoded without verification: revoking
// a token needs no proof that it is genuine.
func fromToken(e *env, file string, id, sub *string, until *time.Time, untilSet *bool, fs *flag.FlagSet) error {
	var raw string
	if file == "-" {
		t, err := readToken(e, "-")
		if err != nil {
			return err
		}
		raw = t
	} else {
		b, err := readFile(file, "token file")
		if err != nil {
			return err
		}
		raw = string(trimNewline(b))
	}
	d, err := decodeJWS(raw)
	if err != nil {
		return fmt.Errorf("malformed token: %w", err)
	}
	jti, ok := str(d.cl, "jti")
	if !ok || jti == "" {
		return errors.New("the token has no jti: revoke its session or its subject instead")
	}
	if *id != "" && *id != jti {
		return fmt.Errorf("JTI %s is not the token's jti %q", quoteArg(*id), jti)
	}
	*id = jti
	s, _ := str(d.cl, "sub")
	if isSet(fs, "sub") && *sub != s {
		return fmt.Errorf("-sub %s is not the token's sub %q", quoteArg(*sub), s)
	}
	*sub = s
	if !*untilSet {
		exp, ok := numericDate(d.cl, "exp")
		if !ok {
			return errors.New("the token has no exp: give -until")
		}
		*until, *untilSet = exp, true
	}
	return nil
}
