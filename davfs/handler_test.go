package davfs_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestOptionsAndAuthentication(t *testing.T) {
	h := newHarness(t)

	t.Run("OPTIONS without credentials answers 200 with DAV and Allow", func(t *testing.T) {
		for _, p := range []string{"/dav/", "/dav", "/dav/missing/file.txt"} {
			rp := h.do(t, "", http.MethodOptions, p, "")
			if rp.code != http.StatusOK {
				t.Errorf("OPTIONS %s = %d, want 200", p, rp.code)
			}
			if got := rp.hdr.Get("DAV"); got != "1, 2" {
				t.Errorf("OPTIONS %s: DAV = %q, want \"1, 2\"", p, got)
			}
			allow := rp.hdr.Get("Allow")
			for _, m := range []string{"PROPFIND", "PUT", "LOCK", "MOVE"} {
				if !strings.Contains(allow, m) {
					t.Errorf("OPTIONS %s: Allow = %q lacks %s", p, allow, m)
				}
			}
		}
	})

	wantChallenge := func(t *testing.T, rp reply) {
		t.Helper()
		if rp.code != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", rp.code)
		}
		if got := rp.hdr.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
			t.Errorf("WWW-Authenticate = %q, want a Basic challenge", got)
		}
	}
	t.Run("missing credentials get 401 with a challenge", func(t *testing.T) {
		for _, m := range []string{http.MethodGet, "PROPFIND", http.MethodPut, http.MethodDelete, "LOCK"} {
			wantChallenge(t, h.do(t, "", m, "/dav/", ""))
		}
	})
	t.Run("wrong password gets 401", func(t *testing.T) {
		req := h.newRequest(t, "", "PROPFIND", "/dav/", nil, "Depth", "0")
		req.SetBasicAuth(userA, passB)
		wantChallenge(t, h.send(t, req))
	})
	t.Run("unknown user gets 401", func(t *testing.T) {
		req := h.newRequest(t, "", "PROPFIND", "/dav/", nil, "Depth", "0")
		req.SetBasicAuth("mallory", passA)
		wantChallenge(t, h.send(t, req))
	})
	t.Run("a failed PUT without credentials stores nothing", func(t *testing.T) {
		rp := h.do(t, "", http.MethodPut, "/dav/anon.txt", "x")
		wantChallenge(t, rp)
		if rp := h.get(t, userA, "/dav/anon.txt"); rp.code != http.StatusNotFound {
			t.Errorf("GET after an unauthenticated PUT = %d, want 404", rp.code)
		}
	})
	t.Run("right credentials are accepted", func(t *testing.T) {
		if rp := h.do(t, userA, "PROPFIND", "/dav/", "", "Depth", "0"); rp.code != http.StatusMultiStatus {
			t.Errorf("PROPFIND = %d, want 207", rp.code)
		}
	})
}

func TestGet(t *testing.T) {
	h := newHarness(t)
	put := h.put(t, userA, "/dav/digits.txt", "0123456789")

	t.Run("GET returns the content with the PUT's ETag", func(t *testing.T) {
		rp := h.get(t, userA, "/dav/digits.txt")
		if rp.code != http.StatusOK || rp.body != "0123456789" {
			t.Fatalf("GET = %d %q", rp.code, rp.body)
		}
		if rp.hdr.Get("ETag") == "" || rp.hdr.Get("ETag") != put.hdr.Get("ETag") {
			t.Errorf("GET ETag = %q, PUT ETag = %q", rp.hdr.Get("ETag"), put.hdr.Get("ETag"))
		}
		if ct := rp.hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type = %q, want text/plain", ct)
		}
	})
	t.Run("Range answers 206 with the right bytes", func(t *testing.T) {
		for _, c := range []struct{ rng, body, cr string }{
			{"bytes=2-5", "2345", "bytes 2-5/10"},
			{"bytes=7-", "789", "bytes 7-9/10"},
			{"bytes=-3", "789", "bytes 7-9/10"},
			{"bytes=0-0", "0", "bytes 0-0/10"},
		} {
			rp := h.get(t, userA, "/dav/digits.txt", "Range", c.rng)
			if rp.code != http.StatusPartialContent || rp.body != c.body || rp.hdr.Get("Content-Range") != c.cr {
				t.Errorf("Range %s = %d %q (%s), want 206 %q (%s)", c.rng, rp.code, rp.body, rp.hdr.Get("Content-Range"), c.body, c.cr)
			}
		}
	})
	t.Run("unsatisfiable Range answers 416", func(t *testing.T) {
		if rp := h.get(t, userA, "/dav/digits.txt", "Range", "bytes=20-30"); rp.code != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("status = %d, want 416", rp.code)
		}
	})
	t.Run("If-None-Match with the current ETag answers 304", func(t *testing.T) {
		tag := h.get(t, userA, "/dav/digits.txt").hdr.Get("ETag")
		if rp := h.get(t, userA, "/dav/digits.txt", "If-None-Match", tag); rp.code != http.StatusNotModified {
			t.Errorf("status = %d, want 304", rp.code)
		}
		if rp := h.get(t, userA, "/dav/digits.txt", "If-None-Match", `"other"`); rp.code != http.StatusOK {
			t.Errorf("another ETag: status = %d, want 200", rp.code)
		}
	})
	t.Run("HEAD answers the length without a body", func(t *testing.T) {
		rp := h.do(t, userA, http.MethodHead, "/dav/digits.txt", "")
		if rp.code != http.StatusOK || rp.body != "" || rp.hdr.Get("Content-Length") != "10" {
			t.Errorf("HEAD = %d %q Content-Length %q", rp.code, rp.body, rp.hdr.Get("Content-Length"))
		}
	})
	t.Run("GET of a folder answers 405", func(t *testing.T) {
		if rp := h.get(t, userA, "/dav/"); rp.code != http.StatusMethodNotAllowed {
			t.Errorf("status = %d, want 405", rp.code)
		}
	})
	t.Run("GET of a missing file answers 404", func(t *testing.T) {
		if rp := h.get(t, userA, "/dav/missing.txt"); rp.code != http.StatusNotFound {
			t.Errorf("status = %d, want 404", rp.code)
		}
	})
	t.Run("a name below a file is missing, not a server error", func(t *testing.T) {
		if rp := h.get(t, userA, "/dav/digits.txt/x"); rp.code != http.StatusNotFound {
			t.Errorf("GET = %d, want 404", rp.code)
		}
		if rp, _ := h.propfind(t, userA, "/dav/digits.txt/x", "0", ""); rp.code != http.StatusNotFound {
			t.Errorf("PROPFIND = %d, want 404", rp.code)
		}
		if rp := h.do(t, userA, http.MethodDelete, "/dav/digits.txt/x", ""); rp.code != http.StatusNotFound {
			t.Errorf("DELETE = %d, want 404", rp.code)
		}
		if rp := h.do(t, userA, http.MethodPut, "/dav/digits.txt/x", "x"); rp.code != http.StatusConflict {
			t.Errorf("PUT = %d, want 409", rp.code)
		}
		if rp := h.do(t, userA, "LOCK", "/dav/digits.txt/x", lockBody("exclusive")); rp.code != http.StatusConflict {
			t.Errorf("LOCK = %d, want 409", rp.code)
		}
	})
}

func TestCopyMove(t *testing.T) {
	h := newHarness(t)

	t.Run("MOVE without Overwrite replaces an existing destination", func(t *testing.T) {
		h.put(t, userA, "/dav/src.txt", "new")
		h.put(t, userA, "/dav/dst.txt", "old")
		rp := h.do(t, userA, "MOVE", "/dav/src.txt", "", "Destination", h.dest("/dav/dst.txt"))
		if rp.code != http.StatusNoContent {
			t.Fatalf("MOVE = %d %s, want 204", rp.code, rp.body)
		}
		h.wantContent(t, userA, "/dav/dst.txt", "new")
		if rp := h.get(t, userA, "/dav/src.txt"); rp.code != http.StatusNotFound {
			t.Errorf("source after MOVE: %d, want 404", rp.code)
		}
	})
	t.Run("MOVE with Overwrite F keeps an existing destination", func(t *testing.T) {
		h.put(t, userA, "/dav/src.txt", "new")
		h.put(t, userA, "/dav/dst.txt", "old")
		rp := h.do(t, userA, "MOVE", "/dav/src.txt", "", "Destination", h.dest("/dav/dst.txt"), "Overwrite", "F")
		if rp.code != http.StatusPreconditionFailed {
			t.Errorf("MOVE = %d, want 412", rp.code)
		}
		h.wantContent(t, userA, "/dav/dst.txt", "old")
		h.wantContent(t, userA, "/dav/src.txt", "new")
	})
	t.Run("COPY duplicates content", func(t *testing.T) {
		h.put(t, userA, "/dav/orig.txt", "copy me")
		rp := h.do(t, userA, "COPY", "/dav/orig.txt", "", "Destination", h.dest("/dav/copy.txt"))
		if rp.code != http.StatusCreated {
			t.Fatalf("COPY = %d %s, want 201", rp.code, rp.body)
		}
		h.wantContent(t, userA, "/dav/copy.txt", "copy me")
		h.wantContent(t, userA, "/dav/orig.txt", "copy me")
	})

	t.Run("COPY whose source fails midway leaves no partial copy", func(t *testing.T) {
		h.put(t, userA, "/dav/big.bin", strings.Repeat("b", 1<<20))
		h.counter(userA).breakReads.Store(100 << 10)
		rp := h.do(t, userA, "COPY", "/dav/big.bin", "", "Destination", h.dest("/dav/partial.bin"))
		h.counter(userA).breakReads.Store(0)
		if rp.code < 500 {
			t.Errorf("COPY = %d, want a server error", rp.code)
		}
		if rp := h.get(t, userA, "/dav/partial.bin"); rp.code != http.StatusNotFound {
			t.Errorf("GET of the copy = %d with %d bytes, want 404", rp.code, len(rp.body))
		}
		if tmp := tempFiles(t, h.dataDir); len(tmp) > 0 {
			t.Errorf("temporary files left on disk: %v", tmp)
		}
	})

	// A Destination that names the source, or a resource containing it or
	// contained in it, spelled differently from the request URL, must not
	// delete the source as an "overwritten destination".
	t.Run("COPY and MOVE onto the source itself or its relatives are refused without loss", func(t *testing.T) {
		h.mkcol(t, userA, "/dav/tree/")
		h.mkcol(t, userA, "/dav/tree/sub/")
		h.put(t, userA, "/dav/tree/sub/leaf.txt", "leaf")
		h.put(t, userA, "/dav/self.txt", "self")
		for _, c := range []struct{ src, dst string }{
			{"/dav/self.txt", "/dav/self.txt/"},
			{"/dav/self.txt", "/dav/./self.txt"},
			{"/dav/self.txt", "/dav/tree/../self.txt"},
			{"/dav/self.txt", "/dav//self.txt"},
			{"/dav/tree/", "/dav/tree"},
			{"/dav/tree", "/dav/tree/sub/"},
			{"/dav/tree/sub/", "/dav/tree/"},
			{"/dav/tree/sub/leaf.txt", "/dav/tree/"},
			{"/dav/tree/sub/leaf.txt", "/dav/"},
		} {
			for _, m := range []string{"COPY", "MOVE"} {
				rp := h.do(t, userA, m, c.src, "", "Destination", h.dest(c.dst), "Overwrite", "T")
				if rp.code != http.StatusForbidden {
					t.Errorf("%s %s -> %s = %d, want 403", m, c.src, c.dst, rp.code)
				}
				h.wantContent(t, userA, "/dav/self.txt", "self")
				h.wantContent(t, userA, "/dav/tree/sub/leaf.txt", "leaf")
			}
		}
	})

	t.Run("a Destination on another host answers 502", func(t *testing.T) {
		h.put(t, userA, "/dav/here.txt", "here")
		for _, m := range []string{"COPY", "MOVE"} {
			rp := h.do(t, userA, m, "/dav/here.txt", "", "Destination", "http://other.example/dav/there.txt")
			if rp.code != http.StatusBadGateway {
				t.Errorf("%s = %d, want 502", m, rp.code)
			}
		}
		h.wantContent(t, userA, "/dav/here.txt", "here")
	})
	t.Run("a Destination outside the prefix is refused", func(t *testing.T) {
		h.put(t, userA, "/dav/here.txt", "here")
		for _, d := range []string{"/elsewhere/x.txt", "/davx.txt", "/davx/x.txt", "/da", "/"} {
			for _, m := range []string{"COPY", "MOVE"} {
				rp := h.do(t, userA, m, "/dav/here.txt", "", "Destination", h.dest(d))
				if rp.code < 400 {
					t.Errorf("%s to %s = %d, want refused", m, d, rp.code)
				}
			}
		}
		h.wantContent(t, userA, "/dav/here.txt", "here")
		_, ms := h.propfind(t, userA, "/dav/", "1", "")
		for href := range ms {
			if strings.Contains(href, "x.txt") || strings.HasSuffix(href, "/da") {
				t.Errorf("a refused COPY or MOVE created %s", href)
			}
		}
	})
	t.Run("a missing or malformed Destination answers 400", func(t *testing.T) {
		h.put(t, userA, "/dav/here.txt", "here")
		for _, m := range []string{"COPY", "MOVE"} {
			if rp := h.do(t, userA, m, "/dav/here.txt", ""); rp.code != http.StatusBadRequest {
				t.Errorf("%s without Destination = %d, want 400", m, rp.code)
			}
			if rp := h.do(t, userA, m, "/dav/here.txt", "", "Destination", "http://[::1"); rp.code != http.StatusBadRequest {
				t.Errorf("%s with a malformed Destination = %d, want 400", m, rp.code)
			}
		}
		h.wantContent(t, userA, "/dav/here.txt", "here")
	})
}
