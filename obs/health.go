package obs

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Healthz answers 200 while the process serves HTTP at all.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintln(w, "ok")
	})
}

// Check is one dependency /readyz verifies.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Readyz answers 200 when every check passes within timeout, else 503. The
// body names each check and its outcome; a failure's detail (host names,
// paths) goes to log only, since the endpoint needs no credentials.
func Readyz(log *slog.Logger, timeout time.Duration, checks ...Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		var b strings.Builder
		status := http.StatusOK
		for _, c := range checks {
			if err := c.Fn(ctx); err != nil {
				status = http.StatusServiceUnavailable
				fmt.Fprintf(&b, "%s: unavailable\n", c.Name)
				if log != nil {
					log.WarnContext(r.Context(), "readiness check failed", "check", c.Name, "err", err)
				}
				continue
			}
			fmt.Fprintf(&b, "%s: ok\n", c.Name)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		fmt.Fprint(w, b.String())
	})
}
