package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
)

// fakeUsers is an in-memory Users.
type fakeUsers map[string]store.User

func (f fakeUsers) UserByName(_ context.Context, name string) (store.User, error) {
	u, ok := f[name]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return u, nil
}

func (f fakeUsers) AppPasswordByHash(context.Context, string) (store.AppPassword, error) {
	return store.AppPassword{}, store.ErrNotFound
}

func (f fakeUsers) TouchAppPassword(context.Context, int64, time.Time, string) error { return nil }

// countingHasher counts password verifications.
type countingHasher struct {
	*Hasher
	verifies atomic.Int64
}

func (c *countingHasher) Verify(ctx context.Context, pw, enc string) (bool, error) {
	c.verifies.Add(1)
	return c.Hasher.Verify(ctx, pw, enc)
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*Basic, fakeUsers, *countingHasher, *clock) {
	t.Helper()
	h := &countingHasher{Hasher: NewHasher(cheap, 0)}
	enc, err := h.Hash(context.Background(), "secret")
	if err != nil {
		t.Fatal(err)
	}
	users := fakeUsers{"ann": {ID: 1, Username: "ann", PasswordHash: enc, AuthVersion: 1}}
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := &Basic{Users: users, Hasher: h, Now: c.now}
	b.init()
	h.verifies.Store(0)
	return b, users, h, c
}

func auth(b *Basic, user, pass, addr string) (store.User, error) {
	r := httptest.NewRequest("PROPFIND", "/dav/", nil)
	r.RemoteAddr = addr + ":4000"
	if user != "" {
		r.SetBasicAuth(user, pass)
	}
	u, scope, err := b.Authenticate(r)
	if err == nil && scope != (Scope{}) {
		return u, fmt.Errorf("account password got scope %+v", scope)
	}
	return u, err
}

func TestBasicCachesVerifiedCredentials(t *testing.T) {
	b, users, h, c := setup(t)
	for i := 0; i < 50; i++ {
		u, err := auth(b, "ann", "secret", "10.0.0.1")
		if err != nil || u.ID != 1 {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n := h.verifies.Load(); n != 1 {
		t.Fatalf("50 requests ran Argon2 %d times, want 1", n)
	}

	t.Run("expires after the TTL", func(t *testing.T) {
		c.t = c.t.Add(b.CacheTTL + time.Second)
		auth(b, "ann", "secret", "10.0.0.1")
		if n := h.verifies.Load(); n != 2 {
			t.Fatalf("verifies after TTL = %d, want 2", n)
		}
	})
	t.Run("a wrong password is never served from the cache", func(t *testing.T) {
		if _, err := auth(b, "ann", "Secret", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
	})
	t.Run("password change invalidates at once", func(t *testing.T) {
		u := users["ann"]
		enc, _ := h.Hash(context.Background(), "new-secret")
		u.PasswordHash, u.AuthVersion = enc, u.AuthVersion+1
		users["ann"] = u
		if _, err := auth(b, "ann", "secret", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("old password after change: %v", err)
		}
		if _, err := auth(b, "ann", "new-secret", "10.0.0.1"); err != nil {
			t.Fatalf("new password: %v", err)
		}
	})
	t.Run("disable invalidates at once", func(t *testing.T) {
		u := users["ann"]
		u.Disabled, u.AuthVersion = true, u.AuthVersion+1
		users["ann"] = u
		if _, err := auth(b, "ann", "new-secret", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("disabled user: %v", err)
		}
	})
}

func TestBasicErrors(t *testing.T) {
	b, _, h, _ := setup(t)
	if _, err := auth(b, "", "", "10.0.0.1"); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("no credentials: %v", err)
	}
	if _, err := auth(b, "nobody", "secret", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	if n := h.verifies.Load(); n != 1 {
		t.Fatalf("unknown user ran %d hashes, want 1 (same work as a known user)", n)
	}
}

func TestBasicBackoff(t *testing.T) {
	b, _, _, c := setup(t)
	for i := 0; i < b.Limiter.Free; i++ {
		if _, err := auth(b, "ann", "guess", "10.0.0.2"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	_, err := auth(b, "ann", "guess", "10.0.0.2")
	if !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("failure past the free ones is still judged: %v", err)
	}
	var te *ThrottledError
	if _, err := auth(b, "ann", "secret", "10.0.0.2"); !errors.As(err, &te) || te.RetryAfter <= 0 {
		t.Fatalf("after %d failures: %v, want ThrottledError", b.Limiter.Free+1, err)
	}
	t.Run("per user, from another address", func(t *testing.T) {
		if _, err := auth(b, "ann", "secret", "10.9.9.9"); !errors.As(err, &te) {
			t.Fatalf("other address, throttled user: %v", err)
		}
	})
	t.Run("per address, for another user", func(t *testing.T) {
		if _, err := auth(b, "bob", "x", "10.0.0.2"); !errors.As(err, &te) {
			t.Fatalf("throttled address, other user: %v", err)
		}
	})
	t.Run("waits grow and end", func(t *testing.T) {
		c.t = c.t.Add(te.RetryAfter)
		if _, err := auth(b, "ann", "guess", "10.0.0.2"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("after the wait: %v", err)
		}
		var te2 *ThrottledError
		if _, err := auth(b, "ann", "secret", "10.0.0.2"); !errors.As(err, &te2) || te2.RetryAfter <= te.RetryAfter {
			t.Fatalf("second wait %v not longer than first %v", te2, te.RetryAfter)
		}
		c.t = c.t.Add(te2.RetryAfter)
		if _, err := auth(b, "ann", "secret", "10.0.0.2"); err != nil {
			t.Fatalf("right password after the wait: %v", err)
		}
		if _, err := auth(b, "ann", "guess", "10.0.0.2"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("success clears the count: %v", err)
		}
	})
}

func TestBasicCachedClientSurvivesAttack(t *testing.T) {
	b, _, _, _ := setup(t)
	if _, err := auth(b, "ann", "secret", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		auth(b, "ann", "guess", "10.6.6.6")
	}
	if _, err := auth(b, "ann", "secret", "10.0.0.1"); err != nil {
		t.Fatalf("an attacker locked out the real client: %v", err)
	}
}

func TestLimiterMax(t *testing.T) {
	l := NewLimiter()
	now := time.Unix(0, 0)
	for i := 0; i < 100; i++ {
		l.Fail("k", now)
	}
	if w := l.Wait("k", now); w != l.Max {
		t.Fatalf("wait after 100 failures = %v, want the cap %v", w, l.Max)
	}
	if w := l.Wait("other", now); w != 0 {
		t.Fatalf("untouched key waits %v", w)
	}
}
