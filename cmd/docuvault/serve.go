package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/davfs"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
)

func logger(c *config, e env) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(c.LogLevel))
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: lvl}))
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
	return &storage.Opener{DataDir: c.DataDir, Store: st, Keys: keys, Drivers: drivers()}, nil
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
	defer st.Close()
	hasher := auth.NewHasher(auth.DefaultParams, 0)
	if err := e.firstAdmin(ctx, st, hasher); err != nil {
		return err
	}

	opener, err := e.opener(c, st)
	if err != nil {
		return err
	}
	dav := &davfs.Handler{
		Prefix:  "/dav",
		Store:   st,
		Auth:    &auth.Basic{Users: st, Hasher: hasher},
		Backend: opener.For,
		Logger:  log,
	}
	mux := http.NewServeMux()
	mux.Handle("/dav/", dav)
	mux.Handle("/dav", dav)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			dav.ServeHTTP(w, r) // clients probing the server root
			return
		}
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "DocuVault is running. Mount /dav/ with a WebDAV client.")
	})

	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stdout, "DocuVault listening on %s://%s/dav/ (database: %s)\n", scheme, ln.Addr(), st.Dialect())

	errc := make(chan error, 1)
	go func() {
		if c.TLSCert != "" {
			errc <- srv.ServeTLS(ln, c.TLSCert, c.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
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
