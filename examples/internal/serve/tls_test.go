package serve_test

import (
	"context"
	"crypto/tls"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve/tlstest"
)

// serveTLS runs serve.ServeTLS with cfg on a loopback port until the test
// ends, and returns the address.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.ServeTLS(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "ok "+r.Proto)
		}), cfg)
	}()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done, "a canceled context shuts down cleanly")
	})
	return ln.Addr().String()
}

func TestServeTLS(t *testing.T) {
	cert := tlstest.SelfSigned(t)
	cfg, err := serve.LoadTLS(cert.CertFile, cert.KeyFile)
	require.NoError(t, err)
	assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
	addr := serveTLS(t, cfg)
	_, port, _ := net.SplitHostPort(addr)

	get := func(c *http.Client, url string) (*http.Response, string, error) {
		res, err := c.Get(url)
		if err != nil {
			return nil, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res, string(b), err
	}

	t.Run("trusted client, default versions", func(t *testing.T) {
		for _, host := range []string{"127.0.0.1", "localhost"} {
			res, body, err := get(cert.Client(t, 0, 0), "https://"+net.JoinHostPort(host, port)+"/")
			require.NoError(t, err)
			assert.Equal(t, "ok HTTP/1.1", body)
			require.NotNil(t, res.TLS)
			assert.GreaterOrEqual(t, res.TLS.Version, uint16(tls.VersionTLS12))
			assert.Equal(t, uint16(tls.VersionTLS13), res.TLS.Version)
		}
	})
	t.Run("TLS 1.2 exactly", func(t *testing.T) {
		res, _, err := get(cert.Client(t, tls.VersionTLS12, tls.VersionTLS12), "https://"+addr+"/")
		require.NoError(t, err)
		assert.Equal(t, uint16(tls.VersionTLS12), res.TLS.Version)
	})
	t.Run("TLS 1.1 and 1.0 refused", func(t *testing.T) {
		for _, v := range []uint16{tls.VersionTLS11, tls.VersionTLS10} {
			_, _, err := get(cert.Client(t, tls.VersionTLS10, v), "https://"+addr+"/")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "protocol version not supported")
		}
	})
	t.Run("an untrusted certificate is refused by the client", func(t *testing.T) {
		other := tlstest.SelfSigned(t)
		_, _, err := get(other.Client(t, 0, 0), "https://"+addr+"/")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate")
	})
	t.Run("plain HTTP is not served", func(t *testing.T) {
		res, _, err := get(http.DefaultClient, "http://"+addr+"/")
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	})
}

func TestServeTLSRaisesMinVersion(t *testing.T) {
	cert := tlstest.SelfSigned(t)
	kp, err := tls.LoadX509KeyPair(cert.CertFile, cert.KeyFile)
	require.NoError(t, err)
	cfg := &tls.Config{Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS10}
	addr := serveTLS(t, cfg)
	assert.Equal(t, uint16(tls.VersionTLS10), cfg.MinVersion, "the caller's config is not modified")
	_, err = cert.Client(t, tls.VersionTLS10, tls.VersionTLS11).Get("https://" + addr + "/")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "protocol version not supported")
}

func TestServeTLSNeedsACertificate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	for _, cfg := range []*tls.Config{nil, {}} {
		assert.ErrorContains(t, serve.ServeTLS(context.Background(), ln, http.NotFoundHandler(), cfg), "needs a tls.Config with a certificate")
	}
}

func TestLoadTLSErrors(t *testing.T) {
	cert := tlstest.SelfSigned(t)
	other := tlstest.SelfSigned(t)
	missing := filepath.Join(t.TempDir(), "none.pem")
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("not PEM"), 0o600))
	for name, c := range map[string]struct{ cert, key, want string }{
		"missing cert":   {missing, cert.KeyFile, missing},
		"missing key":    {cert.CertFile, missing, missing},
		"not PEM":        {garbage, cert.KeyFile, garbage},
		"key of another": {cert.CertFile, other.KeyFile, "private key does not match public key"},
		"no key file":    {cert.CertFile, "", "both a certificate and a key"},
		"no cert file":   {"", cert.KeyFile, "both a certificate and a key"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := serve.LoadTLS(c.cert, c.key)
			assert.ErrorContains(t, err, c.want)
		})
	}
}

func TestTLSFlags(t *testing.T) {
	cert := tlstest.SelfSigned(t)
	parse := func(args ...string) (*tls.Config, error) {
		fs := flag.NewFlagSet("demo", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := serve.AddTLSFlags(fs)
		require.NoError(t, fs.Parse(args))
		return f.Config()
	}
	cfg, err := parse()
	require.NoError(t, err)
	assert.Nil(t, cfg, "neither: plain HTTP")

	cfg, err = parse("-tls-cert", cert.CertFile, "-tls-key", cert.KeyFile)
	require.NoError(t, err)
	require.NotNil(t, cfg)
	assert.Len(t, cfg.Certificates, 1)
	assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)

	for _, args := range [][]string{{"-tls-cert", cert.CertFile}, {"-tls-key", cert.KeyFile}} {
		_, err := parse(args...)
		assert.EqualError(t, err, "-tls-cert and -tls-key go together: give both or neither")
	}
}
