package redistest

import (
	"context"
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
	"strings"
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
	f := writeSecureFiles(tb, dir)
	s := &SecureServer{
		Username: f.username, Password: f.password,
		CAFile: f.caFile, CertFile: f.certFile, KeyFile: f.keyFile,
	}
	s.Server = startProbed(tb, func(port int) []string {
		return append(f.serverArgs(port, dir), args...)
	}, f.probe(tb))
	return s
}

// TLS returns a client TLS configuration that trusts CAFile and presents
// the client certificate.
func (s *SecureServer) TLS(tb testing.TB) *tls.Config {
	tb.Helper()
	return clientTLS(tb, s.CAFile, s.CertFile, s.KeyFile)
}

// A SecureCluster is a Redis Cluster of three masters (no replicas), each
// a Server configured as a SecureServer is — TLS only, a client
// certificate required, the one ACL user Username with Password, the
// default user off — that also speaks TLS on its cluster bus (tls-cluster
// yes) and would replicate over TLS as Username (tls-replication yes,
// masteruser, masterauth). The masters share one CA, one server
// certificate and the credentials. They own the hash slots 0-5460,
// 5461-10922 and 10923-16383, in the order of Nodes, and each reports
// cluster_state:ok before StartSecureCluster returns.
type SecureCluster struct {
	// Nodes are the masters; each is killed when the test ends.
	Nodes              []*Server
	Username, Password string
	// CAFile is the CA's certificate (PEM), which signed the servers'
	// certificate and the client's.
	CAFile string
	// CertFile and KeyFile are a client certificate the servers accept
	// and its private key (PEM).
	CertFile, KeyFile string
}

// clusterSlots are the hash slot ranges of the masters of a
// SecureCluster, in the order of its Nodes.
var clusterSlots = [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}

// StartSecureCluster starts a SecureCluster with the extra arguments args
// on each master, as StartServer starts a Server: on free ports of
// FirstServerPort..LastServerPort whose cluster bus ports (10000 higher)
// are free too. It assigns the hash slots, joins the masters with
// CLUSTER MEET and waits up to ten seconds until every master reports
// cluster_state:ok, or fails tb.
func StartSecureCluster(tb testing.TB, args ...string) *SecureCluster {
	tb.Helper()
	f := writeSecureFiles(tb, tb.TempDir())
	c := &SecureCluster{
		Username: f.username, Password: f.password,
		CAFile: f.caFile, CertFile: f.certFile, KeyFile: f.keyFile,
	}
	probe := f.probe(tb)
	for range clusterSlots {
		dir := tb.TempDir()
		// A cluster bus port that is taken makes redis-server exit, and
		// startProbed then tries the next port.
		c.Nodes = append(c.Nodes, startProbed(tb, func(port int) []string {
			return append(append(f.serverArgs(port, dir),
				"--cluster-enabled", "yes",
				"--cluster-config-file", filepath.Join(dir, "nodes-"+strconv.Itoa(port)+".conf"),
				"--tls-cluster", "yes", "--tls-replication", "yes",
				"--masteruser", f.username, "--masterauth", f.password,
			), args...)
		}, probe))
	}

	clients := make([]*redis.Client, len(c.Nodes))
	for i, n := range c.Nodes {
		o := Options(n.Addr())
		probe(o)
		clients[i] = redis.NewClient(o)
		defer func() { _ = clients[i].Close() }()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, cl := range clients {
		if err := cl.ClusterAddSlotsRange(ctx, clusterSlots[i][0], clusterSlots[i][1]).Err(); err != nil {
			tb.Fatalf("redistest: CLUSTER ADDSLOTSRANGE %d %d on %s: %v", clusterSlots[i][0], clusterSlots[i][1], c.Nodes[i].Addr(), err)
		}
	}
	// Each master meets every other itself rather than learning of some
	// through gossip, which can take seconds more.
	for i, cl := range clients {
		for _, n := range c.Nodes[i+1:] {
			if err := cl.ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(n.port)).Err(); err != nil {
				tb.Fatalf("redistest: CLUSTER MEET 127.0.0.1 %d on %s: %v", n.port, c.Nodes[i].Addr(), err)
			}
		}
	}
	for i, cl := range clients {
		for {
			info, err := cl.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok\r\n") {
				break
			}
			if ctx.Err() != nil {
				if err == nil {
					err = errClusterState
				}
				tb.Fatalf("redistest: the Redis Cluster on %s did not form within 10s: %s: %v", strings.Join(c.Addrs(), ","), c.Nodes[i].Addr(), err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return c
}

// Addrs returns the masters' host:port addresses, the seeds a cluster
// client needs (any one of them is enough).
func (c *SecureCluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// TLS returns a client TLS configuration that trusts CAFile and presents
// the client certificate; it verifies every master, whose certificate is
// for 127.0.0.1 and localhost.
func (c *SecureCluster) TLS(tb testing.TB) *tls.Config {
	tb.Helper()
	return clientTLS(tb, c.CAFile, c.CertFile, c.KeyFile)
}

// secureFiles are the credentials and the certificate files that a
// SecureServer or the masters of a SecureCluster share with their
// clients.
type secureFiles struct {
	username, password    string
	caFile                string
	serverCert, serverKey string
	certFile, keyFile     string // the client's
}

// writeSecureFiles writes a new CA and, signed by it, a server
// certificate and a client certificate into dir, and chooses a password
// for the ACL user "gatehouse".
func writeSecureFiles(tb testing.TB, dir string) secureFiles {
	tb.Helper()
	f := secureFiles{
		username: "gatehouse", password: randomHex(tb, 16),
		caFile:     filepath.Join(dir, "ca.pem"),
		serverCert: filepath.Join(dir, "server.pem"), serverKey: filepath.Join(dir, "server-key.pem"),
		certFile: filepath.Join(dir, "client.pem"), keyFile: filepath.Join(dir, "client-key.pem"),
	}
	ca, caKey := writeCA(tb, dir)
	writeLeaf(tb, ca, caKey, "redis", f.serverCert, f.serverKey)
	writeLeaf(tb, ca, caKey, "client", f.certFile, f.keyFile)
	return f
}

// serverArgs returns the arguments of a redis-server that speaks only
// TLS on port, asks clients for a certificate, admits only the ACL user,
// persists nothing and keeps its files in dir.
func (f secureFiles) serverArgs(port int, dir string) []string {
	return []string{
		"--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--tls-cert-file", f.serverCert, "--tls-key-file", f.serverKey,
		"--tls-ca-cert-file", f.caFile, "--tls-auth-clients", "yes",
		"--user", "default", "off",
		"--user", f.username, "on", ">" + f.password, "~*", "&*", "+@all",
		"--save", "", "--appendonly", "no", "--dir", dir,
	}
}

// probe returns how a client connects to such a server: as the ACL user,
// over TLS with the client certificate.
func (f secureFiles) probe(tb testing.TB) func(*redis.Options) {
	tb.Helper()
	cfg := clientTLS(tb, f.caFile, f.certFile, f.keyFile)
	return func(o *redis.Options) {
		o.Username, o.Password, o.TLSConfig = f.username, f.password, cfg
	}
}

// clientTLS returns a client TLS configuration that trusts caFile and
// presents the certificate in certFile with the key in keyFile.
func clientTLS(tb testing.TB, caFile, certFile, keyFile string) *tls.Config {
	tb.Helper()
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		tb.Fatalf("redistest: no certificate in %s", caFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
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
