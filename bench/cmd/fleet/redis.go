package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A respConn is a minimal RESP2 client: enough for INFO, ECHO and MONITOR,
// so the bench module needs no Redis client library.
type respConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialRedis(addr string) (*respConn, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &respConn{c: c, r: bufio.NewReader(c)}, nil
}

func (c *respConn) close() { _ = c.c.Close() }

// send writes one command as a RESP array.
func (c *respConn) send(args ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := io.WriteString(c.c, b.String())
	return err
}

// do sends one command and reads its reply (a simple string, integer or
// bulk string, as text).
func (c *respConn) do(args ...string) (string, error) {
	if err := c.send(args...); err != nil {
		return "", err
	}
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	return c.reply()
}

func (c *respConn) reply() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("redis: empty reply line")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("redis: %s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", fmt.Errorf("redis: bad bulk length %q", line)
		}
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("redis: unexpected reply %q", line)
}

// masters returns the addresses among nodes whose INFO replication says
// role:master.
func masters(nodes []string) ([]string, error) {
	var out []string
	for _, n := range nodes {
		c, err := dialRedis(n)
		if err != nil {
			return nil, err
		}
		info, err := c.do("INFO", "replication")
		c.close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if strings.Contains(info, "role:master") {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no master among %v", nodes)
	}
	return out, nil
}

// parseCommandStats reads the calls of every command from the text of
// INFO commandstats ("cmdstat_get:calls=3,usec=…").
func parseCommandStats(info string) map[string]int64 {
	calls := make(map[string]int64)
	for line := range strings.Lines(info) {
		line = strings.TrimSpace(line)
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":")
		if !ok || !strings.HasPrefix(line, "cmdstat_") {
			continue
		}
		for field := range strings.SplitSeq(rest, ",") {
			if v, ok := strings.CutPrefix(field, "calls="); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err == nil {
					calls[name] += n
				}
			}
		}
	}
	return calls
}

// commandCalls sums INFO commandstats over the nodes.
func commandCalls(nodes []string) (map[string]int64, error) {
	total := make(map[string]int64)
	for _, n := range nodes {
		c, err := dialRedis(n)
		if err != nil {
			return nil, err
		}
		info, err := c.do("INFO", "commandstats")
		c.close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		for k, v := range parseCommandStats(info) {
			total[k] += v
		}
	}
	return total, nil
}

// bookkeeping reports whether a command is not part of serving a request:
// the bench's own INFO, ECHO and MONITOR, replication, connection set-up
// and the cluster client's slot-map reads.
func bookkeeping(cmd string) bool {
	cmd = strings.ToLower(cmd)
	base, _, _ := strings.Cut(cmd, "|")
	switch base {
	case "info", "echo", "monitor", "ping", "replconf", "psync", "sync", "hello", "client",
		"cluster", "command", "config", "readonly", "readwrite", "select", "auth", "quit":
		return true
	}
	return false
}

// epochCheck reports whether l is the local copy's health check reading an
// epoch record (once per LocalCache.HealthCheck per master), which serves
// no request.
func epochCheck(l monitorLine) bool {
	return l.cmd == "get" && strings.Contains(l.args, "epoch")
}

// requestCalls is after − before for the commands that are not bookkeeping.
func requestCalls(before, after map[string]int64) map[string]int64 {
	d := make(map[string]int64)
	for k, v := range after {
		if bookkeeping(k) {
			continue
		}
		if n := v - before[k]; n > 0 {
			d[k] = n
		}
	}
	return d
}

// A monitorLine is one line of MONITOR output: the client that sent the
// command ("lua" for a command a script ran) and the command's name.
type monitorLine struct {
	client string
	cmd    string
	args   string
}

// parseMonitorLine parses `1700000000.123456 [0 127.0.0.1:5000] "GET" "k"`.
func parseMonitorLine(s string) (monitorLine, bool) {
	open := strings.IndexByte(s, '[')
	end := strings.IndexByte(s, ']')
	if open < 0 || end < open {
		return monitorLine{}, false
	}
	_, client, ok := strings.Cut(s[open+1:end], " ")
	if !ok {
		return monitorLine{}, false
	}
	rest := strings.TrimSpace(s[end+1:])
	if len(rest) < 2 || rest[0] != '"' {
		return monitorLine{}, false
	}
	q := strings.IndexByte(rest[1:], '"')
	if q < 0 {
		return monitorLine{}, false
	}
	return monitorLine{client: client, cmd: strings.ToLower(rest[1 : q+1]), args: rest[q+2:]}, true
}

// A tally counts the top-level commands clients sent, from MONITOR
// lines: commands a script ran are not counted, bookkeeping is left out,
// and a MULTI … EXEC block (MONITOR shows MULTI, the block's commands,
// then EXEC) counts as one. MONITOR shows commands, not writes: the
// commands of one pipeline, or sent concurrently, each count, so the
// tally is not the sequential round trips (waits.go counts those).
type tally struct {
	topLevel int64
	top      map[string]int64 // top-level commands by name
	inTx     map[string]bool  // client → inside MULTI
}

func newTally() *tally {
	return &tally{top: make(map[string]int64), inTx: make(map[string]bool)}
}

func (t *tally) add(l monitorLine) {
	if l.client == "lua" || bookkeeping(l.cmd) || epochCheck(l) {
		return
	}
	if t.inTx[l.client] {
		if l.cmd == "exec" || l.cmd == "discard" {
			delete(t.inTx, l.client)
		}
		return
	}
	t.top[l.cmd]++
	if l.cmd == "multi" {
		t.inTx[l.client] = true
	}
	if l.cmd == "exec" || l.cmd == "discard" {
		return // the end of a block that began before the tally did
	}
	t.topLevel++
}

// A monitor runs MONITOR on every node and tallies the lines until stop.
type monitor struct {
	nodes  []string
	conns  []*respConn
	marker string
	wg     sync.WaitGroup
	mu     sync.Mutex
	t      *tally
	errs   []error
}

func startMonitor(nodes []string, marker string) (*monitor, error) {
	m := &monitor{nodes: nodes, marker: marker, t: newTally()}
	for _, n := range nodes {
		c, err := dialRedis(n)
		if err != nil {
			m.closeAll()
			return nil, err
		}
		m.conns = append(m.conns, c)
		if ok, err := c.do("MONITOR"); err != nil || ok != "OK" {
			m.closeAll()
			return nil, fmt.Errorf("MONITOR on %s: %q %v", n, ok, err)
		}
	}
	for _, c := range m.conns {
		m.wg.Go(func() { m.read(c) })
	}
	return m, nil
}

func (m *monitor) closeAll() {
	for _, c := range m.conns {
		c.close()
	}
}

// read tallies one node's lines until it sees the marker.
func (m *monitor) read(c *respConn) {
	_ = c.c.SetReadDeadline(time.Now().Add(10 * time.Minute))
	for {
		s, err := c.reply()
		if err != nil {
			m.mu.Lock()
			m.errs = append(m.errs, err)
			m.mu.Unlock()
			return
		}
		l, ok := parseMonitorLine(s)
		if !ok {
			continue
		}
		if l.cmd == "echo" && strings.Contains(l.args, m.marker) {
			return
		}
		m.mu.Lock()
		m.t.add(l)
		m.mu.Unlock()
	}
}

// stop sends the marker to every node (an ECHO, which each node's
// MONITOR shows after every command it ran before it) and returns the
// tally once every reader has seen it.
func (m *monitor) stop() (*tally, error) {
	defer m.closeAll()
	for _, n := range m.nodes {
		c, err := dialRedis(n)
		if err != nil {
			return nil, err
		}
		_, err = c.do("ECHO", m.marker)
		c.close()
		if err != nil {
			return nil, err
		}
	}
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return nil, errors.New("MONITOR: the marker did not come back within 10s")
	}
	if len(m.errs) > 0 {
		return nil, errors.Join(m.errs...)
	}
	return m.t, nil
}
