package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// TestSignupSigninRefreshLogout walks sign-up → sign-in → refresh rotation
// → reuse detection → logout over HTTP.
func TestSignupSigninRefreshLogout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st)
		signup := req{method: "POST", path: "/auth/signup",
			body: map[string]string{"username": "alice", "password": "alice-password", "email": "Alice@Example.org"}}

		mode := func(t *testing.T) string {
			t.Helper()
			r := s.do(t, req{method: "GET", path: "/auth/signup"})
			want(t, r, http.StatusOK)
			return r.str("mode")
		}
		t.Run("sign-up is closed until an admin opens it", func(t *testing.T) {
			if m := mode(t); m != "closed" {
				t.Fatalf("mode = %q, want closed", m)
			}
			want(t, s.do(t, signup), http.StatusForbidden, "signup_closed")
			if err := st.SetSetting(t.Context(), "signup_mode", "open"); err != nil {
				t.Fatal(err)
			}
			if m := mode(t); m != "open" {
				t.Fatalf("mode after opening = %q", m)
			}
		})

		t.Run("sign-up", func(t *testing.T) {
			r := s.do(t, signup)
			want(t, r, http.StatusCreated)
			if r.str("username") != "alice" || r.str("email") != "alice@example.org" || r.json["is_admin"] != false || r.cookie != nil {
				t.Fatalf("sign-up answered %s", r.body)
			}
			want(t, s.do(t, signup), http.StatusConflict, "conflict")
		})

		var first session
		t.Run("sign-in sets a strict refresh cookie", func(t *testing.T) {
			r := s.do(t, req{method: "POST", path: "/auth/signin", body: map[string]string{"login": "alice", "password": "alice-password"}})
			want(t, r, http.StatusOK)
			c := r.cookie
			if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/v1/auth/refresh" ||
				c.MaxAge != int(auth.RefreshTTL.Seconds()) || len(c.Value) < 43 {
				t.Fatalf("refresh cookie %+v", c)
			}
			if r.str("token_type") != "Bearer" || r.json["expires_in"] != float64(900) {
				t.Fatalf("token answer %s", r.body)
			}
			first = session{access: r.str("access_token"), refresh: c.Value}
			me := s.do(t, req{method: "GET", path: "/auth/me", token: first.access})
			want(t, me, http.StatusOK)
			if me.str("username") != "alice" || me.json["two_factor_enabled"] != false {
				t.Fatalf("me: %s", me.body)
			}
			if s.signin(t, "ALICE@example.org", "alice-password").access == "" {
				t.Fatal("sign-in by e-mail")
			}
		})

		t.Run("refresh needs the CSRF header or a same-origin Origin", func(t *testing.T) {
			r := s.do(t, req{method: "POST", path: "/auth/refresh", refresh: first.refresh})
			want(t, r, http.StatusForbidden, "csrf")
			r = s.do(t, req{method: "POST", path: "/auth/refresh", refresh: first.refresh,
				header: map[string]string{"Origin": "https://evil.example", "X-Requested-With": "x"}})
			want(t, r, http.StatusForbidden, "csrf")
		})

		var second, third session
		t.Run("refresh rotates the cookie", func(t *testing.T) {
			s.clock.Add(10 * time.Minute)
			r := s.do(t, req{method: "POST", path: "/auth/refresh", refresh: first.refresh,
				header: map[string]string{"Origin": s.url}})
			want(t, r, http.StatusOK)
			second = session{access: r.str("access_token"), refresh: r.cookie.Value}
			if second.refresh == first.refresh || second.access == first.access {
				t.Fatal("refresh did not rotate")
			}
			want(t, s.do(t, req{method: "GET", path: "/auth/me", token: second.access}), http.StatusOK)
			r = s.refreshWith(t, second.refresh)
			want(t, r, http.StatusOK)
			third = session{access: r.str("access_token"), refresh: r.cookie.Value}
		})

		t.Run("reusing a rotated token revokes the whole family", func(t *testing.T) {
			r := s.refreshWith(t, first.refresh)
			want(t, r, http.StatusUnauthorized, "refresh_reused")
			if r.cookie == nil || r.cookie.MaxAge >= 0 {
				t.Errorf("the cookie was not cleared: %+v", r.cookie)
			}
			want(t, s.refreshWith(t, third.refresh), http.StatusUnauthorized, "invalid_token")
			for _, tok := range []string{first.access, second.access, third.access} {
				want(t, s.do(t, req{method: "GET", path: "/auth/me", token: tok}), http.StatusUnauthorized, "invalid_token")
			}
			events, _ := st.AuditLog(t.Context(), store.AuditFilter{})
			if !hasEvent(events, "session.refresh_reused") {
				t.Errorf("no audit entry for the reuse: %+v", events)
			}
		})

		t.Run("logout", func(t *testing.T) {
			ss := s.signin(t, "alice", "alice-password")
			r := s.do(t, req{method: "POST", path: "/auth/logout", token: ss.access})
			want(t, r, http.StatusNoContent)
			if r.cookie == nil || r.cookie.MaxAge >= 0 || r.cookie.Path != "/api/v1/auth/refresh" {
				t.Errorf("logout did not clear the cookie: %+v", r.cookie)
			}
			want(t, s.do(t, req{method: "GET", path: "/auth/me", token: ss.access}), http.StatusUnauthorized, "invalid_token")
			want(t, s.refreshWith(t, ss.refresh), http.StatusUnauthorized, "invalid_token")
		})

		t.Run("access tokens expire after 15 minutes", func(t *testing.T) {
			ss := s.signin(t, "alice", "alice-password")
			s.clock.Add(auth.AccessTTL)
			want(t, s.do(t, req{method: "GET", path: "/auth/me", token: ss.access}), http.StatusUnauthorized, "invalid_token")
			want(t, s.refreshWith(t, ss.refresh), http.StatusOK)
		})

		t.Run("refresh families expire and are cleaned up", func(t *testing.T) {
			ss := s.signin(t, "alice", "alice-password")
			s.clock.Add(auth.RefreshTTL)
			want(t, s.refreshWith(t, ss.refresh), http.StatusUnauthorized, "invalid_token")
			s.signin(t, "alice", "alice-password") // runs the hourly cleanup
			sessions, err := st.Sessions(t.Context(), mustUser(t, st, "alice").ID)
			if err != nil || len(sessions) != 1 {
				t.Fatalf("after cleanup %d sessions (%v), want only the new one", len(sessions), err)
			}
		})

		t.Run("changing the password ends every other session", func(t *testing.T) {
			here, there := s.signin(t, "alice", "alice-password"), s.signin(t, "alice", "alice-password")
			r := s.do(t, req{method: "POST", path: "/account/password", token: here.access,
				body: map[string]string{"current_password": "alice-password", "new_password": "new-alice-password"}})
			want(t, r, http.StatusOK)
			fresh := session{access: r.str("access_token"), refresh: r.cookie.Value}
			for _, tok := range []string{here.access, there.access} {
				want(t, s.do(t, req{method: "GET", path: "/auth/me", token: tok}), http.StatusUnauthorized, "invalid_token")
			}
			want(t, s.refreshWith(t, there.refresh), http.StatusUnauthorized, "invalid_token")
			want(t, s.do(t, req{method: "GET", path: "/auth/me", token: fresh.access}), http.StatusOK)
			want(t, s.refreshWith(t, fresh.refresh), http.StatusOK)
			want(t, s.do(t, req{method: "POST", path: "/auth/signin", body: map[string]string{"login": "alice", "password": "alice-password"}}),
				http.StatusUnauthorized, "bad_credentials")
			s.signin(t, "alice", "new-alice-password")
		})

		t.Run("the audit log has every sign-in and failure", func(t *testing.T) {
			want(t, s.do(t, req{method: "POST", path: "/auth/signin", body: map[string]string{"login": "nobody", "password": "x"}}),
				http.StatusUnauthorized, "bad_credentials")
			events, _ := st.AuditLog(t.Context(), store.AuditFilter{})
			for _, e := range []string{"signup", "signin", "signin.failure", "signout", "password.changed"} {
				if !hasEvent(events, e) {
					t.Errorf("no %q entry", e)
				}
			}
			for _, e := range events {
				if e.Event == "signin.failure" && e.Username == "nobody" && e.UserID == 0 && e.Addr == "127.0.0.1" {
					return
				}
			}
			t.Errorf("the failure for an unknown account is not recorded with the name and address: %+v", events)
		})
	})
}

func hasEvent(events []store.AuditEvent, name string) bool {
	for _, e := range events {
		if e.Event == name {
			return true
		}
	}
	return false
}

func mustUser(t *testing.T, st *store.Store, name string) store.User {
	t.Helper()
	u, err := st.UserByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSigninBackoff(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	s := newServer(t, st)
	s.addUser("bob", "bob-password", false)
	bad := req{method: "POST", path: "/auth/signin", body: map[string]string{"login": "bob", "password": "guess"}}
	for i := 0; i < s.limiter.Free; i++ {
		want(t, s.do(t, bad), http.StatusUnauthorized, "bad_credentials")
	}
	want(t, s.do(t, bad), http.StatusUnauthorized, "bad_credentials") // judged, and now waits
	r := s.do(t, req{method: "POST", path: "/auth/signin", body: map[string]string{"login": "bob", "password": "bob-password"}})
	want(t, r, http.StatusTooManyRequests, "too_many_requests")
	if r.header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q, want 1", r.header.Get("Retry-After"))
	}
	t.Run("the account waits on WebDAV too", func(t *testing.T) {
		dav := s.davAs(t, "bob", "bob-password", "PROPFIND", "/dav/", "", map[string]string{"Depth": "0"})
		if dav.status != http.StatusTooManyRequests {
			t.Fatalf("WebDAV during the wait: %d", dav.status)
		}
	})
	s.clock.Add(time.Second)
	s.signin(t, "bob", "bob-password")
	events, _ := st.AuditLog(t.Context(), store.AuditFilter{})
	if !hasEvent(events, "signin.throttled") {
		t.Error("throttled attempt not audited")
	}
}

func TestDisabledUserLosesSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st)
		s.addUser("root", "root-password", true)
		carl := s.addUser("carl", "carl-password", false)
		admin, ss := s.signin(t, "root", "root-password"), s.signin(t, "carl", "carl-password")
		r := s.do(t, req{method: "PATCH", path: "/admin/users/" + itoa(carl.ID), token: admin.access, body: map[string]bool{"disabled": true}})
		want(t, r, http.StatusOK)
		want(t, s.do(t, req{method: "GET", path: "/auth/me", token: ss.access}), http.StatusUnauthorized, "invalid_token")
		want(t, s.refreshWith(t, ss.refresh), http.StatusUnauthorized, "invalid_token")
		want(t, s.do(t, req{method: "POST", path: "/auth/signin", body: map[string]string{"login": "carl", "password": "carl-password"}}),
			http.StatusUnauthorized, "bad_credentials")
		if ss, _ := st.Sessions(t.Context(), carl.ID); len(ss) != 0 {
			t.Fatalf("sessions of a disabled user: %+v", ss)
		}
	})
}
