// Package api serves DocuVault's JSON API under /api/v1: sign-up and
// sign-in with JWT access tokens and rotating refresh cookies, TOTP 2FA,
// app passwords for WebDAV clients, and administration. Every route is in
// routes.go and documented in openapi.json.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Config is what the API needs; Store, Hasher, SigningKey and Storage are
// required.
type Config struct {
	Store  *store.Store
	Hasher auth.PasswordHasher
	// Storage opens users' namespaces and applies storage changes.
	Storage *storage.Opener
	// SigningKey signs access tokens (see auth.SigningKey).
	SigningKey []byte
	// Limiter counts failed sign-ins per account and address; share the
	// WebDAV authenticator's so both surfaces count together. nil: a new one.
	Limiter *auth.Limiter
	// Keys seals TOTP secrets; nil: 2FA cannot be enrolled (503).
	Keys *secret.Keyring
	// DeleteUserData removes a deleted user's files; nil: only the
	// database rows are deleted.
	DeleteUserData func(ctx context.Context, u store.User) error
	Logger         *slog.Logger
	Now            func() time.Time // nil: time.Now
	Issuer         string           // shown in authenticator apps; default "DocuVault"
}

// API is the http.Handler of the JSON API.
type API struct {
	st         *store.Store
	hasher     auth.PasswordHasher
	tokens     *auth.Tokens
	bearer     *auth.Bearer
	storage    *storage.Opener
	limiter    *auth.Limiter
	keys       *secret.Keyring
	deleteData func(ctx context.Context, u store.User) error
	log        *slog.Logger
	now        func() time.Time
	issuer     string
	dummyHash  string // verified for unknown accounts, to keep timing flat

	mux      *http.ServeMux
	patterns []string // every registered route, for the OpenAPI test

	cleanupMu   sync.Mutex
	lastCleanup time.Time
}

// cleanupEvery is how often expired sessions and revocations are deleted
// (on the next sign-in or refresh after it has passed).
const cleanupEvery = time.Hour

// New builds the API. Mount it at Prefix+"/".
func New(c Config) (*API, error) {
	if c.Store == nil || c.Hasher == nil || c.Storage == nil {
		return nil, errors.New("api: Store, Hasher and Storage are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	tokens, err := auth.NewTokens(c.SigningKey, c.Now)
	if err != nil {
		return nil, err
	}
	if c.Limiter == nil {
		c.Limiter = auth.NewLimiter()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Issuer == "" {
		c.Issuer = "DocuVault"
	}
	dummy, err := c.Hasher.Hash(context.Background(), auth.RandomPassword())
	if err != nil {
		return nil, err
	}
	a := &API{
		st: c.Store, hasher: c.Hasher, tokens: tokens, bearer: &auth.Bearer{Tokens: tokens, Store: c.Store},
		storage: c.Storage, limiter: c.Limiter, keys: c.Keys,
		deleteData: c.DeleteUserData, log: c.Logger, now: c.Now, issuer: c.Issuer, dummyHash: dummy,
		mux: http.NewServeMux(),
	}
	a.routes()
	return a, nil
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	a.mux.ServeHTTP(w, r)
}

// Bearer verifies the API's access tokens; give it to auth.Basic so WebDAV
// accepts them too.
func (a *API) Bearer() *auth.Bearer { return a.bearer }

// Patterns lists the registered routes ("METHOD /api/v1/…").
func (a *API) Patterns() []string { return append([]string(nil), a.patterns...) }

// handler is an API handler; a returned error is answered by writeError.
type handler func(w http.ResponseWriter, r *http.Request) error

// userHandler is a handler for a signed-in caller.
type userHandler func(w http.ResponseWriter, r *http.Request, c *caller) error

func (a *API) handle(pattern string, h handler) {
	a.patterns = append(a.patterns, pattern)
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// public registers a route anyone may call.
func (a *API) public(pattern string, h handler) { a.handle(pattern, h) }

// user registers a route for signed-in users.
func (a *API) user(pattern string, h userHandler) {
	a.handle(pattern, func(w http.ResponseWriter, r *http.Request) error {
		c, err := a.authenticate(r)
		if err != nil {
			return err
		}
		return h(w, r, c)
	})
}

// admin registers a route for administrators.
func (a *API) admin(pattern string, h userHandler) {
	a.user(pattern, func(w http.ResponseWriter, r *http.Request, c *caller) error {
		if !c.User.IsAdmin {
			return errForbidden
		}
		return h(w, r, c)
	})
}

// notFound answers paths under the prefix that no route serves, with 405
// and Allow when the path exists for other methods.
func (a *API) notFound(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := a.mux.Handler(probe); p != "" && p != Prefix+"/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed here", r.Method)
	}
	return errorf(http.StatusNotFound, "not_found", "no such endpoint")
}

// maybeCleanup deletes expired sessions, revocations and invites at most
// once per cleanupEvery per process; every replica doing so is harmless.
func (a *API) maybeCleanup(ctx context.Context) {
	now := a.now()
	a.cleanupMu.Lock()
	due := now.Sub(a.lastCleanup) >= cleanupEvery
	if due {
		a.lastCleanup = now
	}
	a.cleanupMu.Unlock()
	if !due {
		return
	}
	if _, err := a.st.CleanupAuth(ctx, now, auth.RefreshTTL); err != nil {
		a.log.ErrorContext(ctx, "cleaning up expired sessions", "err", err)
	}
}
