package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// TestAppPasswords walks create → WebDAV with it → read-only refused on
// PUT → revoke → refused over HTTP, and 2FA restricting WebDAV to app
// passwords.
func TestAppPasswords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st)
		s.addUser("finn", "finn-password", false)
		s.addUser("gail", "gail-password", false)
		ss := s.signin(t, "finn", "finn-password")
		create := func(body map[string]any) reply {
			t.Helper()
			return s.do(t, req{method: "POST", path: "/account/app-passwords", token: ss.access, body: body})
		}
		depth0 := map[string]string{"Depth": "0"}

		var rw, ro string
		var roID float64
		t.Run("create shows the secret once", func(t *testing.T) {
			r := create(map[string]any{"name": "laptop"})
			want(t, r, http.StatusCreated)
			rw = r.str("password")
			ap := r.json["app_password"].(map[string]any)
			if !strings.HasPrefix(rw, "dvap_") || r.str("username") != "finn" || ap["read_only"] != false || ap["path_prefix"] != "/" || ap["expires_at"] != nil {
				t.Fatalf("created %s", r.body)
			}
			r = create(map[string]any{"name": "reader", "read_only": true})
			want(t, r, http.StatusCreated)
			ro = r.str("password")
			roID = r.json["app_password"].(map[string]any)["id"].(float64)
		})

		t.Run("WebDAV accepts it", func(t *testing.T) {
			if r := s.davAs(t, "finn", rw, "PUT", "/dav/notes.txt", "v1", nil); r.status != http.StatusCreated {
				t.Fatalf("PUT with the app password: %d %s", r.status, r.body)
			}
			if r := s.davAs(t, "finn", ro, "GET", "/dav/notes.txt", "", nil); r.status != http.StatusOK || string(r.body) != "v1" {
				t.Fatalf("GET with the read-only one: %d %s", r.status, r.body)
			}
			if r := s.davAs(t, "gail", rw, "PROPFIND", "/dav/", "", depth0); r.status != http.StatusUnauthorized {
				t.Fatalf("finn's app password as gail: %d", r.status)
			}
		})

		t.Run("read-only is refused on PUT", func(t *testing.T) {
			if r := s.davAs(t, "finn", ro, "PUT", "/dav/notes.txt", "v2", nil); r.status != http.StatusForbidden {
				t.Fatalf("PUT with a read-only app password: %d", r.status)
			}
			if r := s.davAs(t, "finn", rw, "GET", "/dav/notes.txt", "", nil); string(r.body) != "v1" {
				t.Fatalf("the refused PUT changed the file: %q", r.body)
			}
		})

		t.Run("the list shows use, never secrets", func(t *testing.T) {
			r := s.do(t, req{method: "GET", path: "/account/app-passwords", token: ss.access})
			want(t, r, http.StatusOK)
			list := r.json["app_passwords"].([]any)
			if len(list) != 2 || strings.Contains(string(r.body), rw) || strings.Contains(string(r.body), ro) || strings.Contains(string(r.body), "hash") {
				t.Fatalf("list %s", r.body)
			}
			first := list[0].(map[string]any)
			if first["last_used_at"] == nil || first["last_used_addr"] != "127.0.0.1" || first["name"] != "laptop" {
				t.Fatalf("use not shown: %v", first)
			}
		})

		t.Run("revoke", func(t *testing.T) {
			gail := s.signin(t, "gail", "gail-password")
			want(t, s.do(t, req{method: "DELETE", path: "/account/app-passwords/" + itoa(int64(roID)), token: gail.access}),
				http.StatusNotFound, "not_found")
			want(t, s.do(t, req{method: "DELETE", path: "/account/app-passwords/" + itoa(int64(roID)), token: ss.access}),
				http.StatusNoContent)
			if r := s.davAs(t, "finn", ro, "GET", "/dav/notes.txt", "", nil); r.status != http.StatusUnauthorized {
				t.Fatalf("revoked app password: %d", r.status)
			}
			want(t, s.do(t, req{method: "DELETE", path: "/account/app-passwords/" + itoa(int64(roID)), token: ss.access}),
				http.StatusNotFound, "not_found")
		})

		t.Run("scope and expiry", func(t *testing.T) {
			s.davAs(t, "finn", rw, "MKCOL", "/dav/Docs", "", nil)
			r := create(map[string]any{"name": "docs", "path_prefix": "/Docs", "expires_at": s.clock.Now().Add(time.Hour).Format(time.RFC3339)})
			want(t, r, http.StatusCreated)
			docs := r.str("password")
			if r := s.davAs(t, "finn", docs, "PUT", "/dav/Docs/a.txt", "a", nil); r.status != http.StatusCreated {
				t.Fatalf("PUT inside the prefix: %d", r.status)
			}
			if r := s.davAs(t, "finn", docs, "PUT", "/dav/b.txt", "b", nil); r.status != http.StatusForbidden {
				t.Fatalf("PUT outside the prefix: %d", r.status)
			}
			s.clock.Add(time.Hour)
			if r := s.davAs(t, "finn", docs, "GET", "/dav/Docs/a.txt", "", nil); r.status != http.StatusUnauthorized {
				t.Fatalf("expired app password: %d", r.status)
			}
			ss = s.signin(t, "finn", "finn-password")
		})

		t.Run("with 2FA WebDAV takes only app passwords", func(t *testing.T) {
			if r := s.davAs(t, "finn", "finn-password", "PROPFIND", "/dav/", "", depth0); r.status != http.StatusMultiStatus {
				t.Fatalf("account password before 2FA: %d", r.status)
			}
			s.enable2FA(t, ss, "finn-password")
			r := s.davAs(t, "finn", "finn-password", "PROPFIND", "/dav/", "", depth0)
			if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), "needs an app password") {
				t.Fatalf("account password with 2FA: %d %s", r.status, r.body)
			}
			if r := s.davAs(t, "finn", rw, "PROPFIND", "/dav/", "", depth0); r.status != http.StatusMultiStatus {
				t.Fatalf("app password with 2FA: %d", r.status)
			}
		})

		t.Run("disabling the user stops app passwords at once", func(t *testing.T) {
			u := mustUser(t, st, "finn")
			if err := st.SetDisabled(t.Context(), u.ID, true); err != nil {
				t.Fatal(err)
			}
			if r := s.davAs(t, "finn", rw, "PROPFIND", "/dav/", "", depth0); r.status != http.StatusUnauthorized {
				t.Fatalf("disabled user's app password: %d", r.status)
			}
		})

		t.Run("app-password events are audited", func(t *testing.T) {
			events, _ := st.AuditLog(t.Context(), store.AuditFilter{})
			if !hasEvent(events, "app_password.created") || !hasEvent(events, "app_password.revoked") {
				t.Fatalf("events %+v", events)
			}
			for _, e := range events {
				if strings.Contains(e.Detail, "dvap_") {
					t.Fatalf("a secret in the audit log: %+v", e)
				}
			}
		})
	})
}
