package server

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Refusals of the tenant layer.
var (
	// errUnknownStore answers a Host whose first label is no known store.
	errUnknownStore = envelope.ErrNotFound.WithMessage("Store not found")
	// errForeign answers a token of another store, and an id of another
	// store's resource: seed 004's 403 for "another tenant's resources".
	errForeign = envelope.ErrForbidden.WithMessage("Insufficient permissions")
)

// noStore answers a Host that names no store (an IP address or a single
// label such as "localhost") with 404 and the host to use instead: a store
// of the server under .localhost, on the port the request reached
// (noStoreHost).
func (s *Server) noStore(r *http.Request) error {
	return envelope.ErrNotFound.WithMessage("Store not found: send requests to a store host such as " + s.noStoreHost(r))
}

// noStoreHost returns "<store>.localhost:<port>": the server's first store
// ("acme" when it has none) and the port of the request's Host, or, when
// the Host names none (a client setting the header by hand), the port of
// the local address the connection was accepted on. With neither, the port
// is left out.
func (s *Server) noStoreHost(r *http.Request) string {
	store := "acme"
	if st := s.Stores(); len(st) > 0 {
		store = st[0]
	}
	host := store + ".localhost"
	if _, port, err := net.SplitHostPort(r.Host); err == nil && port != "" {
		return net.JoinHostPort(host, port)
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(a.String()); err == nil && port != "" && port != "0" {
			return net.JoinHostPort(host, port)
		}
	}
	return host
}

// StoreFromHost returns the store a Host header value names: its first
// label, lower-cased, when the host has at least two labels and is not an
// IP address ("acme.localhost:8080" → "acme"). ok is false otherwise.
func StoreFromHost(host string) (store string, ok bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(host, ".")
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return "", false
	}
	label, rest, found := strings.Cut(host, ".")
	if !found || rest == "" {
		return "", false
	}
	label = strings.ToLower(label)
	if !validStore(label) {
		return "", false
	}
	return label, true
}

type storeKey struct{}

// storeFrom returns the store selected for the request by selectStore.
func storeFrom(r *http.Request) string {
	s, _ := r.Context().Value(storeKey{}).(string)
	return s
}

// selectStore resolves the request's store from its Host header before any
// credential is looked at: a Host naming no known store is answered 404.
func (s *Server) selectStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		store, ok := StoreFromHost(r.Host)
		switch {
		case !ok:
			envelope.Write(w, r, s.noStore(r))
		case !s.stores[store]:
			envelope.Write(w, r, errUnknownStore)
		default:
			ctx := r.Context()
			next.ServeHTTP(w, r.WithContext(contextWithStore(ctx, store)))
		}
	})
}

// sameStore refuses, with 403 "Insufficient permissions", a Principal whose
// token belongs to another store than the request's.
func (s *Server) sameStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := gatehouse.PrincipalFrom(r.Context())
		if !ok || p.Tenant != storeFrom(r) {
			if s.audit != nil {
				ev := gatehouse.NewEvent(r, "scopedstore", "tenant")
				ev.Time, ev.Outcome, ev.Reason, ev.Status = s.now(), gatehouse.Denied, "foreign_store", http.StatusForbidden
				ev.Subject, ev.Tenant, ev.CredID = p.Subject, p.Tenant, p.TokenID
				gatehouse.Emit(r.Context(), s.audit, ev)
			}
			envelope.Write(w, r, errForeign)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func contextWithStore(ctx context.Context, store string) context.Context {
	return context.WithValue(ctx, storeKey{}, store)
}
