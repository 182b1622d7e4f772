package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A SecureServer is a Server configured as a managed Redis usually is: it
// speaks only TLS on its port, with a certificate for 127.0.0.1 and
// localhost; it asks every client for a certificate (tls-auth-clients
// yes); and it admits only the ACL user Username with Password (the
// default user is off). The certificates are signed by a CA of the test's
// own, and every file is in the test's temporary directory.
type SecureServer struct {
	*Server
	Username, Password string
	// CAFile is the CA's certificate (PEM), which signed the server's
	// certificate and the client's.
	CAFile string
	// CertFile and KeyFile are a client certificate the server accepts
	// and its private key (PEM).
	CertFile, KeyFile string
}

// StartSecureServer starts a SecureServer with the extra arguments args,
// as StartServer starts a Server.
func StartSecureServer(tb testing.TB, args ...string) *SecureServer {
	tb.Helper()
	dir := tb.TempDir()
	s := &SecureServer{Username: "gatehouse", Password: randomHex(tb, 16)}
	ca, caKey := writeCA(tb, dir)
	s.CAFile = filepath.Join(dir, "ca.pem")
	serverCert, serverKey := filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	writeLeaf(tb, ca, caKey, "redis", serverCert, serverKey)
	s.CertFile, s.KeyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	writeLeaf(tb, ca, caKey, "client", s.CertFile, s.KeyFile)
	clientTLS := s.TLS(tb)
	s.Server = startProbed(tb, func(port int) []string {
		return append([]string{
			"--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--tls-cert-file", serverCert, "--tls-key-file", serverKey,
			"--tls-ca-cert-file", s.CAFile, "--tls-auth-clients", "yes",
			"--user", "default", "off",
			"--user", s.Username, "on", ">" + s.Password, "~*", "&*", "+@all",
			"--save", "", "--appendonly", "no", "--dir", dir,
		}, args...)
	}, func(o *redis.Options) {
		o.Username, o.Password, o.TLSConfig = s.Username, s.Password, clientTLS
	})
	return s
}

// TLS returns a client TLS configuration that trusts CAFile and presents
// the client certificate.
func (s *SecureServer) TLS(tb testing.TB) *tls.Config {
	tb.Helper()
	caPEM, err := os.ReadFile(s.CAFile)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		tb.Fatalf("redistest: no certificate in %s", s.CAFile)
	}
	cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
	if err != nil {
		tb.Fatalf("redistest: client certificate: %v", err)
	}
	return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// writeCA writes a new CA's certificate to dir/ca.pem and returns it and
// its key.
func writeCA(tb testing.TB, dir string) (*x509.Certificate, *ecdsa.PrivateKey) {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "redistest CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("redistest: CA certificate: %v", err)
	}
	writePEM(tb, filepath.Join(dir, "ca.pem"), "CERTIFICATE", der)
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("redistest: CA certificate: %v", err)
	}
	return ca, key
}

// writeLeaf writes a certificate named name, signed by ca, for 127.0.0.1
// and localhost, usable by a server and a client, and its key.
func writeLeaf(tb testing.TB, ca *x509.Certificate, caKey *ecdsa.PrivateKey, name, certFile, keyFile string) {
	tb.Helper()
	key := newKey(tb)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		tb.Fatalf("redistest: %s certificate: %v", name, err)
	}
	writePEM(tb, certFile, "CERTIFICATE", der)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatalf("redistest: %s key: %v", name, err)
	}
	writePEM(tb, keyFile, "PRIVATE KEY", keyDER)
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return key
}

func writePEM(tb testing.TB, file, typ string, der []byte) {
	tb.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
}

func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return hex.EncodeToString(b)
}
