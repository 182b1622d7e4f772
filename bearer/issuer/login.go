package issuer

import (
	"errors"
	"net/http"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"golang.org/x/crypto/bcrypt"
)

// MaxUsernameBytes is the longest user name Login accepts.
const MaxUsernameBytes = 256

type loginRequest struct {
	Username string `json:"username" envelope:"required"`
	Password string `json:"password" envelope:"required"`
}

var errLoginDisabled = envelope.ErrNotFound.WithCause(errors.New("issuer: login is not configured (no Config.Credentials)"))

var errUsernameTooLong = envelope.ErrValidation.WithField("username").WithMessage("Field too long: username")

// Login is the POST /auth/login handler. It reads {"username","password"}
// with the strict decoder and answers seed 000's token pair, or:
//
//	400 ValidationException / SyntaxError   malformed body (415, 413 likewise)
//	429 with Retry-After                    too many failures from this IP or for this user
//	403 ForbiddenError                      the account's IP allowlist excludes the client
//	401 UnauthorizedError                   unknown user or wrong password (one answer)
//	503                                     a store failed
//	404                                     the issuer has no Credentials
//
// The allowlist applies before the password is checked. Unknown users are
// checked against a dummy bcrypt hash of the same cost, so both failures
// take the same path and about the same time. A failure counts against the
// client IP and the user name; a success clears the user name's count only
// (clearing the IP's would let one valid account reset a password-guessing
// run against others).
func (i *Issuer) Login(w http.ResponseWriter, r *http.Request) {
	ev := gatehouse.NewEvent(r, auditSource, "login")
	if i.credentials == nil {
		i.fail(w, r, ev, reasonBadRequest, errLoginDisabled)
		return
	}
	var req loginRequest
	if err := i.decoder.Decode(w, r, &req); err != nil {
		i.fail(w, r, ev, reasonBadRequest, err)
		return
	}
	if len(req.Username) > MaxUsernameBytes {
		i.fail(w, r, ev, reasonBadRequest, errUsernameTooLong)
		return
	}
	ctx := r.Context()
	addr := gatehouse.ClientAddr(r)
	ipKey, userKey := "ip:"+addr.String(), "user:"+req.Username
	if i.throttle != nil {
		for _, key := range [...]string{ipKey, userKey} {
			if err := i.throttle.Check(ctx, key); err != nil {
				i.fail(w, r, ev, reasonThrottled, passThrough(err))
				return
			}
		}
	}

	acct, err := i.credentials.LookupAccount(ctx, req.Username)
	found := err == nil
	if err != nil && !errors.Is(err, ErrAccountNotFound) {
		i.fail(w, r, ev, reasonStore, unavailable(err))
		return
	}
	session := Session{Subject: acct.subject(), Tenant: acct.Tenant, ClientID: acct.ClientID, Scopes: acct.Scopes}
	if found {
		ev.Subject, ev.Tenant = session.Subject, session.Tenant
		if i.accounts != nil {
			if err := i.accounts.CheckAccount(ctx, session.allowlistKey(), addr); err != nil {
				i.fail(w, r, ev, reasonIPDenied, passThrough(err))
				return
			}
		}
	}

	if !i.passwordMatches(found, acct.PasswordHash, req.Password) {
		if i.throttle != nil {
			for _, key := range [...]string{ipKey, userKey} {
				if err := i.throttle.Fail(ctx, key); err != nil {
					// Failures that cannot be counted cannot be limited: fail closed.
					i.fail(w, r, ev, reasonStore, passThrough(err))
					return
				}
			}
		}
		i.fail(w, r, ev, reasonBadCredentials, errBadCredentials)
		return
	}
	if i.throttle != nil {
		if err := i.throttle.Reset(ctx, userKey); err != nil {
			i.fail(w, r, ev, reasonStore, passThrough(err))
			return
		}
	}

	pair, err := i.IssuePair(ctx, session)
	if err != nil {
		i.fail(w, r, ev, reasonStore, unavailable(err))
		return
	}
	ev.CredID = pair.TokenID
	i.succeed(w, r, ev, pair)
}

// passwordMatches runs exactly one bcrypt comparison whatever the input:
// against the account's hash when found, else against the dummy hash.
// Passwords beyond bcrypt's 72 bytes are compared on their first 72 bytes
// for timing and then refused.
func (i *Issuer) passwordMatches(found bool, hash, password string) bool {
	h := i.dummyHash
	if found {
		h = []byte(hash)
	}
	pw := []byte(password)
	tooLong := len(pw) > MaxPasswordBytes
	if tooLong {
		pw = pw[:MaxPasswordBytes]
	}
	ok := bcrypt.CompareHashAndPassword(h, pw) == nil
	return ok && found && !tooLong
}
