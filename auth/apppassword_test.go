package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func TestBasicAppPasswords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		h := &countingHasher{Hasher: NewHasher(cheap, 0)}
		enc, _ := h.Hash(ctx, "account-pw")
		ann, err := st.CreateUser(ctx, "ann", enc, false)
		if err != nil {
			t.Fatal(err)
		}
		bob, _ := st.CreateUser(ctx, "bob", enc, false)
		c := &clock{t: time.Unix(1_800_000_000, 0)}
		b := &Basic{Users: st, Hasher: h, Now: c.now}
		b.init()
		h.verifies.Store(0)
		create := func(u store.User, a store.AppPassword) (string, store.AppPassword) {
			t.Helper()
			secret := NewAppPassword()
			a.UserID, a.CreatedAt = u.ID, c.t
			a, err := st.CreateAppPassword(ctx, a, HashToken(secret))
			if err != nil {
				t.Fatal(err)
			}
			return secret, a
		}
		try := func(user, pass string) (store.User, Scope, error) {
			r := reqFrom(user, pass, "10.0.0.1")
			return b.Authenticate(r)
		}

		roSecret, ro := create(ann, store.AppPassword{Name: "reader", ReadOnly: true, PathPrefix: "/Docs"})
		t.Run("an app password signs in with its scope and no Argon2", func(t *testing.T) {
			u, scope, err := try("ann", roSecret)
			if err != nil || u.ID != ann.ID {
				t.Fatalf("Authenticate = %+v, %v", u, err)
			}
			if scope != (Scope{AppPassword: ro.ID, ReadOnly: true, Prefix: "/Docs"}) {
				t.Fatalf("scope %+v", scope)
			}
			if n := h.verifies.Load(); n != 0 {
				t.Fatalf("ran Argon2 %d times", n)
			}
			got, _ := st.AppPasswordByHash(ctx, HashToken(roSecret))
			if !got.LastUsedAt.Equal(c.t) || got.LastUsedAddr != "10.0.0.1" {
				t.Fatalf("last use not recorded: %+v", got)
			}
		})
		t.Run("last use is written at most once a minute per address", func(t *testing.T) {
			first := c.t
			c.t = c.t.Add(30 * time.Second)
			try("ann", roSecret)
			if got, _ := st.AppPasswordByHash(ctx, HashToken(roSecret)); !got.LastUsedAt.Equal(first) {
				t.Fatalf("written again after 30s: %+v", got)
			}
			c.t = c.t.Add(30 * time.Second)
			try("ann", roSecret)
			if got, _ := st.AppPasswordByHash(ctx, HashToken(roSecret)); !got.LastUsedAt.Equal(c.t) {
				t.Fatalf("not written after a minute: %+v", got)
			}
		})
		t.Run("only for its own user", func(t *testing.T) {
			if _, _, err := try("bob", roSecret); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("ann's app password as bob: %v", err)
			}
			if _, _, err := try("ann", roSecret+"x"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("a wrong app password: %v", err)
			}
		})
		t.Run("an expired one is refused", func(t *testing.T) {
			s, _ := create(ann, store.AppPassword{Name: "short", ExpiresAt: c.t.Add(time.Hour)})
			if _, _, err := try("ann", s); err != nil {
				t.Fatal(err)
			}
			c.t = c.t.Add(time.Hour)
			if _, _, err := try("ann", s); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("expired: %v", err)
			}
		})
		t.Run("revoking takes effect at once", func(t *testing.T) {
			s, a := create(bob, store.AppPassword{Name: "tmp"})
			if _, _, err := try("bob", s); err != nil {
				t.Fatal(err)
			}
			if err := st.DeleteAppPassword(ctx, bob.ID, a.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := try("bob", s); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("revoked: %v", err)
			}
		})
		t.Run("an account password that looks like an app password", func(t *testing.T) {
			odd := AppPasswordPrefix + "but-really-my-password"
			enc, _ := h.Hash(ctx, odd)
			u, _ := st.CreateUser(ctx, "odd", enc, false)
			if got, scope, err := try("odd", odd); err != nil || got.ID != u.ID || scope != (Scope{}) {
				t.Fatalf("Authenticate = %+v %+v %v", got, scope, err)
			}
		})
		t.Run("with 2FA only app passwords", func(t *testing.T) {
			fullSecret, _ := create(ann, store.AppPassword{Name: "full"})
			if _, _, err := try("ann", "account-pw"); err != nil { // now cached
				t.Fatal(err)
			}
			if err := st.PutPendingTOTP(ctx, ann.ID, "sealed", c.t); err != nil {
				t.Fatal(err)
			}
			if err := st.EnableTOTP(ctx, ann.ID, 1, nil); err != nil {
				t.Fatal(err)
			}
			for _, pw := range []string{"account-pw", "wrong"} {
				if _, _, err := try("ann", pw); !errors.Is(err, ErrAppPasswordRequired) {
					t.Fatalf("password %q with 2FA on: %v", pw, err)
				}
			}
			if _, scope, err := try("ann", fullSecret); err != nil || scope.AppPassword == 0 || scope.ReadOnly {
				t.Fatalf("app password with 2FA on: %+v %v", scope, err)
			}
			if _, _, err := try("ann", AppPasswordPrefix+"revoked-or-mistyped"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("an unknown app password with 2FA on: %v", err)
			}
		})
		t.Run("disabling stops app passwords at once", func(t *testing.T) {
			if err := st.SetDisabled(ctx, ann.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, _, err := try("ann", roSecret); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("disabled user's app password: %v", err)
			}
		})
	})
}

func reqFrom(user, pass, addr string) *http.Request {
	r := httptest.NewRequest("PROPFIND", "/dav/", nil)
	r.RemoteAddr = addr + ":4000"
	r.SetBasicAuth(user, pass)
	return r
}
