package issuer

import (
	"context"
	"errors"
	"github.com/gatehouse-go/gatehouse/internal/attempts"
	"net/http"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/issuance"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"golang.org/x/crypto/bcrypt"
)

// maxUsernameBytes is the longest user name Login accepts.
const maxUsernameBytes = 256

type loginRequest struct {
	Username string `json:"username" envelope:"required"`
	Password string `json:"password" envelope:"required"`
}

var errUsernameTooLong = envelope.ErrValidation.WithField("username").WithMessage("Field too long: username")

// allowlistKeyOf returns the allowlist key login checks: the account's
// when found, else that of a subject named as the user name, which names
// no account (the check is made for its time alone).
func allowlistKeyOf(acct Account, found bool, username string) string {
	if found {
		return Session{Subject: acct.subject(), Tenant: acct.Tenant}.allowlistKey()
	}
	return Session{Subject: username}.allowlistKey()
}

// Login is the POST /auth/login handler. It reads {"username","password"}
// with the strict decoder and answers a token pair (see [Pair]), or:
//
//	400 ValidationException / SyntaxError   malformed body (415, 413 likewise)
//	429 with Retry-After                    too many failures from this IP or for this user
//	403 ForbiddenError                      the account's IP allowlist excludes the client
//	401 UnauthorizedError                   unknown user or wrong password (one answer),
//	                                        with WWW-Authenticate: Bearer realm="<Realm>"
//	400 invalid_dpop_proof                  (Config.DPoP) a refused DPoP proof
//	400 use_dpop_nonce                      (Config.DPoP) a proof without the current
//	                                        nonce; DPoP-Nonce: the nonce
//	503                                     a store failed
//
// With Config.DPoP, a request with a DPoP header has its proof checked
// first, before the attempt is counted; a valid one binds the new family
// and its access tokens to the proof's key (see Config.DPoP).
//
// A disabled account (Account.Disabled) is answered as an unknown user.
// The allowlist applies before the password is checked. Unknown users are
// checked against a dummy bcrypt hash of the same cost, so both failures
// take the same path and about the same time. Every attempt is counted
// against the client address ("ip:" + ratelimit.AddrKey: an IPv6 client by
// its /64) and the user name ("user:<name>") before anything is decided,
// before the password is checked and before a credential store is asked
// for the account, so parallel guesses cannot outrun the count: at most
// Max passwords are checked per key and window however many arrive at
// once. (An account in MemoryCredentials, which costs nothing to look up,
// is looked up first, so that its allowlist is read while the attempt is
// counted; the allowlist's verdict applies after the count.) A wrong
// password stays counted against both; a success clears the user name's
// count and takes back its own attempt against the address, whose earlier
// failures stay (clearing them would let one valid account reset a
// password-guessing run against others), while the new refresh family is
// stored (either write failing is a 503 that sends no token). An
// allowlist 403 stays counted against the address (it tells the client
// the account exists, so probing for accounts costs attempts like
// guessing passwords) and is taken back from the user name (outsiders
// must not lock the account out); a 503 is taken back from both.
func (i *Issuer) Login(w http.ResponseWriter, r *http.Request) {
	ev := gatehouse.NewEvent(r, auditSource, "login")
	var req loginRequest
	if err := i.decoder.Decode(w, r, &req); err != nil {
		i.fail(w, r, ev, reasonBadRequest, err)
		return
	}
	if len(req.Username) > maxUsernameBytes {
		i.fail(w, r, ev, reasonBadRequest, errUsernameTooLong)
		return
	}
	ctx := r.Context()
	// The DPoP proof is checked before anything is counted or looked up:
	// a refused one (a nonce round trip included) costs no attempt and
	// no password check.
	proof := issuance.CheckDPoP(ctx, i.dpop, r, "", false)
	if proof.Err != nil {
		proof.SetNonce(w.Header(), i.dpop)
		i.fail(w, r, ev, proof.Reason, proof.Err)
		return
	}
	addr := gatehouse.ClientAddr(r)
	var (
		acct    Account
		err     error
		looked  bool     // acct and err hold the lookup's answer
		allowed *pending // the allowlist check, when started early
	)
	if _, inMemory := i.credentials.(*MemoryCredentials); inMemory {
		// An account in memory is looked up before the count: it costs
		// no round trip and decides nothing, and it lets the allowlist be
		// read while the attempt is counted (its verdict applies after).
		acct, err = i.credentials.LookupAccount(ctx, req.Username)
		looked = true
		if (err == nil || errors.Is(err, ErrAccountNotFound)) && i.accounts != nil && i.throttle != nil {
			key := allowlistKeyOf(acct, err == nil && !acct.Disabled, req.Username)
			allowed = async(func() error { return i.accounts.CheckAccount(ctx, key, addr) })
		}
	}
	var ipKey, userKey attempt
	if i.throttle != nil {
		ipKey, userKey = attempt{Key: "ip:" + ratelimit.AddrKey(addr)}, attempt{Key: "user:" + req.Username}
		if e := i.beginAttempt(ctx, &ipKey, &userKey); e != nil {
			if allowed != nil {
				_ = allowed.wait() // its verdict does not matter any more
			}
			i.fail(w, r, ev, storeOr(e, reasonThrottled), e)
			return
		}
	}

	if !looked {
		acct, err = i.credentials.LookupAccount(ctx, req.Username)
	}
	// A disabled account is refused exactly as an unknown one: the
	// allowlist checked for its time alone, the dummy hash, the same 401.
	found := err == nil && !acct.Disabled
	if err != nil && !errors.Is(err, ErrAccountNotFound) {
		i.endAttempt(ctx, &ipKey, &userKey)
		i.fail(w, r, ev, reasonStore, unavailable(err))
		return
	}
	session := Session{Subject: acct.subject(), Tenant: acct.Tenant, ClientID: acct.ClientID, Scopes: acct.Scopes}
	if found {
		ev.Subject, ev.Tenant = session.Subject, session.Tenant
	}
	if i.accounts != nil {
		// An unknown or disabled account is checked too, under a key of
		// no account of its own, so that it takes the round trip a known
		// one takes: its 403 is ignored (the dummy hash then refuses it),
		// a store failure answered as for a known account.
		var err error
		if allowed != nil {
			err = allowed.wait()
		} else {
			err = i.accounts.CheckAccount(ctx, allowlistKeyOf(acct, found, req.Username), addr)
		}
		if err != nil {
			if e := passThrough(err); found || e.Status != http.StatusForbidden {
				if e.Status == http.StatusForbidden {
					// A 403 tells an outsider that the account exists:
					// probing for accounts this way costs the address
					// attempts like guessing passwords. The user name's
					// attempt is taken back, so that outsiders cannot
					// lock the account out.
					i.endAttempt(ctx, &userKey)
				} else {
					i.endAttempt(ctx, &ipKey, &userKey) // the password was never checked
				}
				i.fail(w, r, ev, storeOr(e, reasonIPDenied), e)
				return
			}
		}
	}

	if !i.passwordMatches(found, acct.PasswordHash, req.Password) {
		// The attempt Begin counted stays, against both keys: the failure.
		i.fail(w, r, ev, reasonBadCredentials, errBadCredentials)
		return
	}
	// The throttle's settlement and the new family are independent
	// writes: both are sent at once, and either failing is a 503 (a family
	// whose tokens are never sent is harmless).
	var settled *pending
	if i.throttle != nil {
		settled = async(func() error { return i.settleGood(ctx, &userKey, &ipKey) })
	}
	pair, err := i.issuePair(ctx, session, proof.JKT)
	if settled != nil {
		if serr := settled.wait(); serr != nil {
			i.fail(w, r, ev, reasonStore, passThrough(serr))
			return
		}
	}
	if err != nil {
		i.fail(w, r, ev, reasonStore, unavailable(err))
		return
	}
	ev.CredID = pair.TokenID
	proof.SetNonce(w.Header(), i.dpop)
	i.succeed(w, r, ev, pair)
}

// An attempt is one key's attempt counted by the Throttle: the key and
// the id Begin returned.
type attempt = attempts.Attempt

// beginAttempt counts one attempt against each key (Throttle.Begin, or
// one BeginAll of a Throttle that batches) before any credential is checked,
// filling in their ids. When a key refuses, the attempts already counted
// are taken back, so a refused request counts nowhere. It returns the
// throttle's 429, or a 503 when its store fails. The caller checks that
// there is a throttle.
func (i *Issuer) beginAttempt(ctx context.Context, as ...*attempt) *envelope.Error {
	if err := attempts.Begin(ctx, i.throttle, as...); err != nil {
		return passThrough(err)
	}
	return nil
}

// endAttempt takes back the attempts beginAttempt counted, for a request
// that ended without a failed credential check (a refused allowlist, a
// store failure, a refusal after the credential was good). A store
// failure leaves the attempt to the throttle, which takes it back once its
// store answers; the request's own answer stands. It does nothing without
// a throttle.
func (i *Issuer) endAttempt(ctx context.Context, as ...*attempt) {
	if i.throttle != nil {
		attempts.End(ctx, i.throttle, as...)
	}
}

// settleGood settles the attempts of a request whose credential was good:
// it forgets the failures of reset's key (the user name) and takes back
// good, the attempt against the address, whose earlier failures stay. The
// error is the throttle's 503.
func (i *Issuer) settleGood(ctx context.Context, reset, good *attempt) error {
	return attempts.SettleGood(ctx, i.throttle, reset, good)
}

// storeOr is the audit reason of e, a refusal from a store-backed check
// (the throttle, the account allowlist): store_unavailable for its 5xx
// (the store could not answer, so nothing was refused for cause), and
// refused, the check's own reason, otherwise.
func storeOr(e *envelope.Error, refused gatehouse.Reason) gatehouse.Reason {
	if e.Status >= http.StatusInternalServerError {
		return reasonStore
	}
	return refused
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
	tooLong := len(pw) > maxPasswordBytes
	if tooLong {
		pw = pw[:maxPasswordBytes]
	}
	ok := bcrypt.CompareHashAndPassword(h, pw) == nil
	return ok && found && !tooLong
}
