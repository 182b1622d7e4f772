package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// epochCheck reads, for the local copy, the epoch records its answers
// depend on (see [Store.Establish]), so that a loss of data that leaves the
// subscriptions up (FLUSHALL, FLUSHDB, a master replaced by an empty one)
// drops the copy. On a single Redis it reads the one record; on a cluster
// the record of one hash slot of every master, since a master that loses
// its data loses the records of all its slots. It remembers the values it
// read, so that a record written anew (a loss, then Establish) shows as
// changed.
//
// On a single Redis it also reads, in the same pipeline, the address the
// server answers on (CLIENT INFO's laddr), and fails once that is not the
// address of its first read: the client now reaches another server (a
// Sentinel failover, a primary endpoint that moved), while the
// subscription, which the client does not move, may still be on the old
// one and miss the new primary's invalidations.
type epochCheck struct {
	reads  []epochRead
	single bool   // one Redis (or Sentinel): reads[0], with server
	server string // the laddr of the first read; "" before it
}

// epochRead is one record an epochCheck reads.
type epochRead struct {
	node redis.Cmdable // the node (or client) the record is read from
	key  string
	seen string // the value at the last check; "" for none yet, or missing
}

// epochState is what a check found.
type epochState int

const (
	epochsSame    epochState = iota // every record is there, as at the last check
	epochsChanged                   // every record is there, one of them new
	epochsMissing                   // a record is missing
)

// errNoOwnSlot reports a master whose CLUSTER NODES reply names no hash
// slot it serves.
var errNoOwnSlot = errors.New("redisstore: cluster master serves no stable hash slot")

// newEpochCheck returns the check of the records under prefix: the
// "epoch" record through client on a single Redis; on a cluster (nodes
// holding every master's client), for each master, the record of a slot
// that the master says it serves (CLUSTER NODES, one command per master,
// sent at once), read from that master directly, so that a slot that moved
// since fails the check rather than reading another master's record.
func newEpochCheck(ctx context.Context, client redis.UniversalClient, prefix string, nodes map[string]redis.UniversalClient) (*epochCheck, error) {
	if _, ok := client.(*redis.ClusterClient); !ok {
		return &epochCheck{reads: []epochRead{{node: client, key: prefix + "epoch"}}, single: true}, nil
	}
	ec := &epochCheck{reads: make([]epochRead, 0, len(nodes))}
	for _, node := range nodes {
		ec.reads = append(ec.reads, epochRead{node: node})
	}
	errs := make([]error, len(ec.reads))
	var wg sync.WaitGroup
	for i := range ec.reads {
		wg.Go(func() {
			r := &ec.reads[i]
			reply, err := r.node.ClusterNodes(ctx).Result()
			if err == nil {
				slot, ok := ownSlot(reply)
				if !ok {
					err = errNoOwnSlot
				}
				r.key = epochSlotKey(prefix, slot)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ec, nil
}

// errServerChanged ends a round on a single Redis whose client now
// reaches another server than at the round's first check.
var errServerChanged = errors.New("redisstore: the client reaches another Redis server than when the local copy subscribed")

// read reads every record, at once, and reports what it found; a record
// that cannot be read (Redis unreachable, a slot that moved) is an error,
// and so is, on a single Redis, a server other than at the first read.
func (ec *epochCheck) read(ctx context.Context) (epochState, error) {
	vals := make([]string, len(ec.reads))
	errs := make([]error, len(ec.reads))
	if ec.single {
		r := ec.reads[0]
		var get *redis.StringCmd
		var info *redis.ClientInfoCmd
		_, _ = r.node.Pipelined(ctx, func(p redis.Pipeliner) error {
			get = p.Get(ctx, r.key)
			info = p.ClientInfo(ctx)
			return nil
		}) // each command carries its own error
		ci, err := info.Result()
		if err != nil {
			return 0, err
		}
		switch {
		case ec.server == "":
			ec.server = ci.LAddr
		case ci.LAddr != ec.server:
			return 0, fmt.Errorf("%w: %s, now %s", errServerChanged, ec.server, ci.LAddr)
		}
		vals[0], errs[0] = get.Result()
	} else if len(ec.reads) == 1 {
		vals[0], errs[0] = ec.reads[0].node.Get(ctx, ec.reads[0].key).Result()
	} else {
		var wg sync.WaitGroup
		for i, r := range ec.reads {
			wg.Go(func() { vals[i], errs[i] = r.node.Get(ctx, r.key).Result() })
		}
		wg.Wait()
	}
	state := epochsSame
	for i, err := range errs {
		switch {
		case errors.Is(err, redis.Nil):
			ec.reads[i].seen = ""
			state = epochsMissing
		case err != nil:
			return 0, err
		case vals[i] != ec.reads[i].seen:
			ec.reads[i].seen = vals[i]
			if state == epochsSame {
				state = epochsChanged
			}
		}
	}
	return state, nil
}

// ownSlot returns a hash slot that the node whose CLUSTER NODES reply is
// nodes serves (the slots of its "myself" line) and is neither migrating
// nor importing.
func ownSlot(nodes string) (int, bool) {
	for line := range strings.Lines(nodes) {
		f := strings.Fields(line)
		if len(f) < 8 || !strings.Contains(","+f[2]+",", ",myself,") {
			continue
		}
		var moving []int
		for _, s := range f[8:] {
			if inner, ok := strings.CutPrefix(s, "["); ok {
				n, _, _ := strings.Cut(inner, "-")
				if slot, err := strconv.Atoi(n); err == nil {
					moving = append(moving, slot)
				}
			}
		}
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") {
				continue
			}
			lo, hi, isRange := strings.Cut(s, "-")
			if !isRange {
				hi = lo
			}
			first, err1 := strconv.Atoi(lo)
			last, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil || first < 0 || last >= slotCount {
				continue
			}
			for slot := first; slot <= last; slot++ {
				if !slices.Contains(moving, slot) {
					return slot, true
				}
			}
		}
		return 0, false
	}
	return 0, false
}
