package davfs_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestQuota(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	u := h.users[userA]
	if err := h.st.SetQuota(ctx, u.ID, 1000); err != nil {
		t.Fatal(err)
	}
	used := func() int64 {
		t.Helper()
		u, err := h.st.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u.UsedBytes
	}

	h.put(t, userA, "/dav/a.bin", strings.Repeat("a", 600))
	if n := used(); n != 600 {
		t.Fatalf("used after a 600-byte PUT = %d", n)
	}
	t.Run("PROPFIND reports RFC 4331 quota on folders", func(t *testing.T) {
		p := h.props(t, userA, "/dav/", pQuotaUsed, pQuotaAvail)
		if p[pQuotaUsed].inner != "600" || p[pQuotaAvail].inner != "400" {
			t.Fatalf("quota props = %+v", p)
		}
	})
	t.Run("known size over quota: 507 before any byte", func(t *testing.T) {
		rp := h.do(t, userA, "PUT", "/dav/b.bin", strings.Repeat("b", 401))
		if rp.code != http.StatusInsufficientStorage || !strings.Contains(rp.body, "quota-not-exceeded") {
			t.Fatalf("PUT over quota = %d %s", rp.code, rp.body)
		}
		if rp := h.get(t, userA, "/dav/b.bin"); rp.code != http.StatusNotFound {
			t.Fatalf("refused upload left a file: %d", rp.code)
		}
		if n := used(); n != 600 {
			t.Fatalf("used drifted to %d", n)
		}
	})
	t.Run("the size hint of a chunked upload is checked first", func(t *testing.T) {
		req := h.newRequest(t, userA, "PUT", "/dav/hint.bin", strings.NewReader("x"), "X-Expected-Entity-Length", "5000")
		req.ContentLength = -1
		if rp := h.send(t, req); rp.code != http.StatusInsufficientStorage {
			t.Fatalf("PUT with a hint over quota = %d", rp.code)
		}
	})
	t.Run("unknown size is aborted at the limit, nothing kept", func(t *testing.T) {
		req := h.newRequest(t, userA, "PUT", "/dav/a.bin", strings.NewReader(strings.Repeat("c", 1200)))
		req.ContentLength = -1 // chunked
		if rp := h.send(t, req); rp.code != http.StatusInsufficientStorage {
			t.Fatalf("chunked PUT over quota = %d %s", rp.code, rp.body)
		}
		h.wantContent(t, userA, "/dav/a.bin", strings.Repeat("a", 600))
		if n := used(); n != 600 {
			t.Fatalf("used drifted to %d", n)
		}
		if tmp := tempFiles(t, h.userDir(userA)); len(tmp) != 0 {
			t.Fatalf("temporary files left: %v", tmp)
		}
	})
	t.Run("replacing counts only the difference", func(t *testing.T) {
		if rp := h.put(t, userA, "/dav/a.bin", strings.Repeat("d", 1000)); rp.code != http.StatusNoContent {
			t.Fatalf("replace within quota = %d", rp.code)
		}
		if n := used(); n != 1000 {
			t.Fatalf("used = %d, want 1000", n)
		}
	})
	t.Run("COPY over quota is refused with 507", func(t *testing.T) {
		rp := h.do(t, userA, "COPY", "/dav/a.bin", "", "Destination", h.dest("/dav/copy.bin"))
		if rp.code != http.StatusInsufficientStorage {
			t.Fatalf("COPY over quota = %d %s", rp.code, rp.body)
		}
		if n := used(); n != 1000 {
			t.Fatalf("used = %d after a refused COPY", n)
		}
	})
	t.Run("DELETE gives the bytes back, folders included", func(t *testing.T) {
		h.mkcol(t, userA, "/dav/d/")
		if rp := h.do(t, userA, "DELETE", "/dav/a.bin", ""); rp.code != http.StatusNoContent {
			t.Fatalf("DELETE = %d", rp.code)
		}
		h.put(t, userA, "/dav/d/x", strings.Repeat("x", 300))
		h.put(t, userA, "/dav/d/y", strings.Repeat("y", 200))
		if n := used(); n != 500 {
			t.Fatalf("used = %d, want 500", n)
		}
		h.do(t, userA, "DELETE", "/dav/d/", "")
		if n := used(); n != 0 {
			t.Fatalf("used after deleting the folder = %d", n)
		}
	})
	t.Run("without a limit only the used bytes are reported", func(t *testing.T) {
		h.put(t, userB, "/dav/b.txt", "12345")
		p := h.props(t, userB, "/dav/", pQuotaUsed, pQuotaAvail)
		if p[pQuotaUsed].inner != strconv.Itoa(5) || p[pQuotaAvail].status != http.StatusNotFound {
			t.Fatalf("props without a limit = %+v (available must be absent, never 0)", p)
		}
	})
}

func TestStorageUnavailable(t *testing.T) {
	h := newHarness(t)
	h.put(t, userA, "/dav/f.txt", "content")
	b := h.counter(userA)
	b.down.Store(true)
	for _, m := range []struct{ method, path string }{
		{"GET", "/dav/f.txt"}, {"PUT", "/dav/f.txt"}, {"PROPFIND", "/dav/"}, {"DELETE", "/dav/f.txt"},
		{"MKCOL", "/dav/new/"}, {"MOVE", "/dav/f.txt"}, {"LOCK", "/dav/f.txt"},
	} {
		hdr := []string{"Destination", h.dest("/dav/g.txt")}
		if m.method == "PROPFIND" {
			hdr = append(hdr, "Depth", "1")
		}
		body := ""
		if m.method == "LOCK" {
			body = lockBody("exclusive")
		}
		rp := h.do(t, userA, m.method, m.path, body, hdr...)
		if rp.code != http.StatusServiceUnavailable || rp.hdr.Get("Retry-After") == "" {
			t.Errorf("%s %s with the storage down = %d %q, want 503 with Retry-After", m.method, m.path, rp.code, rp.body)
		}
	}
	b.down.Store(false)
	h.wantContent(t, userA, "/dav/f.txt", "content")
}

func TestStorageOwnQuota(t *testing.T) {
	h := newHarness(t)
	h.counter(userA).space.Store(1000)
	p := h.props(t, userA, "/dav/", pQuotaUsed, pQuotaAvail)
	if p[pQuotaUsed].inner != "12345" || p[pQuotaAvail].inner != "1000" {
		t.Fatalf("quota props from the storage's own numbers = %+v", p)
	}
	if rp := h.do(t, userA, "PUT", "/dav/big.bin", strings.Repeat("b", 1001)); rp.code != http.StatusInsufficientStorage {
		t.Fatalf("PUT over the storage's free space = %d, want 507", rp.code)
	}
	if rp := h.do(t, userA, "PUT", "/dav/ok.bin", strings.Repeat("b", 999)); rp.code != http.StatusCreated {
		t.Fatalf("PUT within the storage's free space = %d", rp.code)
	}
	t.Run("the storage is asked once for many requests", func(t *testing.T) {
		before := h.counter(userA).spaceCalls.Load()
		for range 5 {
			h.props(t, userA, "/dav/", pQuotaAvail)
		}
		if n := h.counter(userA).spaceCalls.Load() - before; n != 0 {
			t.Fatalf("5 PROPFINDs asked the storage for its space %d more times, want 0 (cached)", n)
		}
	})
	t.Run("a DocuVault quota wins", func(t *testing.T) {
		h.st.SetQuota(t.Context(), h.users[userA].ID, 5000)
		if rp := h.do(t, userA, "PUT", "/dav/big.bin", strings.Repeat("b", 1001)); rp.code != http.StatusCreated {
			t.Fatalf("PUT within the user's quota = %d", rp.code)
		}
	})
}
