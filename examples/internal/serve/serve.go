// Package serve runs the example servers: an http.Server with sensible
// timeouts on a listener the caller opened (so it can print the real
// address first), until the context ends or SIGINT/SIGTERM arrives, then a
// graceful shutdown. [Serve] speaks plain HTTP; [ServeTLS] HTTPS with TLS
// 1.2 or higher, configured by [LoadTLS] or the -tls-cert/-tls-key flags of
// [AddTLSFlags].
package serve

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Serve serves h on ln until ctx is done or the process gets SIGINT or
// SIGTERM, then shuts down, giving in-flight requests shutdownGrace. It
// returns the server's error, or the shutdown's (nil after a clean stop).
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	return serve(ctx, ln, h, nil)
}

// shutdownGrace is how long a shutdown waits for in-flight requests. It
// is longer than the 5 seconds http.Server.Shutdown waits before closing
// a connection that was opened but never sent a request (a client's
// spare connection), so that such a connection never turns a clean stop
// into a timeout.
const shutdownGrace = 10 * time.Second

// serve is Serve, over TLS with tlsCfg when it is not nil.
func serve(ctx context.Context, ln net.Listener, h http.Handler, tlsCfg *tls.Config) error {
	hs := &http.Server{
		TLSConfig:         tlsCfg,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			errc <- hs.ServeTLS(ln, "", "") // the certificates are in tlsCfg
			return
		}
		errc <- hs.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		return hs.Shutdown(shutdown)
	}
}
