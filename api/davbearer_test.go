package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// The web UI's file browser speaks WebDAV with its access token.
func TestDAVBearer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st)
		ann := s.addUser("ann", "ann-password", false)
		ss := s.signin(t, "ann", "ann-password")
		dav := func(t *testing.T, token, method, path, body string, hdr map[string]string, status int) reply {
			t.Helper()
			r := s.davBearer(t, token, method, path, body, hdr)
			if r.status != status {
				t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.body, status)
			}
			return r
		}
		refused := func(t *testing.T, token string) {
			t.Helper()
			r := dav(t, token, "PROPFIND", "/dav/", "", map[string]string{"Depth": "0"}, http.StatusUnauthorized)
			// Bearer, not Basic: a Basic challenge would make the browser pop its
			// own login box over the web UI (Finder and Windows never send Bearer).
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
				t.Fatalf("a refused token gets WWW-Authenticate %q, want a Bearer challenge", got)
			}
		}

		t.Run("the file browser's methods", func(t *testing.T) {
			dav(t, ss.access, "PUT", "/dav/note.txt", "hello", nil, http.StatusCreated)
			dav(t, ss.access, "MKCOL", "/dav/docs", "", nil, http.StatusCreated)
			dav(t, ss.access, "MOVE", "/dav/note.txt", "", map[string]string{"Destination": s.url + "/dav/docs/note.txt"}, http.StatusCreated)
			if r := dav(t, ss.access, "PROPFIND", "/dav/docs/", "", map[string]string{"Depth": "1"}, http.StatusMultiStatus); !strings.Contains(string(r.body), "note.txt") {
				t.Fatalf("PROPFIND does not list the moved file:\n%s", r.body)
			}
			if r := dav(t, ss.access, "GET", "/dav/docs/note.txt", "", nil, http.StatusOK); string(r.body) != "hello" {
				t.Fatalf("GET = %q", r.body)
			}
			dav(t, ss.access, "DELETE", "/dav/docs", "", nil, http.StatusNoContent)
		})
		t.Run("Basic keeps working", func(t *testing.T) {
			want(t, s.davAs(t, "ann", "ann-password", "PROPFIND", "/dav/", "", map[string]string{"Depth": "0"}), http.StatusMultiStatus)
		})
		t.Run("forged or malformed tokens", func(t *testing.T) {
			other, err := auth.NewTokens([]byte("another-signing-key-0123456789abcdef"), s.clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			forged, _, err := other.Access(ann, "family")
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{forged, "not-a-token", ss.access + "x"} {
				refused(t, tok)
			}
		})
		t.Run("a revoked session", func(t *testing.T) {
			first := s.signin(t, "ann", "ann-password")
			r := s.refreshWith(t, first.refresh)
			want(t, r, http.StatusOK)
			second := r.str("access_token")
			dav(t, first.access, "PROPFIND", "/dav/", "", map[string]string{"Depth": "0"}, http.StatusMultiStatus)
			want(t, s.do(t, req{method: "POST", path: "/auth/logout", token: second}), http.StatusNoContent)
			refused(t, first.access) // another token of the ended session
		})
		t.Run("a changed password", func(t *testing.T) {
			other := s.signin(t, "ann", "ann-password")
			hash, _ := s.hasher.Hash(t.Context(), "new-ann-password")
			if err := st.SetPassword(t.Context(), ann.ID, hash); err != nil {
				t.Fatal(err)
			}
			refused(t, other.access)
			refused(t, ss.access)
		})
		t.Run("an expired token", func(t *testing.T) {
			fresh := s.signin(t, "ann", "new-ann-password")
			dav(t, fresh.access, "PROPFIND", "/dav/", "", map[string]string{"Depth": "0"}, http.StatusMultiStatus)
			s.clock.Add(auth.AccessTTL + time.Second)
			refused(t, fresh.access)
		})
	})
}
