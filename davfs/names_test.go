package davfs_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// escapePath escapes each element of a slash-separated name for a URL.
func escapePath(name string) string {
	els := strings.Split(name, "/")
	for i, e := range els {
		els[i] = url.PathEscape(e)
	}
	return strings.Join(els, "/")
}

// TestHostileNames round-trips names with spaces, reserved URL characters,
// XML metacharacters and non-ASCII letters (rclone's fixture set).
func TestHostileNames(t *testing.T) {
	h := newHarness(t)
	dirs := []string{"hello? sausage", "hello? sausage/êé", "hello? sausage/êé/Hello, 世界",
		`hello? sausage/êé/Hello, 世界/ " ' @ < > & ? + ≠`}
	for _, d := range dirs {
		h.mkcol(t, userA, "/dav/"+escapePath(d)+"/")
	}
	leaf := dirs[len(dirs)-1] + "/z.txt"
	files := []string{leaf, "100% #1;x=y.txt", "a&b<c>.txt", "trailing space .txt", "ünïcødé ✓.txt"}
	for _, f := range files {
		h.put(t, userA, "/dav/"+escapePath(f), "content of "+f)
	}

	t.Run("GET returns each file", func(t *testing.T) {
		for _, f := range files {
			h.wantContent(t, userA, "/dav/"+escapePath(f), "content of "+f)
		}
	})
	t.Run("PROPFIND hrefs decode to the names", func(t *testing.T) {
		rp, ms := h.propfind(t, userA, "/dav/", "1", "")
		if rp.code != http.StatusMultiStatus {
			t.Fatalf("PROPFIND = %d", rp.code)
		}
		for _, want := range []string{"/dav/hello? sausage/", "/dav/100% #1;x=y.txt", "/dav/a&b<c>.txt", "/dav/trailing space .txt", "/dav/ünïcødé ✓.txt"} {
			if _, ok := ms[want]; !ok {
				t.Errorf("no response for %q", want)
			}
		}
		rp, ms = h.propfind(t, userA, "/dav/"+escapePath(dirs[len(dirs)-1])+"/", "1", "")
		if _, ok := ms["/dav/"+leaf]; rp.code != http.StatusMultiStatus || !ok {
			t.Errorf("PROPFIND of the deepest folder = %d, missing %q:\n%s", rp.code, leaf, rp.body)
		}
	})
	t.Run("MOVE and COPY with escaped Destinations", func(t *testing.T) {
		src, dst := "/dav/"+escapePath("a&b<c>.txt"), "/dav/"+escapePath(dirs[1]+"/moved ≠ & ?.txt")
		if rp := h.do(t, userA, "MOVE", src, "", "Destination", h.dest(dst)); rp.code != http.StatusCreated {
			t.Fatalf("MOVE = %d %s", rp.code, rp.body)
		}
		h.wantContent(t, userA, dst, "content of a&b<c>.txt")
		if rp := h.do(t, userA, "COPY", dst, "", "Destination", h.dest(src)); rp.code != http.StatusCreated {
			t.Fatalf("COPY = %d %s", rp.code, rp.body)
		}
		h.wantContent(t, userA, src, "content of a&b<c>.txt")
	})
	t.Run("lock roots are escaped hrefs", func(t *testing.T) {
		p := "/dav/" + escapePath(leaf)
		tok := h.lock(t, userA, p)
		got := h.props(t, userA, p, pLockDiscovery)[pLockDiscovery].inner
		if !strings.Contains(got, tok) {
			t.Fatalf("lockdiscovery lacks the token: %s", got)
		}
		rp := h.do(t, userA, http.MethodPut, p, "x")
		if rp.code != http.StatusLocked || !strings.Contains(rp.body, xmlText(t, (&url.URL{Path: "/dav/" + leaf}).EscapedPath())) {
			t.Errorf("PUT = %d %s, want 423 naming the escaped lock root", rp.code, rp.body)
		}
		if rp := h.do(t, userA, "UNLOCK", p, "", "Lock-Token", "<"+tok+">"); rp.code != http.StatusNoContent {
			t.Errorf("UNLOCK = %d", rp.code)
		}
	})
	t.Run("DELETE removes the tree", func(t *testing.T) {
		if rp := h.do(t, userA, http.MethodDelete, "/dav/"+escapePath(dirs[0])+"/", ""); rp.code != http.StatusNoContent {
			t.Fatalf("DELETE = %d", rp.code)
		}
		if rp := h.get(t, userA, "/dav/"+escapePath(leaf)); rp.code != http.StatusNotFound {
			t.Errorf("GET after DELETE = %d", rp.code)
		}
	})
}

// xmlText is s as it appears in XML character data.
func xmlText(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
