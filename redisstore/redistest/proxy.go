package redistest

import (
	"net"
	"sync"
	"testing"
)

// A Proxy forwards TCP connections from a loopback port to a Redis, and
// can be stopped and started again on the same port: a Redis outage as
// the clients see it, without touching the real server that other tests
// share. It can also stall: commands still reach Redis and run, but their
// replies are held until Resume — the ambiguous outcome of a write whose
// answer is lost (a client timeout, a dropped connection). It is safe for
// concurrent use.
type Proxy struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
	gate  chan struct{} // closed while replies flow; open while stalled
	hold  chan struct{} // closed while commands flow; open while held
}

// NewProxy starts a proxy on 127.0.0.1 to target, stopped when tb ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("redistest: proxy: %v", err)
	}
	p := &Proxy{target: target, addr: ln.Addr().String(), conns: make(map[net.Conn]struct{}), gate: make(chan struct{}), hold: make(chan struct{})}
	close(p.gate)
	close(p.hold)
	p.serve(ln)
	tb.Cleanup(p.Stop)
	return p
}

// Addr is the proxy's host:port, for the clients under test.
func (p *Proxy) Addr() string { return p.addr }

// Stall holds every reply from Redis, on every connection, until Resume;
// the commands themselves still reach Redis and run. A client waiting for
// a reply times out, not knowing whether its command ran. Stalling a
// stalled proxy does nothing.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.gate:
		p.gate = make(chan struct{})
	default:
	}
}

// Hold keeps every command from reaching Redis, on every connection,
// until Resume, which delivers them then: a client times out, and its
// command runs later — after commands sent since on other connections,
// perhaps. Holding a held proxy does nothing.
func (p *Proxy) Hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.hold:
		p.hold = make(chan struct{})
	default:
	}
}

// Resume delivers the held commands and lets the held replies through (to
// clients that gave up, they are lost), and stops stalling and holding.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, g := range []chan struct{}{p.gate, p.hold} {
		select {
		case <-g:
		default:
			close(g)
		}
	}
}

// gates returns the gates a reply and a command wait on.
func (p *Proxy) gates() (replies, commands chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gate, p.hold
}

// Stop closes the listener and every open connection: new connections
// are refused and established ones broken, as when Redis goes down; held
// replies are released into the broken connections. Stopping a stopped
// proxy does nothing.
func (p *Proxy) Stop() {
	p.Resume()
	p.mu.Lock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
	p.mu.Unlock()
	p.wg.Wait()
}

// Start listens on the proxy's address again after Stop.
func (p *Proxy) Start() error {
	p.mu.Lock()
	running := p.ln != nil
	p.mu.Unlock()
	if running {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.serve(ln)
	return nil
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.pipe(c)
			}()
		}
	}()
}

// pipe copies between c and a new connection to the target until either
// side closes or Stop breaks them.
func (p *Proxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	if !p.track(c, up) {
		_ = c.Close()
		_ = up.Close()
		return
	}
	done := make(chan struct{}, 2)
	go func() { p.copyGated(up, c, false); done <- struct{}{} }()
	go func() { p.copyGated(c, up, true); done <- struct{}{} }()
	<-done
	_ = c.Close()
	_ = up.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// track registers both ends, unless the proxy was stopped meanwhile.
func (p *Proxy) track(c, up net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return false
	}
	p.conns[c] = struct{}{}
	p.conns[up] = struct{}{}
	return true
}

// copyGated copies from src to dst like io.Copy, holding each read while
// the proxy stalls (replies) or holds (commands). Data read before src
// closed is still delivered at Resume.
func (p *Proxy) copyGated(dst, src net.Conn, replies bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			r, c := p.gates()
			if replies {
				<-r
			} else {
				<-c
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
