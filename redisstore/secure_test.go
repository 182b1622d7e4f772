package redisstore_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// A Store built from Addr reaches a Redis that speaks only TLS, asks for
// a client certificate and admits one ACL user, as managed Redis
// services are set up: it connects with Config's Username, Password and
// TLS, passes the server check, and reads back what it wrote, by
// 127.0.0.1 (verified against the certificate's IP SAN) and by localhost
// (against its DNS name).
func TestSecureRedis(t *testing.T) {
	srv := redistest.StartSecureServer(t)
	_, port, err := net.SplitHostPort(srv.Addr())
	require.NoError(t, err)
	for _, addr := range []string{srv.Addr(), net.JoinHostPort("localhost", port)} {
		t.Run(addr, func(t *testing.T) {
			s, err := redisstore.New(redisstore.Config{
				Addr: addr, Username: srv.Username, Password: srv.Password, TLS: srv.TLS(t),
			})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			require.NoError(t, s.Establish(ctx))
			want := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
			require.NoError(t, s.Lists().Set(ctx, "acme", want))
			got, err := s.Lists().AllowList(ctx, "acme")
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// A Store that cannot authenticate, or whose TLS does not verify, is not
// built: New's server check fails with an error that names neither
// password.
func TestSecureRedisRefused(t *testing.T) {
	srv := redistest.StartSecureServer(t)
	good := srv.TLS(t)
	noCert := good.Clone()
	noCert.Certificates = nil
	otherRoots := good.Clone()
	otherRoots.RootCAs = x509.NewCertPool()
	otherName := good.Clone()
	otherName.ServerName = "redis.example"
	const wrong = "not-the-password-0123456789"
	for _, tc := range []struct {
		name string
		cfg  redisstore.Config
		want string
	}{
		{"wrong password", redisstore.Config{Username: srv.Username, Password: wrong, TLS: good}, "WRONGPASS"},
		{"unknown user", redisstore.Config{Username: "someone", Password: srv.Password, TLS: good}, "WRONGPASS"},
		{"default user", redisstore.Config{Password: srv.Password, TLS: good}, "WRONGPASS"},
		{"no credentials", redisstore.Config{TLS: good}, "NOAUTH"},
		{"no TLS", redisstore.Config{Username: srv.Username, Password: srv.Password}, "EOF"}, // the server closes a connection that does not start TLS
		{"no client certificate", redisstore.Config{Username: srv.Username, Password: srv.Password, TLS: noCert}, "certificate required"},
		{"untrusted server", redisstore.Config{Username: srv.Username, Password: srv.Password, TLS: otherRoots}, "certificate"},
		{"server under another name", redisstore.Config{Username: srv.Username, Password: srv.Password, TLS: otherName}, "redis.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Addr, cfg.Timeout = srv.Addr(), time.Second
			s, err := redisstore.New(cfg)
			if s != nil {
				_ = s.Close()
			}
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.want)
			assert.NotContains(t, err.Error(), srv.Password)
			assert.NotContains(t, err.Error(), wrong)
		})
	}
}

// Config.TLS is used as given: a configuration with a ServerName keeps
// it, and one without is not modified by the dials that fill it in.
func TestSecureRedisTLSConfigUntouched(t *testing.T) {
	srv := redistest.StartSecureServer(t)
	cfg := srv.TLS(t)
	s, err := redisstore.New(redisstore.Config{Addr: srv.Addr(), Username: srv.Username, Password: srv.Password, TLS: cfg})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Empty(t, cfg.ServerName)
	assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
}
