package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/docuvault/docuvault/obs"
	"github.com/docuvault/docuvault/store"
)

// Errors returned by Authenticate.
var (
	ErrNoCredentials  = errors.New("auth: no credentials")
	ErrBadCredentials = errors.New("auth: wrong username or password")
	// ErrAppPasswordRequired refuses the account password of a user with
	// 2FA: WebDAV clients cannot send a code, so they need an app password.
	ErrAppPasswordRequired = errors.New("auth: this account uses two-factor authentication; create an app password for WebDAV")
)

// ThrottledError means the caller must wait before trying again.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string { return "auth: too many failed sign-ins" }

// Users is what the authenticator needs from the store.
type Users interface {
	UserByName(ctx context.Context, username string) (store.User, error)
	AppPasswordByHash(ctx context.Context, hash string) (store.AppPassword, error)
	TouchAppPassword(ctx context.Context, id int64, when time.Time, addr string) error
}

// PasswordHasher hashes and verifies passwords; *Hasher implements it.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, encoded string) (bool, error)
}

// Basic authenticates HTTP Basic credentials. WebDAV clients send them on
// every request, so a verified account password is remembered for CacheTTL
// and Argon2 runs once per credential per TTL. The cache entry is bound to
// the user's AuthVersion, which the store bumps on password change or
// disable, so such a change takes effect on the very next request on every
// replica. App passwords are looked up by their SHA-256 on every request
// (no cache), so revoking one takes effect at once too.
//
// With Bearer set, an "Authorization: Bearer <access token>" header is
// accepted too (the web UI's file browser), with the full scope.
type Basic struct {
	Users    Users
	Hasher   PasswordHasher
	Limiter  *Limiter
	CacheTTL time.Duration
	Now      func() time.Time
	Bearer   *Bearer

	initOnce sync.Once
	key      []byte // per-process HMAC key: cache keys reveal nothing
	dummy    string // hash verified for unknown users, to keep timing flat

	mu    sync.Mutex
	cache map[[32]byte]cached
}

type cached struct {
	userID      int64
	authVersion int64
	expires     time.Time
}

const maxCached = 50_000

func (b *Basic) init() {
	b.initOnce.Do(func() {
		b.key = make([]byte, 32)
		rand.Read(b.key)
		b.cache = map[[32]byte]cached{}
		b.dummy, _ = b.Hasher.Hash(context.Background(), RandomPassword())
		if b.Now == nil {
			b.Now = time.Now
		}
		if b.CacheTTL == 0 {
			b.CacheTTL = 5 * time.Minute
		}
		if b.Limiter == nil {
			b.Limiter = NewLimiter()
		}
	})
}

func (b *Basic) cacheKey(user, pass string) [32]byte {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte(user))
	m.Write([]byte{0})
	m.Write([]byte(pass))
	var k [32]byte
	copy(k[:], m.Sum(nil))
	return k
}

// ClientAddr is the address failures are counted against: the one
// obs.Middleware resolved (X-Forwarded-For from a trusted proxy), else the
// host of r.RemoteAddr.
func ClientAddr(r *http.Request) string { return obs.ClientAddr(r) }

// touchEvery limits how often an app password's last use is written.
const touchEvery = time.Minute

// Authenticate returns the user whose Basic credentials (or, with Bearer
// set, access token) r carries and what they may do: an app password's
// scope, or the full scope for the account password or a token. It returns
// ErrNoCredentials, ErrBadCredentials (also for disabled and unknown users
// and expired app passwords), ErrBadToken, ErrAppPasswordRequired (the
// account password of a user with 2FA), *ThrottledError, or a store error.
func (b *Basic) Authenticate(r *http.Request) (store.User, Scope, error) {
	b.init()
	if tok, ok := BearerToken(r); ok {
		if b.Bearer == nil || tok == "" {
			return store.User{}, Scope{}, ErrBadToken
		}
		u, _, err := b.Bearer.Verify(r.Context(), tok)
		return u, Scope{}, err
	}
	name, pass, ok := r.BasicAuth()
	if !ok {
		return store.User{}, Scope{}, ErrNoCredentials
	}
	ctx := r.Context()
	now := b.Now()
	u, err := b.Users.UserByName(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.User{}, Scope{}, err
	}
	known := err == nil
	if known && strings.HasPrefix(pass, AppPasswordPrefix) {
		a, err := b.Users.AppPasswordByHash(ctx, HashToken(pass))
		switch {
		case err == nil && a.UserID == u.ID:
			if u.Disabled || a.Expired(now) {
				return store.User{}, Scope{}, ErrBadCredentials
			}
			addr := ClientAddr(r)
			if now.Sub(a.LastUsedAt) >= touchEvery || a.LastUsedAddr != addr {
				if err := b.Users.TouchAppPassword(ctx, a.ID, now, addr); err != nil {
					return store.User{}, Scope{}, err
				}
			}
			return u, ScopeOf(a), nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return store.User{}, Scope{}, err
		case u.TOTPEnabled:
			return store.User{}, Scope{}, ErrBadCredentials // a revoked or mistyped app password
		}
		// Not an app password of this user: judged as a password below.
	}
	if known && u.TOTPEnabled {
		// Not verified, so this answer says nothing about the password.
		return store.User{}, Scope{}, ErrAppPasswordRequired
	}
	u, err = b.password(r, name, pass, u, known, now)
	return u, Scope{}, err
}

// password checks the account password, through the cache and the limiter.
func (b *Basic) password(r *http.Request, name, pass string, u store.User, known bool, now time.Time) (store.User, error) {
	ctx := r.Context()

	key := b.cacheKey(name, pass)
	b.mu.Lock()
	c, hit := b.cache[key]
	b.mu.Unlock()
	if hit && known && now.Before(c.expires) && c.userID == u.ID && c.authVersion == u.AuthVersion && !u.Disabled {
		return u, nil
	}

	addrKey, userKey := "ip:"+ClientAddr(r), "user:"+name
	wait := max(b.Limiter.Wait(addrKey, now), b.Limiter.Wait(userKey, now))
	if wait > 0 {
		return store.User{}, &ThrottledError{RetryAfter: wait}
	}

	hash := b.dummy
	if known {
		hash = u.PasswordHash
	}
	match, err := b.Hasher.Verify(ctx, pass, hash)
	if err != nil && !errors.Is(err, ErrBadHash) {
		return store.User{}, err
	}
	if !match || !known || u.Disabled {
		b.Limiter.Fail(addrKey, now)
		b.Limiter.Fail(userKey, now)
		return store.User{}, ErrBadCredentials
	}
	b.Limiter.Succeed(userKey)
	b.Limiter.Succeed(addrKey)
	b.mu.Lock()
	if len(b.cache) >= maxCached {
		for k, e := range b.cache {
			if !now.Before(e.expires) {
				delete(b.cache, k)
			}
		}
		if len(b.cache) >= maxCached {
			clear(b.cache)
		}
	}
	b.cache[key] = cached{userID: u.ID, authVersion: u.AuthVersion, expires: now.Add(b.CacheTTL)}
	b.mu.Unlock()
	return u, nil
}
