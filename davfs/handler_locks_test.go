package davfs_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestLockBehaviour(t *testing.T) {
	h := newHarness(t)

	t.Run("LOCK shows in lockdiscovery", func(t *testing.T) {
		h.put(t, userA, "/dav/ld.txt", "x")
		tok := h.lock(t, userA, "/dav/ld.txt")
		got := h.props(t, userA, "/dav/ld.txt", pLockDiscovery)[pLockDiscovery]
		if got.status != http.StatusOK || !strings.Contains(got.inner, tok) || !strings.Contains(got.inner, "exclusive") {
			t.Errorf("lockdiscovery = %+v, want the exclusive lock %s", got, tok)
		}
		if rp := h.do(t, userA, "UNLOCK", "/dav/ld.txt", "", "Lock-Token", "<"+tok+">"); rp.code != http.StatusNoContent {
			t.Errorf("UNLOCK = %d, want 204", rp.code)
		}
		if got := h.props(t, userA, "/dav/ld.txt", pLockDiscovery)[pLockDiscovery]; strings.Contains(got.inner, tok) {
			t.Errorf("lockdiscovery after UNLOCK = %q", got.inner)
		}
	})
	t.Run("LOCK on a new name creates an empty file", func(t *testing.T) {
		rp := h.do(t, userA, "LOCK", "/dav/fresh.txt", lockBody("exclusive"))
		if rp.code != http.StatusCreated {
			t.Fatalf("LOCK = %d, want 201", rp.code)
		}
		h.wantContent(t, userA, "/dav/fresh.txt", "")
	})
	t.Run("writes to a locked file need its token", func(t *testing.T) {
		h.put(t, userA, "/dav/w.txt", "locked")
		tok := h.lock(t, userA, "/dav/w.txt")
		for _, m := range []string{http.MethodPut, "PROPPATCH", http.MethodDelete} {
			body := ""
			if m == "PROPPATCH" {
				body = setColor("x")
			} else if m == http.MethodPut {
				body = "changed"
			}
			if rp := h.do(t, userA, m, "/dav/w.txt", body); rp.code != http.StatusLocked {
				t.Errorf("%s without token = %d, want 423", m, rp.code)
			}
		}
		if rp := h.do(t, userA, "MOVE", "/dav/w.txt", "", "Destination", h.dest("/dav/w2.txt")); rp.code != http.StatusLocked {
			t.Errorf("MOVE without token = %d, want 423", rp.code)
		}
		h.put(t, userA, "/dav/other.txt", "other")
		if rp := h.do(t, userA, "COPY", "/dav/other.txt", "", "Destination", h.dest("/dav/w.txt")); rp.code != http.StatusLocked {
			t.Errorf("COPY onto it without token = %d, want 423", rp.code)
		}
		h.wantContent(t, userA, "/dav/w.txt", "locked")
		if rp := h.do(t, userA, http.MethodPut, "/dav/w.txt", "changed", "If", "(<"+tok+">)"); rp.code != http.StatusNoContent {
			t.Errorf("PUT with token = %d, want 204", rp.code)
		}
		h.wantContent(t, userA, "/dav/w.txt", "changed")
	})
	t.Run("DELETE of a locked file needs the token and removes the lock", func(t *testing.T) {
		h.put(t, userA, "/dav/d.txt", "x")
		tok := h.lock(t, userA, "/dav/d.txt")
		if rp := h.do(t, userA, http.MethodDelete, "/dav/d.txt", ""); rp.code != http.StatusLocked {
			t.Fatalf("DELETE without token = %d, want 423", rp.code)
		}
		h.wantContent(t, userA, "/dav/d.txt", "x")
		if rp := h.do(t, userA, http.MethodDelete, "/dav/d.txt", "", "If", "(<"+tok+">)"); rp.code != http.StatusNoContent {
			t.Fatalf("DELETE with token = %d %s, want 204", rp.code, rp.body)
		}
		if _, ok := h.storedLocks(t, userA)[tok]; ok {
			t.Errorf("lock %s survived the DELETE", tok)
		}
		// The name is free again: a new file there can be written without a token.
		if rp := h.do(t, userA, http.MethodPut, "/dav/d.txt", "new"); rp.code != http.StatusCreated {
			t.Errorf("PUT after DELETE = %d, want 201", rp.code)
		}
	})
	t.Run("DELETE of a folder removes the locks below it", func(t *testing.T) {
		h.mkcol(t, userA, "/dav/ld/")
		h.put(t, userA, "/dav/ld/in.txt", "x")
		tok := h.lock(t, userA, "/dav/ld/in.txt")
		if rp := h.do(t, userA, http.MethodDelete, "/dav/ld/", ""); rp.code != http.StatusLocked {
			t.Fatalf("DELETE without token = %d, want 423", rp.code)
		}
		if rp := h.do(t, userA, http.MethodDelete, "/dav/ld/", "", "If", "</dav/ld/in.txt> (<"+tok+">)"); rp.code != http.StatusNoContent {
			t.Fatalf("DELETE with token = %d %s, want 204", rp.code, rp.body)
		}
		if _, ok := h.storedLocks(t, userA)[tok]; ok {
			t.Errorf("lock %s survived the DELETE of its folder", tok)
		}
	})
	t.Run("MOVE of a locked file releases the lock", func(t *testing.T) {
		h.put(t, userA, "/dav/mv.txt", "moving")
		tok := h.lock(t, userA, "/dav/mv.txt")
		rp := h.do(t, userA, "MOVE", "/dav/mv.txt", "", "Destination", h.dest("/dav/moved.txt"), "If", "(<"+tok+">)")
		if rp.code != http.StatusCreated {
			t.Fatalf("MOVE with token = %d %s, want 201", rp.code, rp.body)
		}
		if _, ok := h.storedLocks(t, userA)[tok]; ok {
			t.Errorf("lock %s survived the MOVE", tok)
		}
		if got := h.props(t, userA, "/dav/moved.txt", pLockDiscovery)[pLockDiscovery]; strings.Contains(got.inner, "activelock") {
			t.Errorf("the destination shows a lock: %s", got.inner)
		}
		h.wantContent(t, userA, "/dav/moved.txt", "moving")
		if rp := h.do(t, userA, http.MethodPut, "/dav/mv.txt", "free"); rp.code != http.StatusCreated {
			t.Errorf("PUT at the old name = %d, want 201", rp.code)
		}
		if rp := h.do(t, userA, http.MethodPut, "/dav/moved.txt", "free"); rp.code != http.StatusNoContent {
			t.Errorf("PUT at the new name = %d, want 204", rp.code)
		}
	})
	t.Run("a locked folder blocks new members", func(t *testing.T) {
		h.mkcol(t, userA, "/dav/lf/")
		tok := h.lock(t, userA, "/dav/lf/")
		if rp := h.do(t, userA, http.MethodPut, "/dav/lf/new.txt", "x"); rp.code != http.StatusLocked {
			t.Errorf("PUT into the locked folder = %d, want 423", rp.code)
		}
		if rp := h.do(t, userA, "MKCOL", "/dav/lf/sub/", ""); rp.code != http.StatusLocked {
			t.Errorf("MKCOL in the locked folder = %d, want 423", rp.code)
		}
		if rp := h.do(t, userA, http.MethodPut, "/dav/lf/new.txt", "x", "If", "(<"+tok+">)"); rp.code != http.StatusCreated {
			t.Errorf("PUT with token = %d, want 201", rp.code)
		}
	})
	t.Run("UNLOCK with a token of another resource answers 409", func(t *testing.T) {
		h.put(t, userA, "/dav/u1.txt", "1")
		h.put(t, userA, "/dav/u2.txt", "2")
		tok := h.lock(t, userA, "/dav/u1.txt")
		if rp := h.do(t, userA, "UNLOCK", "/dav/u2.txt", "", "Lock-Token", "<"+tok+">"); rp.code != http.StatusConflict {
			t.Errorf("UNLOCK = %d, want 409", rp.code)
		}
		if rp := h.do(t, userA, http.MethodPut, "/dav/u1.txt", "x"); rp.code != http.StatusLocked {
			t.Errorf("the lock is gone: PUT = %d, want 423", rp.code)
		}
	})
}
