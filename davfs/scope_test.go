package davfs_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
)

// appPassword creates an app password of user A and returns its secret.
func (h *harness) appPassword(t *testing.T, a store.AppPassword) string {
	t.Helper()
	secret := auth.NewAppPassword()
	a.UserID = h.users[userA].ID
	if _, err := h.st.CreateAppPassword(t.Context(), a, auth.HashToken(secret)); err != nil {
		t.Fatal(err)
	}
	return secret
}

// as sends a request with Basic credentials of user A and password pass.
func (h *harness) as(t *testing.T, pass, method, rawPath, body string, hdr ...string) reply {
	t.Helper()
	var req *http.Request
	if body != "" {
		req = h.newRequest(t, "", method, rawPath, strings.NewReader(body), hdr...)
	} else {
		req = h.newRequest(t, "", method, rawPath, nil, hdr...)
	}
	req.SetBasicAuth(userA, pass)
	return h.send(t, req)
}

func TestAppPasswordScope(t *testing.T) {
	h := newHarness(t)
	h.mkcol(t, userA, "/dav/Docs")
	h.mkcol(t, userA, "/dav/Docs2")
	h.mkcol(t, userA, "/dav/Other")
	h.put(t, userA, "/dav/Docs/a.txt", "in docs")
	h.put(t, userA, "/dav/Other/x.txt", "outside")
	before := snapshot(t, h.userDir(userA), "")

	t.Run("read-only, confined to /Docs", func(t *testing.T) {
		pw := h.appPassword(t, store.AppPassword{Name: "reader", ReadOnly: true, PathPrefix: "/Docs"})
		for _, c := range []struct{ method, path string }{
			{"GET", "/dav/Docs/a.txt"}, {"HEAD", "/dav/Docs/a.txt"},
		} {
			if rp := h.as(t, pw, c.method, c.path, ""); rp.code != http.StatusOK {
				t.Errorf("%s %s: %d %s", c.method, c.path, rp.code, rp.body)
			}
		}
		if rp := h.as(t, pw, "PROPFIND", "/dav/Docs/", "", "Depth", "1"); rp.code != http.StatusMultiStatus {
			t.Errorf("PROPFIND /Docs: %d", rp.code)
		}
		docs := h.dest("/dav/Docs/copy.txt")
		for _, c := range []struct {
			method, path, body string
			hdr                []string
		}{
			{"PUT", "/dav/Docs/new.txt", "x", nil},
			{"PUT", "/dav/Docs/a.txt", "changed", nil},
			{"DELETE", "/dav/Docs/a.txt", "", nil},
			{"MKCOL", "/dav/Docs/sub", "", nil},
			{"PROPPATCH", "/dav/Docs/a.txt", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:t">v</x></D:prop></D:set></D:propertyupdate>`, nil},
			{"LOCK", "/dav/Docs/a.txt", lockBody("exclusive"), nil},
			{"UNLOCK", "/dav/Docs/a.txt", "", []string{"Lock-Token", "<urn:uuid:x>"}},
			{"COPY", "/dav/Docs/a.txt", "", []string{"Destination", docs}},
			{"MOVE", "/dav/Docs/a.txt", "", []string{"Destination", docs}},
			{"GET", "/dav/Other/x.txt", "", nil},
			{"GET", "/dav/Docs2/", "", nil},
			{"GET", "/dav/Docs/../Other/x.txt", "", nil},
			{"PROPFIND", "/dav/", "", []string{"Depth", "1"}},
		} {
			rp := h.as(t, pw, c.method, c.path, c.body, c.hdr...)
			if rp.code != http.StatusForbidden {
				t.Errorf("%s %s: %d, want 403", c.method, c.path, rp.code)
			}
			if strings.Contains(rp.body, "outside") {
				t.Errorf("%s %s leaked content outside the prefix", c.method, c.path)
			}
		}
		diffSnapshots(t, "read-only app password", before, snapshot(t, h.userDir(userA), ""))
	})

	t.Run("read-write, confined to /Docs", func(t *testing.T) {
		pw := h.appPassword(t, store.AppPassword{Name: "writer", PathPrefix: "/Docs"})
		if rp := h.as(t, pw, "PUT", "/dav/Docs/b.txt", "b"); rp.code != http.StatusCreated {
			t.Fatalf("PUT inside: %d %s", rp.code, rp.body)
		}
		if rp := h.as(t, pw, "COPY", "/dav/Docs/b.txt", "", "Destination", h.dest("/dav/Docs/c.txt")); rp.code != http.StatusCreated {
			t.Fatalf("COPY inside: %d %s", rp.code, rp.body)
		}
		for _, c := range []struct{ method, path, dest string }{
			{"PUT", "/dav/Other/y.txt", ""},
			{"PUT", "/dav/Docs2/y.txt", ""},
			{"COPY", "/dav/Docs/b.txt", "/dav/Other/b.txt"},
			{"COPY", "/dav/Docs/b.txt", "/dav/Docs/../Other/b.txt"},
			{"MOVE", "/dav/Docs/b.txt", "/dav/Other/b.txt"},
			{"MOVE", "/dav/Docs/b.txt", "/dav/b.txt"},
			{"COPY", "/dav/Other/x.txt", "/dav/Docs/x.txt"},
			{"MOVE", "/dav/Other/x.txt", "/dav/Docs/x.txt"},
			{"DELETE", "/dav/Other/x.txt", ""},
			{"DELETE", "/dav/", ""},
		} {
			var hdr []string
			if c.dest != "" {
				hdr = []string{"Destination", h.dest(c.dest), "Overwrite", "T"}
			}
			if rp := h.as(t, pw, c.method, c.path, "x", hdr...); rp.code != http.StatusForbidden {
				t.Errorf("%s %s → %q: %d, want 403", c.method, c.path, c.dest, rp.code)
			}
		}
		for _, p := range []string{"Other/x.txt", "Docs/b.txt", "Docs/a.txt"} {
			if _, err := os.Stat(filepath.Join(h.userDir(userA), filepath.FromSlash(p))); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		}
		for _, p := range []string{"Other/y.txt", "Other/b.txt", "b.txt", "Docs/x.txt", "Docs2/y.txt"} {
			if _, err := os.Stat(filepath.Join(h.userDir(userA), filepath.FromSlash(p))); err == nil {
				t.Errorf("%s was created outside the prefix", p)
			}
		}
	})

	t.Run("with 2FA the account password is refused with advice", func(t *testing.T) {
		pw := h.appPassword(t, store.AppPassword{Name: "full"})
		u := h.users[userA]
		if err := h.st.PutPendingTOTP(t.Context(), u.ID, "sealed", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := h.st.EnableTOTP(t.Context(), u.ID, 1, nil); err != nil {
			t.Fatal(err)
		}
		rp := h.as(t, passA, "PROPFIND", "/dav/", "", "Depth", "0")
		if rp.code != http.StatusUnauthorized || !strings.Contains(rp.body, "app password") || rp.hdr.Get("WWW-Authenticate") == "" {
			t.Fatalf("account password with 2FA: %d %q", rp.code, rp.body)
		}
		if rp := h.as(t, pw, "PROPFIND", "/dav/", "", "Depth", "0"); rp.code != http.StatusMultiStatus {
			t.Fatalf("app password with 2FA: %d %s", rp.code, rp.body)
		}
	})
}
