package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/docuvault/docuvault/obs"
)

// abortGrace bounds the wait for aborted requests to return once the
// shutdown timeout has passed.
const abortGrace = 10 * time.Second

// listenAndServe serves h on --listen (HTTPS with --tls-cert or --dev-tls)
// and the metrics on --metrics-listen until ctx is done, then shuts down:
// the listeners close at once, running requests get --shutdown-timeout to
// finish, and those still running are then aborted (their request contexts
// cancelled, so an upload is discarded whole) and awaited. The caller closes
// the database after it returns.
func (e env) listenAndServe(ctx context.Context, c *config, log *slog.Logger, m *obs.Metrics, database string, h http.Handler) error {
	if c.devTLS {
		cert, key, fp, created, err := devCertificate(c.DataDir, c.Listen, time.Now())
		if err != nil {
			return fmt.Errorf("--dev-tls: %w", err)
		}
		c.TLSCert, c.TLSKey = cert, key
		verb := "Using"
		if created {
			verb = "Created"
		}
		fmt.Fprintf(e.stdout, "%s a self-signed development certificate %s\n(SHA-256 %s; clients must be told to trust it)\n", verb, cert, fp)
	}

	var running requests
	mw := &obs.Middleware{Log: log, Metrics: m, Quiet: quiet, TrustedProxies: c.trustedProxies}
	base, abort := context.WithCancel(context.Background())
	defer abort()
	srv := &http.Server{
		Handler:           mw.Wrap(running.track(h)),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	defer ln.Close()

	errc := make(chan error, 2)
	var msrv *http.Server
	if c.MetricsListen != "" {
		mln, err := net.Listen("tcp", c.MetricsListen)
		if err != nil {
			return fmt.Errorf("listen on %s (--metrics-listen): %w", c.MetricsListen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: srv.ErrorLog}
		fmt.Fprintf(e.stdout, "Metrics on http://%s/metrics\n", mln.Addr())
		go func() { errc <- msrv.Serve(mln) }()
		defer msrv.Close()
	}

	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stdout, "DocuVault listening on %s://%s/dav/ (database: %s)\n", scheme, ln.Addr(), database)
	go func() {
		if c.TLSCert != "" {
			errc <- srv.ServeTLS(ln, c.TLSCert, c.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		srv.Close()
		return err
	case <-ctx.Done():
	}

	log.Info("shutting down: refusing new connections, letting running requests finish",
		"requests", running.n.Load(), "timeout", c.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown timeout reached: aborting the requests still running", "requests", running.n.Load())
		abort()
		srv.Close()
		if !running.wait(abortGrace) {
			log.Error("requests still running after the abort", "requests", running.n.Load())
		}
		err = nil
	}
	if msrv != nil {
		msrv.Close()
	}
	return err
}

// requests counts the handlers running, for the wait after an abort
// (Server.Close does not wait for them).
type requests struct{ n atomic.Int64 }

func (rs *requests) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.n.Add(1)
		defer rs.n.Add(-1)
		h.ServeHTTP(w, r)
	})
}

// wait polls until no handler runs or d has passed.
func (rs *requests) wait(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for rs.n.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
