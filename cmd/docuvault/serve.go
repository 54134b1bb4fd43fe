package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/docuvault/docuvault/api"
	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/davfs"
	"github.com/docuvault/docuvault/obs"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/ui"
)

// logger writes --log-format lines at --log-level to stderr, each with the
// request id of the request it was written for.
func logger(c *config, e env) *slog.Logger {
	log, err := obs.NewLogger(e.stderr, c.LogFormat, c.LogLevel)
	if err != nil { // validate has checked both
		panic(err)
	}
	return log
}

// openDB opens the configured database; a failure names the setting.
func openDB(ctx context.Context, c *config) (*store.Store, error) {
	st, err := store.Open(ctx, c.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database from --database-url ($DOCUVAULT_DATABASE_URL) or --data: %w", err)
	}
	return st, nil
}

// openStore opens and migrates the configured database.
func openStore(ctx context.Context, c *config) (*store.Store, error) {
	st, err := openDB(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// opener builds the storage opener shared by serve and the storage commands.
func (e env) opener(c *config, st *store.Store) (*storage.Opener, error) {
	keys, err := secret.FromEnv(e.getenv)
	if err != nil {
		return nil, err
	}
	return &storage.Opener{DataDir: c.DataDir, Store: st, Keys: keys, Drivers: drivers(c), OAuth: c.oauthProviders()}, nil
}

func (e env) serve(ctx context.Context, args []string) error {
	c, pos, err := e.flags("serve", args, nil)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("serve: unexpected argument %q (the address goes in --listen)", pos[0])
	}
	log := logger(c, e)
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer func() {
		st.Close()
		log.Info("database closed")
	}()
	hasher := auth.NewHasher(auth.DefaultParams, 0)
	if err := e.firstAdmin(ctx, st, hasher); err != nil {
		return err
	}

	opener, err := e.opener(c, st)
	if err != nil {
		return err
	}
	metrics := obs.NewMetrics()
	dav := &davfs.Handler{
		Prefix:  "/dav",
		Store:   st,
		Auth:    &auth.Basic{Users: st, Hasher: hasher},
		Backend: observe(metrics, opener, st), // opener.For, with failures counted
		Logger:  log,
	}
	apiHandler, err := e.apiHandler(c, st, hasher, dav.Auth, opener, log)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/dav/", dav)
	mux.Handle("/dav", dav)
	mux.Handle(api.Prefix+"/", apiHandler)
	webUI := ui.Handler(ui.Dist())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			dav.ServeHTTP(w, r) // clients probing the server root
			return
		}
		webUI.ServeHTTP(w, r) // the web interface, with its routes' fallback
	})
	mux.Handle("GET /healthz", obs.Healthz())
	mux.Handle("GET /readyz", obs.Readyz(log, 5*time.Second, readiness(c, st)...))
	if c.MetricsListen == "" {
		mux.Handle("GET /metrics", metrics.Handler())
	}

	return e.listenAndServe(ctx, c, log, metrics, string(st.Dialect()), mux)
}

// firstAdmin creates the "admin" account on a database with no users and
// prints its password once.
func (e env) firstAdmin(ctx context.Context, st *store.Store, h *auth.Hasher) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw := auth.RandomPassword()
	hash, err := h.Hash(ctx, pw)
	if err != nil {
		return err
	}
	if _, err := st.CreateUser(ctx, "admin", hash, true); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil // another replica created it first
		}
		return err
	}
	fmt.Fprintf(e.stdout, "Created the first user \"admin\" with password %s\n"+
		"(shown only now; change it with: docuvault user passwd admin)\n", pw)
	return nil
}
