package redistest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
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
// yes); and it admits only the ACL user of its Credentials (the default
// user is off).
type SecureServer struct {
	*Server
	Credentials
}

// StartSecureServer starts a SecureServer with the extra arguments args,
// as StartServer starts a Server.
func StartSecureServer(tb testing.TB, args ...string) *SecureServer {
	tb.Helper()
	dir := tb.TempDir()
	s := &SecureServer{Credentials: newCredentials(tb, dir)}
	s.Server = start(tb, func(port int) []string {
		return append(s.serverArgs(port, dir), args...)
	}, s.configure(tb))
	return s
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
	Nodes []*Server
	Credentials
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
	c := &SecureCluster{Credentials: newCredentials(tb, tb.TempDir())}
	probe := c.configure(tb)
	for range clusterSlots {
		dir := tb.TempDir()
		// A cluster bus port that is taken makes redis-server exit, and
		// start then tries the next port.
		c.Nodes = append(c.Nodes, start(tb, func(port int) []string {
			return append(append(c.serverArgs(port, dir),
				"--cluster-enabled", "yes",
				"--cluster-config-file", filepath.Join(dir, "nodes-"+strconv.Itoa(port)+".conf"),
				"--tls-cluster", "yes", "--tls-replication", "yes",
				"--masteruser", c.Username, "--masterauth", c.Password,
			), args...)
		}, probe))
	}

	clients := make([]*redis.Client, len(c.Nodes))
	for i, n := range c.Nodes {
		clients[i] = redis.NewClient(n.options())
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

// Credentials are what a client needs to reach a SecureServer or the
// masters of a SecureCluster: the ACL user's name and password, and the
// certificate files, all in the test's temporary directory.
type Credentials struct {
	Username, Password string
	// CAFile is the certificate (PEM) of the test's own CA, which signed
	// the servers' certificate and the client's.
	CAFile string
	// CertFile and KeyFile are a client certificate the servers accept
	// and its private key (PEM).
	CertFile, KeyFile string

	serverCert, serverKey string // the servers' certificate and key
}

// newCredentials writes a new CA and, signed by it, a server certificate
// and a client certificate into dir, and chooses a password for the ACL
// user "gatehouse".
func newCredentials(tb testing.TB, dir string) Credentials {
	tb.Helper()
	c := Credentials{
		Username: "gatehouse", Password: rand.Text(),
		CAFile:   filepath.Join(dir, "ca.pem"),
		CertFile: filepath.Join(dir, "client.pem"), KeyFile: filepath.Join(dir, "client-key.pem"),
		serverCert: filepath.Join(dir, "server.pem"), serverKey: filepath.Join(dir, "server-key.pem"),
	}
	ca, caKey := writeCA(tb, c.CAFile)
	writeLeaf(tb, ca, caKey, "redis", c.serverCert, c.serverKey)
	writeLeaf(tb, ca, caKey, "client", c.CertFile, c.KeyFile)
	return c
}

// TLS returns a client TLS configuration that trusts CAFile and presents
// the client certificate. It verifies the servers, whose certificate is
// for 127.0.0.1 and localhost.
func (c Credentials) TLS(tb testing.TB) *tls.Config {
	tb.Helper()
	caPEM, err := os.ReadFile(c.CAFile)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		tb.Fatalf("redistest: no certificate in %s", c.CAFile)
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		tb.Fatalf("redistest: client certificate: %v", err)
	}
	return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// serverArgs returns the arguments of a redis-server that speaks only
// TLS on port, asks clients for a certificate, admits only the ACL user,
// persists nothing and keeps its files in dir.
func (c Credentials) serverArgs(port int, dir string) []string {
	return []string{
		"--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--tls-cert-file", c.serverCert, "--tls-key-file", c.serverKey,
		"--tls-ca-cert-file", c.CAFile, "--tls-auth-clients", "yes",
		"--user", "default", "off",
		"--user", c.Username, "on", ">" + c.Password, "~*", "&*", "+@all",
		"--save", "", "--appendonly", "no", "--dir", dir,
	}
}

// configure returns how a client connects to such a server: as the ACL user,
// over TLS with the client certificate.
func (c Credentials) configure(tb testing.TB) func(*redis.Options) {
	tb.Helper()
	cfg := c.TLS(tb)
	return func(o *redis.Options) {
		o.Username, o.Password, o.TLSConfig = c.Username, c.Password, cfg
	}
}

// writeCA writes a new CA's certificate to file and returns it and its
// key.
func writeCA(tb testing.TB, file string) (*x509.Certificate, *ecdsa.PrivateKey) {
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
	writePEM(tb, file, "CERTIFICATE", der)
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
