package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// readyz answers the readiness probe: 200 {"status":"ready"} once every
// issuer has a usable key set, else 503 naming the issuers still without
// one. The message names issuers and the kind of failure only; the
// library's error, which may quote configured URLs, goes to the log.
func readyz(auth *bearer.Authenticator) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := auth.Ready(r.Context()); err == nil {
			_ = envelope.OK(w, map[string]string{"status": "ready"})
			return
		}
		envelope.Write(w, r, envelope.ErrUnavailable.WithMessage(notReadyMessage(notReady(auth.Unready()))))
	}
}

// notReady maps each issuer of unready (bearer.Authenticator.Unready) to
// why it has no keys: "discovery failed" or "no key set yet".
func notReady(unready []*bearer.IssuerError) map[string]string {
	out := map[string]string{}
	for _, e := range unready {
		out[e.Issuer] = "no key set yet"
		if errors.Is(e, bearer.ErrDiscovery) {
			out[e.Issuer] = "discovery failed"
		}
	}
	return out
}

// notReadyMessage is the 503 message for the issuers of notReady.
func notReadyMessage(reasons map[string]string) string {
	if len(reasons) == 0 {
		return "Not ready: the issuers' key sets are not loaded yet"
	}
	var parts []string
	for _, iss := range sortedKeys(reasons) {
		parts = append(parts, iss+" ("+reasons[iss]+")")
	}
	return "Not ready: no usable key set for " + strings.Join(parts, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// watchReadiness logs each issuer once it has a usable key set (found by
// discovery or fetched from its -jwks-url), and after warnAfter the
// issuers still without one. It returns when every issuer is ready or ctx
// is done; each wait for the key sets lasts at most poll. The fetch
// failures themselves are logged by bearer (Config.Logger).
func watchReadiness(ctx context.Context, auth *bearer.Authenticator, issuers []bearer.Issuer, log *slog.Logger, poll, warnAfter time.Duration) {
	start := time.Now()
	pending := slices.Clone(issuers)
	warned := false
	for len(pending) > 0 {
		wctx, cancel := context.WithTimeout(ctx, poll)
		_ = auth.WaitReady(wctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		missing := notReady(auth.Unready())
		pending = slices.DeleteFunc(pending, func(is bearer.Issuer) bool {
			if _, ok := missing[is.URL]; ok {
				return false
			}
			if is.JWKSURL != "" {
				log.Info("issuer ready: key set fetched", "issuer", is.URL, "jwks_url", is.JWKSURL)
			} else {
				log.Info("issuer ready: key set found by discovery", "issuer", is.URL)
			}
			return true
		})
		if len(pending) > 0 && !warned && time.Since(start) >= warnAfter {
			warned = true
			log.Warn("still not ready: tokens of these issuers are answered 503", "waited", time.Since(start).Round(time.Second), "issuers", notReadyMessage(missing))
		}
	}
	log.Info("ready: every issuer has a usable key set")
}
