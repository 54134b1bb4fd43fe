package davfs_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
)

// TestIsolation has B own files, properties and a lock, some at the same
// names A uses, and checks nothing A sends reaches or reveals them.
func TestIsolation(t *testing.T) {
	h := newHarness(t)
	bID := strconv.FormatInt(h.users[userB].ID, 10)

	h.put(t, userB, "/dav/shared.txt", secretB)
	h.mkcol(t, userB, "/dav/bonly/")
	h.put(t, userB, "/dav/bonly/file.txt", secretB)
	h.do(t, userB, "PROPPATCH", "/dav/shared.txt", setColor(secretB))
	h.do(t, userB, "PROPPATCH", "/dav/bonly/", setColor(secretB))
	tokB := h.lock(t, userB, "/dav/shared.txt")
	tokBDir := h.lock(t, userB, "/dav/bonly/")
	h.put(t, userA, "/dav/shared.txt", "alice's")
	h.put(t, userA, "/dav/a.txt", "mine")

	bFiles := snapshot(t, h.userDir(userB), "")
	bLocks := h.storedLocks(t, userB)
	ifB := []string{
		"(<" + tokB + ">)",
		"(<" + tokBDir + ">)",
		"<" + h.dest("/dav/shared.txt") + "> (<" + tokB + ">)",
		"</dav/bonly/> (<" + tokBDir + ">)",
		"(Not <" + tokB + ">)", // true for A, must grant nothing of B's
	}

	t.Run("A reads its own file at a name B also uses", func(t *testing.T) {
		h.wantContent(t, userA, "/dav/shared.txt", "alice's")
	})
	t.Run("A cannot read or list B's names", func(t *testing.T) {
		for _, p := range []string{"/dav/bonly/file.txt", "/dav/bonly/", "/dav/../" + bID + "/shared.txt"} {
			if rp := h.get(t, userA, p); rp.code == http.StatusOK {
				t.Errorf("GET %s = 200", p)
			}
		}
		if rp, _ := h.propfind(t, userA, "/dav/bonly/", "1", ""); rp.code != http.StatusNotFound {
			t.Errorf("PROPFIND /dav/bonly/ = %d, want 404", rp.code)
		}
		rp, ms := h.propfind(t, userA, "/dav/", "1", propfindBody(pColor, pLockDiscovery))
		if rp.code != http.StatusMultiStatus {
			t.Fatalf("PROPFIND = %d", rp.code)
		}
		for href, p := range ms {
			if strings.Contains(href, "bonly") {
				t.Errorf("A's listing shows %s", href)
			}
			if strings.Contains(p[pLockDiscovery].inner, tokB) || strings.Contains(p[pLockDiscovery].inner, tokBDir) {
				t.Errorf("A sees B's lock on %s", href)
			}
		}
	})
	t.Run("B's locks do not restrict A", func(t *testing.T) {
		if rp := h.do(t, userA, http.MethodPut, "/dav/shared.txt", "alice's v2"); rp.code != http.StatusNoContent {
			t.Errorf("PUT = %d, want 204", rp.code)
		}
		tok := h.lock(t, userA, "/dav/shared.txt")
		h.do(t, userA, "UNLOCK", "/dav/shared.txt", "", "Lock-Token", "<"+tok+">")
	})
	t.Run("B's lock tokens grant A nothing", func(t *testing.T) {
		for _, hdr := range ifB[:4] {
			if rp := h.do(t, userA, http.MethodPut, "/dav/shared.txt", "with B's token", "If", hdr); rp.code != http.StatusPreconditionFailed {
				t.Errorf("PUT with If %s = %d, want 412", hdr, rp.code)
			}
			if rp := h.do(t, userA, "LOCK", "/dav/shared.txt", "", "If", hdr, "Timeout", "Second-5"); rp.code < 400 {
				t.Errorf("LOCK refresh with If %s = %d", hdr, rp.code)
			}
			if rp := h.do(t, userA, http.MethodDelete, "/dav/shared.txt", "", "If", hdr); rp.code != http.StatusPreconditionFailed {
				t.Errorf("DELETE with If %s = %d, want 412", hdr, rp.code)
			}
		}
		for _, p := range []string{"/dav/shared.txt", "/dav/bonly/", "/dav/a.txt"} {
			for _, tok := range []string{tokB, tokBDir} {
				if rp := h.do(t, userA, "UNLOCK", p, "", "Lock-Token", "<"+tok+">"); rp.code != http.StatusConflict {
					t.Errorf("UNLOCK %s with B's token = %d, want 409", p, rp.code)
				}
			}
		}
		h.wantContent(t, userA, "/dav/shared.txt", "alice's v2")
	})
	t.Run("A's writes touch only A's files", func(t *testing.T) {
		for _, hdr := range append([]string{""}, ifB...) {
			extra := []string{}
			if hdr != "" {
				extra = []string{"If", hdr}
			}
			h.do(t, userA, "PROPPATCH", "/dav/shared.txt", setColor("alice"), extra...)
			h.do(t, userA, "PROPPATCH", "/dav/bonly/", setColor("alice"), extra...)
			h.do(t, userA, http.MethodPut, "/dav/bonly/file.txt", "overwritten by A", extra...)
			h.do(t, userA, "MKCOL", "/dav/bonly/", "", extra...)
			h.do(t, userA, "COPY", "/dav/a.txt", "", append([]string{"Destination", h.dest("/dav/shared.txt")}, extra...)...)
			h.do(t, userA, "MOVE", "/dav/bonly/file.txt", "", append([]string{"Destination", h.dest("/dav/got.txt")}, extra...)...)
			h.do(t, userA, "COPY", "/dav/bonly/", "", append([]string{"Destination", h.dest("/dav/got/")}, extra...)...)
			h.do(t, userA, "MOVE", "/dav/a.txt", "", append([]string{"Destination", h.dest("/dav/../" + bID + "/shared.txt")}, extra...)...)
			h.put(t, userA, "/dav/a.txt", "mine")
			// Credentials in the Destination URL name nobody.
			h.do(t, userA, "COPY", "/dav/a.txt", "", append([]string{"Destination",
				"http://" + userB + ":" + passB + "@" + h.host + "/dav/shared.txt"}, extra...)...)
			h.do(t, userA, http.MethodDelete, "/dav/bonly/", "", extra...)
			h.do(t, userA, http.MethodDelete, "/dav/shared.txt", "", extra...)
			h.put(t, userA, "/dav/shared.txt", "alice's v3")
		}
	})
	t.Run("B's files, properties and locks are untouched", func(t *testing.T) {
		diffSnapshots(t, "B's files", bFiles, snapshot(t, h.userDir(userB), ""))
		h.wantContent(t, userB, "/dav/shared.txt", secretB)
		for _, p := range []string{"/dav/shared.txt", "/dav/bonly/"} {
			if got := h.props(t, userB, p, pColor)[pColor]; got.inner != secretB {
				t.Errorf("B's color of %s = %+v, want %s", p, got, secretB)
			}
		}
		after := h.storedLocks(t, userB)
		if len(after) != len(bLocks) {
			t.Fatalf("B had %d locks, now %d", len(bLocks), len(after))
		}
		for tok, l := range bLocks {
			if a, ok := after[tok]; !ok || !a.Expires.Equal(l.Expires) || a.Root != l.Root {
				t.Errorf("B's lock %s changed: %+v -> %+v", tok, l, a)
			}
		}
		// And B's locks still bind B.
		if rp := h.do(t, userB, http.MethodPut, "/dav/shared.txt", "x"); rp.code != http.StatusLocked {
			t.Errorf("B's PUT without token = %d, want 423", rp.code)
		}
	})
	t.Run("A's properties are A's", func(t *testing.T) {
		if got := h.props(t, userA, "/dav/shared.txt", pColor)[pColor]; got.inner == secretB {
			t.Errorf("A sees B's property")
		}
	})
}

// storedLocks returns a user's stored locks by token.
func (h *harness) storedLocks(t *testing.T, user string) map[string]store.Lock {
	t.Helper()
	ls, err := h.st.Locks(context.Background(), h.users[user].ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Lock{}
	for _, l := range ls {
		out[l.Token] = l
	}
	return out
}
