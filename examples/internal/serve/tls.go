package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
)

// MinTLSVersion is the lowest TLS version [ServeTLS] accepts: TLS 1.2, as
// seed 001 asks ("Use TLS 1.2 or higher", curl --tlsv1.2).
const MinTLSVersion = tls.VersionTLS12

// LoadTLS reads a PEM certificate chain (leaf first) and its private key and
// returns a server configuration with MinVersion MinTLSVersion. Errors name
// the failing file.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("TLS needs both a certificate and a key file")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s, key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: MinTLSVersion}, nil
}

// ServeTLS is [Serve] over TLS: it serves h on ln with cfg until ctx is done
// or SIGINT/SIGTERM arrives, then shuts down gracefully. cfg is cloned, and
// its MinVersion raised to MinTLSVersion when lower (zero included), so a
// TLS 1.0 or 1.1 handshake is always refused. HTTP/2 is offered by ALPN
// unless cfg.NextProtos says otherwise.
func ServeTLS(ctx context.Context, ln net.Listener, h http.Handler, cfg *tls.Config) error {
	if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil) {
		return errors.New("serve: ServeTLS needs a tls.Config with a certificate")
	}
	cfg = cfg.Clone()
	if cfg.MinVersion < MinTLSVersion {
		cfg.MinVersion = MinTLSVersion
	}
	return serve(ctx, ln, h, cfg)
}

// TLSFlags are a command's -tls-cert and -tls-key flags, set with
// [AddTLSFlags].
type TLSFlags struct {
	CertFile, KeyFile string
}

// TLSUsage documents the flags of [AddTLSFlags], for a command's usage
// text.
const TLSUsage = `  -tls-cert file  PEM certificate chain (leaf first): serve HTTPS, TLS 1.2 or
                  higher, instead of HTTP; needs -tls-key
  -tls-key file   PEM private key of -tls-cert
`

// AddTLSFlags defines -tls-cert and -tls-key on fs. After fs.Parse, call
// [TLSFlags.Config].
func AddTLSFlags(fs *flag.FlagSet) *TLSFlags {
	f := &TLSFlags{}
	fs.StringVar(&f.CertFile, "tls-cert", "", "PEM certificate chain; serve HTTPS (needs -tls-key)")
	fs.StringVar(&f.KeyFile, "tls-key", "", "PEM private key of -tls-cert")
	return f
}

// Config returns nil (serve plain HTTP) when neither flag is set, the
// loaded configuration ([LoadTLS]) when both are, and an error when only
// one is or the files do not load.
func (f *TLSFlags) Config() (*tls.Config, error) {
	switch {
	case f.CertFile == "" && f.KeyFile == "":
		return nil, nil
	case f.CertFile == "" || f.KeyFile == "":
		return nil, errors.New("-tls-cert and -tls-key go together: give both or neither")
	}
	return LoadTLS(f.CertFile, f.KeyFile)
}
