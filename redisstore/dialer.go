package redisstore

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// redialAfter is how long after a failed dial to a server the next dial
// to it fails at once, with the same error, instead of trying again: an
// outage costs each request a fast failure, not a wait for the network,
// and a server that is back is dialed again within this time.
const redialAfter = 20 * time.Millisecond

// A dialer dials Redis for the clients a Store builds itself (NewClient,
// NewClusterClient). A failed dial returns a connection whose every read
// and write fails with the dial's error instead of the error: go-redis's
// pool, after as many failed dials in a row as its PoolSize, stops dialing
// and probes the server only once a second, which would keep answering
// 503 for up to a second after Redis is back. The pool drops that
// connection at its first command, as any broken connection, and its
// command fails with the dial's error.
//
// With a TLS configuration, a dial includes the TLS handshake, under the
// dial's deadline: a server that does not speak TLS, or whose certificate
// does not verify, is a failed dial.
type dialer struct {
	d   net.Dialer
	tls *tls.Config // nil: plain TCP

	mu     sync.Mutex
	failed map[string]dialFailure // by address; a success removes it
}

// A dialFailure is the last failed dial to an address.
type dialFailure struct {
	at  time.Time
	err error
}

// newDialer returns a dialer whose dials last at most timeout, over TLS
// with cfg when cfg is not nil.
func newDialer(timeout time.Duration, cfg *tls.Config) *dialer {
	return &dialer{d: net.Dialer{Timeout: timeout}, tls: cfg, failed: make(map[string]dialFailure)}
}

// dial is a go-redis Options.Dialer.
func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	f, ok := d.failed[addr]
	d.mu.Unlock()
	if ok && time.Since(f.at) < redialAfter {
		return brokenConn{err: f.err, addr: addr}, nil
	}
	c, err := d.connect(ctx, network, addr)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.failed[addr] = dialFailure{at: time.Now(), err: err}
		return brokenConn{err: err, addr: addr}, nil
	}
	delete(d.failed, addr)
	return c, nil
}

// connect opens a connection to addr and, with a TLS configuration,
// completes the handshake on it, all within the dialer's timeout.
func (d *dialer) connect(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.tls == nil {
		return d.d.DialContext(ctx, network, addr)
	}
	ctx, cancel := context.WithTimeout(ctx, d.d.Timeout)
	defer cancel()
	c, err := d.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := d.tls
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = c.Close()
		return nil, handshakeError{addr: addr, err: err}
	}
	return tc, nil
}

// A handshakeError is a failed TLS handshake with addr. It says so in its
// text, and errors.Is and errors.As see err, but errors.Unwrap does not:
// go-redis unwraps one level of a connection's set-up error, which would
// drop the words that tell a certificate problem from a Redis one.
type handshakeError struct {
	addr string
	err  error
}

func (e handshakeError) Error() string   { return "TLS handshake with " + e.addr + ": " + e.err.Error() }
func (e handshakeError) Unwrap() []error { return []error{e.err} }

// A brokenConn stands for a connection that could not be made: every read
// and write fails with the dial's error.
type brokenConn struct {
	err  error
	addr string
}

func (c brokenConn) Read([]byte) (int, error)         { return 0, c.err }
func (c brokenConn) Write([]byte) (int, error)        { return 0, c.err }
func (c brokenConn) Close() error                     { return nil }
func (c brokenConn) LocalAddr() net.Addr              { return brokenAddr("") }
func (c brokenConn) RemoteAddr() net.Addr             { return brokenAddr(c.addr) }
func (c brokenConn) SetDeadline(time.Time) error      { return nil }
func (c brokenConn) SetReadDeadline(time.Time) error  { return nil }
func (c brokenConn) SetWriteDeadline(time.Time) error { return nil }

// A brokenAddr is the address a brokenConn was meant to reach.
type brokenAddr string

func (a brokenAddr) Network() string { return "tcp" }
func (a brokenAddr) String() string  { return string(a) }
