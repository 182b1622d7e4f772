package tokenendpoint

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/issuance"
)

// An Endpoint is an OAuth 2.0 token endpoint: it authenticates clients and
// issues them session tokens, access JWTs signed with one key. It is
// immutable after New and safe for concurrent use.
type Endpoint struct {
	signer       *issuance.Signer
	issuer       string
	audience     []string
	audJSON      json.RawMessage
	clients      ClientStore
	replay       ReplayStore
	throttle     Throttle
	assertionAud []string // what an assertion's aud may name
	window       time.Duration
	leeway       time.Duration
	ttl          time.Duration
	expiresIn    string // ttl in whole seconds, for the response
	claims       reflect.Type
	assertion    func(claims json.RawMessage, replayKey string) (any, error)
	maxBytes     int64
	style        envelope.Style
	resp         issuance.Responder
	dpop         *dpop.Verifier // Config.DPoP; nil means bearer tokens only
	requireDPoP  bool           // Config.RequireDPoP
	now          func() time.Time

	invalidClient *envelope.Error // 401 invalid_client with the Basic challenge
	errKeyMissing *envelope.Error // the replay claim is absent or empty
	errKeyType    *envelope.Error // the replay claim is no string or integer
	errReplayed   *envelope.Error // the replay claim was already used
	dummyKey      []byte          // HMAC key for unknown clients
	dummySecret   [32]byte        // secret hash for unknown clients
}

// New validates cfg and returns an Endpoint. It fails with an error
// wrapping ErrConfig that names every problem at once: Issuer, Key or
// Clients missing, a key that does not suit its algorithm, an unknown
// TokenType, a negative duration, an AccessTTL below one second, an
// AssertionLeeway beyond AssertionWindow, an empty audience, a
// ReplayClaim that cannot name a claim, or RequireDPoP without DPoP.
func New(cfg Config) (*Endpoint, error) {
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if cfg.Issuer == "" {
		bad("Issuer is required")
	}
	if cfg.Clients == nil {
		bad("Clients is required")
	}
	typ, err := issuance.CheckTokenType(cfg.TokenType)
	if err != nil {
		problems = append(problems, err)
	}
	var s *issuance.Signer
	if typ != "" {
		if s, err = issuance.NewSigner(cfg.Key.ID, cfg.Key.Algorithm, cfg.Key.Key, typ); err != nil {
			problems = append(problems, fmt.Errorf("signing key: %w", err))
		}
	}
	if cfg.AssertionWindow < 0 || cfg.AssertionLeeway < 0 || cfg.AccessTTL < 0 || cfg.MaxBodyBytes < 0 {
		bad("negative AssertionWindow, AssertionLeeway, AccessTTL or MaxBodyBytes")
	}
	ep := &Endpoint{
		signer:       s,
		issuer:       cfg.Issuer,
		audience:     slices.Clone(cfg.Audiences),
		clients:      cfg.Clients,
		replay:       cfg.Replay,
		throttle:     cfg.Throttle,
		assertionAud: slices.Clone(cfg.AssertionAudiences),
		window:       issuance.OrDefault(cfg.AssertionWindow, defaultAssertionWindow),
		leeway:       issuance.OrDefault(cfg.AssertionLeeway, defaultAssertionLeeway),
		ttl:          issuance.OrDefault(cfg.AccessTTL, defaultAccessTTL),
		assertion:    cfg.Assertion,
		maxBytes:     issuance.OrDefault(cfg.MaxBodyBytes, defaultMaxBodyBytes),
		style:        cfg.Style,
		dpop:         cfg.DPoP,
		requireDPoP:  cfg.RequireDPoP,
		now:          cfg.Now,
	}
	if cfg.RequireDPoP && cfg.DPoP == nil {
		bad("RequireDPoP needs DPoP, the verifier of the proofs")
	}
	if len(ep.audience) == 0 {
		ep.audience = []string{cfg.Issuer}
	}
	if len(ep.assertionAud) == 0 {
		ep.assertionAud = []string{cfg.Issuer}
	}
	if slices.Contains(ep.audience, "") {
		bad("empty Audiences member")
	}
	if slices.Contains(ep.assertionAud, "") {
		bad("empty AssertionAudiences member")
	}
	if ep.leeway > ep.window {
		bad("AssertionLeeway exceeds AssertionWindow")
	}
	if ep.ttl < time.Second {
		bad("AccessTTL below one second")
	}
	replayClaim := issuance.OrDefault(cfg.ReplayClaim, defaultReplayClaim)
	if !validClaimName(replayClaim) {
		bad("ReplayClaim %q is not a claim name of letters, digits and \"_-.:\" other than iat, exp, nbf, iss, sub and aud", replayClaim)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(problems...))
	}
	if ep.audJSON, err = issuance.AudienceJSON(ep.audience); err != nil {
		return nil, fmt.Errorf("%w: Audiences: %w", ErrConfig, err)
	}
	ep.claims = claimsType(replayClaim)
	ep.expiresIn = strconv.FormatInt(int64(ep.ttl/time.Second), 10)
	if ep.now == nil {
		ep.now = time.Now
	}
	if ep.replay == nil {
		ep.replay, _ = NewMemoryReplay(MemoryReplayConfig{Now: ep.now}) // the zero bounds are valid
	}
	if ep.style == nil {
		ep.style = envelope.OAuth
	}
	realm := cfg.Realm
	if realm == "" {
		realm = cfg.Issuer
	}
	ep.resp = issuance.Responder{
		Style:         ep.style,
		ChallengeNone: envelope.BearerChallenge(realm, "", "", ""),
		Audit:         cfg.Audit,
		Now:           ep.now,
	}
	ep.invalidClient = refused(rowInvalidClient, "").WithChallenge(basicChallenge(realm))
	ep.errKeyMissing = invalidGrant("Assertion "+replayClaim+" is required", ErrInvalidAssertion)
	ep.errKeyType = invalidGrant("Assertion "+replayClaim+" must be a string or an integer of at most 256 bytes", ErrInvalidAssertion)
	ep.errReplayed = refused(rowReplayed, "Assertion "+replayClaim+" was already used")
	ep.dummyKey = make([]byte, 32)
	_, _ = rand.Read(ep.dummyKey)
	_, _ = rand.Read(ep.dummySecret[:])
	return ep, nil
}
