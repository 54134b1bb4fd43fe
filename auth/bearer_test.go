package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
)

// fakeSessions is an in-memory Sessions.
type fakeSessions struct {
	users   map[int64]store.User
	revoked map[string]bool
}

func (f *fakeSessions) Revoked(_ context.Context, _ time.Time, ids ...string) (bool, error) {
	for _, id := range ids {
		if f.revoked[id] {
			return true, nil
		}
	}
	return false, nil
}

func (f *fakeSessions) UserByID(_ context.Context, id int64) (store.User, error) {
	u, ok := f.users[id]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return u, nil
}

func TestBearer(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	ann := store.User{ID: 1, Username: "ann", AuthVersion: 3}
	sessions := &fakeSessions{users: map[int64]store.User{1: ann}, revoked: map[string]bool{}}
	b := &Bearer{Tokens: newTokens(t, c), Store: sessions}
	tok, claims, err := b.Tokens.Access(ann, "family-1")
	if err != nil {
		t.Fatal(err)
	}
	verify := func() error {
		_, _, err := b.Verify(context.Background(), tok)
		return err
	}
	if u, got, err := b.Verify(context.Background(), tok); err != nil || u.ID != 1 || got.ID != claims.ID {
		t.Fatalf("Verify = %+v, %+v, %v", u, got, err)
	}

	for name, change := range map[string]func() (undo func()){
		"revoked token": func() func() {
			sessions.revoked[claims.ID] = true
			return func() { delete(sessions.revoked, claims.ID) }
		},
		"revoked session": func() func() {
			sessions.revoked["family-1"] = true
			return func() { delete(sessions.revoked, "family-1") }
		},
		"password changed": func() func() {
			sessions.users[1] = store.User{ID: 1, AuthVersion: 4}
			return func() { sessions.users[1] = ann }
		},
		"disabled": func() func() {
			sessions.users[1] = store.User{ID: 1, AuthVersion: 3, Disabled: true}
			return func() { sessions.users[1] = ann }
		},
		"deleted": func() func() { delete(sessions.users, 1); return func() { sessions.users[1] = ann } },
		"expired": func() func() {
			c.t = c.t.Add(AccessTTL + time.Second)
			return func() { c.t = c.t.Add(-AccessTTL - time.Second) }
		},
	} {
		undo := change()
		if err := verify(); !errors.Is(err, ErrBadToken) {
			t.Errorf("%s: %v, want ErrBadToken", name, err)
		}
		undo()
		if err := verify(); err != nil {
			t.Fatalf("after undoing %s: %v", name, err)
		}
	}
	t.Run("a challenge token is no access token", func(t *testing.T) {
		ch, _, _ := b.Tokens.Challenge(ann)
		if _, _, err := b.Verify(context.Background(), ch); !errors.Is(err, ErrBadToken) {
			t.Fatalf("challenge accepted: %v", err)
		}
	})
}

func TestBasicTakesBearer(t *testing.T) {
	basic, _, hasher, c := setup(t)
	ann := store.User{ID: 1, Username: "ann", AuthVersion: 1}
	tokens := newTokens(t, c)
	tok, _, err := tokens.Access(ann, "s")
	if err != nil {
		t.Fatal(err)
	}
	authenticate := func(header string) (store.User, Scope, error) {
		r := httptest.NewRequest("PROPFIND", "/dav/", nil)
		r.Header.Set("Authorization", header)
		return basic.Authenticate(r)
	}
	if _, _, err := authenticate("Bearer " + tok); !errors.Is(err, ErrBadToken) {
		t.Fatalf("without Bearer set, a token: %v", err)
	}
	basic.Bearer = &Bearer{Tokens: tokens, Store: &fakeSessions{users: map[int64]store.User{1: ann}}}
	u, scope, err := authenticate("bearer " + tok)
	if err != nil || u.ID != 1 || scope != (Scope{}) {
		t.Fatalf("a token: %+v, %+v, %v", u, scope, err)
	}
	for _, bad := range []string{"Bearer ", "Bearer not-a-jwt", "Bearer " + tok + "x"} {
		if _, _, err := authenticate(bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("%q: %v, want ErrBadToken", bad, err)
		}
	}
	if hasher.verifies.Load() != 0 {
		t.Fatal("a token ran the password hasher")
	}
}
