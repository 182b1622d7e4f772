package redisstore_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
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

// A Store built from ClusterAddrs reaches a Redis Cluster whose masters
// speak only TLS (their cluster bus too), ask for a client certificate
// and admit one ACL user: New's server check passes on every master, and
// allowlists written for accounts whose keys land on every master read
// back, whether the Store is given all the seeds or one by name. Each
// connection verifies its node under the host it dials: the seed
// localhost against the certificate's DNS name, and the nodes the
// cluster reports, 127.0.0.1, against its IP SAN. A Store with a wrong
// password is not built.
func TestSecureRedisCluster(t *testing.T) {
	c := redistest.StartSecureCluster(t)
	_, port, err := net.SplitHostPort(c.Addrs()[0])
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		seeds []string
	}{
		{"all seeds", c.Addrs()},
		{"one seed by name", []string{net.JoinHostPort("localhost", port)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redisstore.New(redisstore.Config{
				ClusterAddrs: tc.seeds, Username: c.Username, Password: c.Password, TLS: c.TLS(t),
				Prefix: "gatehouse-secure-cluster:" + rand.Text()[:10] + ":",
			})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			require.NoError(t, s.Establish(ctx))

			want := make(map[string][]netip.Prefix)
			for i := range 30 {
				account := fmt.Sprintf("account-%d", i)
				want[account] = []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), 0, 0}), 16)}
				require.NoError(t, s.Lists().Set(ctx, account, want[account]))
			}
			for account, prefixes := range want {
				got, err := s.Lists().AllowList(ctx, account)
				require.NoError(t, err)
				assert.Equal(t, prefixes, got, account)
			}

			cc, ok := s.Client().(*redis.ClusterClient)
			require.True(t, ok, "a Store built from ClusterAddrs has a %T", s.Client())
			var mu sync.Mutex
			lists := make(map[string]int) // by master
			require.NoError(t, cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
				keys, err := m.Keys(ctx, s.Prefix()+"ips:*").Result()
				mu.Lock()
				lists[m.Options().Addr] = len(keys)
				mu.Unlock()
				return err
			}))
			require.Len(t, lists, len(c.Nodes), "masters")
			for _, addr := range c.Addrs() {
				assert.Positive(t, lists[addr], "allowlists on %s", addr)
			}
		})
	}

	// A Store that cannot authenticate to the cluster is not built: New
	// fails with an error that names neither password.
	t.Run("wrong password", func(t *testing.T) {
		const wrong = "not-the-password-0123456789"
		s, err := redisstore.New(redisstore.Config{
			ClusterAddrs: c.Addrs(), Username: c.Username, Password: wrong, TLS: c.TLS(t), Timeout: time.Second,
		})
		if s != nil {
			_ = s.Close()
		}
		require.Error(t, err)
		assert.ErrorContains(t, err, "WRONGPASS")
		assert.NotContains(t, err.Error(), c.Password)
		assert.NotContains(t, err.Error(), wrong)
	})
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
		{"untrusted server", redisstore.Config{Username: srv.Username, Password: srv.Password, TLS: otherRoots}, "TLS handshake with " + srv.Addr() + ": tls: failed to verify certificate"},
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
			if tc.name == "untrusted server" {
				var verr *tls.CertificateVerificationError
				assert.ErrorAs(t, err, &verr, "the handshake's error stays reachable")
			}
			assert.NotContains(t, err.Error(), srv.Password)
			assert.NotContains(t, err.Error(), wrong)
		})
	}
}

// New leaves the caller's Config.TLS as it was: the dials that fill in a
// missing ServerName do so on a copy.
func TestSecureRedisTLSConfigUntouched(t *testing.T) {
	srv := redistest.StartSecureServer(t)
	cfg := srv.TLS(t)
	s, err := redisstore.New(redisstore.Config{Addr: srv.Addr(), Username: srv.Username, Password: srv.Password, TLS: cfg})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Empty(t, cfg.ServerName)
	assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
}
