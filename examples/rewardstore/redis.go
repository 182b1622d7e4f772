package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
	"github.com/gatehouse-go/gatehouse/redisstore"
)

// redisPrefix namespaces the reward store's keys in a shared Redis.
const redisPrefix = "rewardstore:"

// useRedis points cfg's shared state — refresh families, revocations, IP
// whitelists and the failed-login counters — at the Redis at addr, under keys starting with prefix, so that
// several instances behind a load balancer act as one. It checks that
// Redis answers (failing start-up otherwise) and returns the function that
// closes the connection. Accounts stay in each instance's memory: every
// instance is started with the same ones.
func useRedis(cfg *server.Config, addr, prefix string) (closeFn func() error, err error) {
	s, err := redisstore.New(redisstore.Config{Addr: addr, Prefix: prefix})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("redis at %s: %w", addr, err)
	}
	cfg.Refresh = s.Refresh()
	cfg.Revocations = s.Revocations()
	cfg.Lists = s.Lists()
	cfg.Failures = s.Failures()
	return s.Close, nil
}
