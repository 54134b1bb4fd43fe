package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/docuvault/docuvault/store"
)

// Errors returned by Authenticate.
var (
	ErrNoCredentials  = errors.New("auth: no credentials")
	ErrBadCredentials = errors.New("auth: wrong username or password")
)

// ThrottledError means the caller must wait before trying again.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string { return "auth: too many failed sign-ins" }

// Users is what the authenticator needs from the store.
type Users interface {
	UserByName(ctx context.Context, username string) (store.User, error)
}

// PasswordHasher hashes and verifies passwords; *Hasher implements it.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, encoded string) (bool, error)
}

// Basic authenticates HTTP Basic credentials. WebDAV clients send them on
// every request, so a verified credential is remembered for CacheTTL and
// Argon2 runs once per credential per TTL. The cache entry is bound to the
// user's AuthVersion, which the store bumps on password change or disable,
// so such a change takes effect on the very next request on every replica.
type Basic struct {
	Users    Users
	Hasher   PasswordHasher
	Limiter  *Limiter
	CacheTTL time.Duration
	Now      func() time.Time

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

// ClientAddr is the address failures are counted against.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Authenticate returns the user whose Basic credentials r carries. It
// returns ErrNoCredentials, ErrBadCredentials (also for disabled and unknown
// users), *ThrottledError, or a store error.
func (b *Basic) Authenticate(r *http.Request) (store.User, error) {
	b.init()
	name, pass, ok := r.BasicAuth()
	if !ok {
		return store.User{}, ErrNoCredentials
	}
	ctx := r.Context()
	now := b.Now()
	u, err := b.Users.UserByName(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.User{}, err
	}
	known := err == nil

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
