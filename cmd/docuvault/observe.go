package main

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/obs"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
)

// observe counts the storage failures of every user's namespace by driver
// (remote drivers by kind; what is left is local disk) and exposes the
// number of active WebDAV locks. It returns the Backend for davfs.
func observe(m *obs.Metrics, opener *storage.Opener, st *store.Store) func(ctx context.Context, u store.User) (backends.Backend, error) {
	for kind, open := range opener.Drivers {
		opener.Drivers[kind] = obs.WrapOpener(m, kind, open)
	}
	m.GaugeFunc("docuvault_webdav_active_locks", "Unexpired WebDAV locks of all users (shared by every replica).",
		10*time.Second, func(ctx context.Context) (float64, error) { return activeLocks(ctx, st) })
	return func(ctx context.Context, u store.User) (backends.Backend, error) {
		b, err := opener.For(ctx, u)
		if err != nil {
			return nil, err
		}
		return m.Backend(storage.Local, b), nil
	}
}

// activeLocks counts the unexpired locks in the database.
func activeLocks(ctx context.Context, st *store.Store) (float64, error) {
	n, err := st.CountLocks(ctx, time.Now())
	return float64(n), err
}

// readiness lists what /readyz checks: the database answers, and the data
// directory (local storage, the dev certificate) takes a write. Remote
// storages are per user: one that is down answers 503 for its user and
// shows in docuvault_backend_errors_total, but must not take the whole
// replica out of rotation.
func readiness(c *config, st *store.Store) []obs.Check {
	return []obs.Check{
		{Name: "database", Fn: st.Ping},
		{Name: "storage", Fn: func(context.Context) error {
			f, err := os.CreateTemp(c.DataDir, ".readyz-*")
			if err != nil {
				return err
			}
			f.Close()
			return os.Remove(f.Name())
		}},
	}
}

// quiet marks requests that are logged at debug level only.
func quiet(r *http.Request) bool {
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}
