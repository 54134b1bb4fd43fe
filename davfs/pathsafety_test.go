package davfs_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// plantOutside puts files outside user A's namespace: beside the data
// directory, beside the users' directories, and in B's namespace. It
// returns a snapshot of everything outside A's directory.
func plantOutside(t *testing.T, h *harness) map[string]string {
	t.Helper()
	writeFile(t, filepath.Join(h.root, "outside-secret.txt"), secretOutside)
	writeFile(t, filepath.Join(h.dataDir, "beside-files.txt"), secretOutside)
	writeFile(t, filepath.Join(h.dataDir, "files", "loose.txt"), secretOutside)
	writeFile(t, filepath.Join(h.userDir(userB), "b-secret.txt"), secretB)
	writeFile(t, filepath.Join(h.userDir(userB), "bdir", "deep.txt"), secretB)
	return snapshot(t, h.root, h.userDir(userA))
}

// tryEverything sends every method to rawPath as user A, as source and as
// Destination of COPY and MOVE, and returns the statuses by method.
func tryEverything(t *testing.T, h *harness, rawPath string) map[string]int {
	t.Helper()
	got := map[string]int{}
	note := func(what string, rp reply) { got[what] = rp.code }
	note("GET", h.get(t, userA, rawPath))
	note("HEAD", h.do(t, userA, http.MethodHead, rawPath, ""))
	note("PROPFIND0", h.do(t, userA, "PROPFIND", rawPath, "", "Depth", "0"))
	note("PROPFIND1", h.do(t, userA, "PROPFIND", rawPath, "", "Depth", "1"))
	note("PROPPATCH", h.do(t, userA, "PROPPATCH", rawPath, setColor("x")))
	rp := h.do(t, userA, "LOCK", rawPath, lockBody("exclusive"))
	note("LOCK", rp)
	if tok := rp.hdr.Get("Lock-Token"); tok != "" {
		h.do(t, userA, "UNLOCK", rawPath, "", "Lock-Token", tok)
	}
	note("UNLOCK", h.do(t, userA, "UNLOCK", rawPath, "", "Lock-Token", "<urn:uuid:00000000-0000-4000-8000-000000000000>"))
	note("COPY-from", h.do(t, userA, "COPY", rawPath, "", "Destination", h.dest("/dav/copied-out")))
	note("MOVE-from", h.do(t, userA, "MOVE", rawPath, "", "Destination", h.dest("/dav/moved-out")))
	h.put(t, userA, "/dav/a.txt", "mine")
	note("COPY-to", h.do(t, userA, "COPY", "/dav/a.txt", "", "Destination", h.dest(rawPath)))
	h.put(t, userA, "/dav/a.txt", "mine")
	note("MOVE-to", h.do(t, userA, "MOVE", "/dav/a.txt", "", "Destination", h.dest(rawPath)))
	h.put(t, userA, "/dav/a.txt", "mine")
	note("PUT", h.do(t, userA, http.MethodPut, rawPath, "overwritten by A"))
	note("MKCOL", h.do(t, userA, "MKCOL", rawPath, ""))
	note("DELETE", h.do(t, userA, http.MethodDelete, rawPath, ""))
	return got
}

func TestPathSafety(t *testing.T) {
	h := newHarness(t)
	outside := plantOutside(t, h)
	bID := strconv.FormatInt(h.users[userB].ID, 10)
	h.put(t, userA, "/dav/a.txt", "mine")

	// Paths that climb: they must resolve inside A's namespace, whatever
	// they then do there.
	climbing := []string{
		"/dav/..",
		"/dav/../outside-secret.txt",
		"/dav/../../../outside-secret.txt",
		"/dav/%2e%2e/%2e%2e/%2e%2e/outside-secret.txt",
		"/dav/%2E%2E/%2E%2E/beside-files.txt",
		"/dav/..%2f..%2f..%2foutside-secret.txt",
		"/dav/%2e%2e%2f%2e%2e%2floose.txt",
		"/dav/../" + bID + "/b-secret.txt",
		"/dav/%2e%2e%2f" + bID + "%2fb-secret.txt",
		"/dav/..%2f" + bID + "%2fbdir%2fdeep.txt",
		"/dav/a.txt/../../" + bID + "/bdir/",
		"/dav//../../outside-secret.txt",
		"/dav/./../loose.txt",
	}
	for _, p := range climbing {
		t.Run("climbing "+p, func(t *testing.T) {
			got := tryEverything(t, h, p)
			if got["GET"] == http.StatusOK {
				t.Errorf("GET answered 200") // nothing of A's has these names
			}
		})
	}

	// Names davfs refuses outright.
	refused := []string{
		"/dav/..%5c..%5c..%5coutside-secret.txt",
		"/dav/%5c..%5c" + bID + "%5cb-secret.txt",
		"/dav/a%5cb.txt",
		"/dav/a.txt%00",
		"/dav/%00/../outside-secret.txt",
		"/dav/" + strings.Repeat("a", 300),
		"/dav/" + strings.Repeat("a", 300) + "/x.txt",
		"/dav/.docuvault-upload-0123456789abcdef",
		"/dav/sub/.docuvault-upload-x",
	}
	for _, p := range refused {
		t.Run("refused "+p, func(t *testing.T) {
			for what, code := range tryEverything(t, h, p) {
				if code != http.StatusBadRequest {
					t.Errorf("%s = %d, want 400", what, code)
				}
			}
		})
	}

	t.Run("an in-flight upload file is neither listed nor reachable", func(t *testing.T) {
		tmp := filepath.Join(h.userDir(userA), ".docuvault-upload-feedface")
		writeFile(t, tmp, "partial upload")
		rp, _ := h.propfind(t, userA, "/dav/", "1", "")
		if rp.code != http.StatusMultiStatus || strings.Contains(rp.body, "docuvault-upload") {
			t.Errorf("PROPFIND = %d lists the temporary file:\n%s", rp.code, rp.body)
		}
		tryEverything(t, h, "/dav/.docuvault-upload-feedface")
		if b, err := os.ReadFile(tmp); err != nil || string(b) != "partial upload" {
			t.Errorf("the temporary file changed: %q, %v", b, err)
		}
		os.Remove(tmp)
	})

	t.Run("nothing outside A's namespace changed", func(t *testing.T) {
		diffSnapshots(t, "outside A", outside, snapshot(t, h.root, h.userDir(userA)))
	})
}

func TestSymlinksAreNotFollowed(t *testing.T) {
	h := newHarness(t)
	outside := plantOutside(t, h)
	bID := strconv.FormatInt(h.users[userB].ID, 10)
	aDir := h.userDir(userA)
	links := map[string]string{
		"link-outside-file": filepath.Join(h.root, "outside-secret.txt"),
		"link-outside-dir":  h.root,
		"link-data-dir":     "../..",
		"link-b-dir":        h.userDir(userB),
		"link-b-rel":        "../" + bID,
		"link-b-file":       filepath.Join(h.userDir(userB), "b-secret.txt"),
		"sub/link-up":       "../../" + bID + "/b-secret.txt",
		"sub/link-updir":    "../../" + bID,
	}
	for name, target := range links {
		if err := os.MkdirAll(filepath.Join(aDir, filepath.Dir(name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(aDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	h.put(t, userA, "/dav/a.txt", "mine")

	t.Run("links are not listed", func(t *testing.T) {
		for _, dir := range []string{"/dav/", "/dav/sub/"} {
			rp, ms := h.propfind(t, userA, dir, "1", "")
			if rp.code != http.StatusMultiStatus {
				t.Fatalf("PROPFIND %s = %d", dir, rp.code)
			}
			for href := range ms {
				if strings.Contains(href, "link-") {
					t.Errorf("PROPFIND %s lists %s", dir, href)
				}
			}
		}
	})

	// Names at a link, and through it to what lies behind it.
	var at, through []string
	for name := range links {
		at = append(at, "/dav/"+name, "/dav/"+name+"/")
		for _, suffix := range []string{"/b-secret.txt", "/outside-secret.txt", "/bdir/deep.txt", "/" + bID + "/b-secret.txt"} {
			through = append(through, "/dav/"+name+suffix)
		}
	}
	t.Run("links are not followed for reading", func(t *testing.T) {
		for _, p := range append(at, through...) {
			if rp := h.get(t, userA, p); rp.code == http.StatusOK {
				t.Errorf("GET %s = 200", p)
			}
			if rp := h.do(t, userA, "PROPFIND", p, "", "Depth", "1"); rp.code == http.StatusMultiStatus {
				t.Errorf("PROPFIND %s = 207", p)
			}
			if rp := h.do(t, userA, "COPY", p, "", "Destination", h.dest("/dav/stolen")); rp.code < 400 {
				t.Errorf("COPY %s = %d", p, rp.code)
			}
		}
		if rp := h.get(t, userA, "/dav/stolen"); rp.code != http.StatusNotFound {
			t.Errorf("GET /dav/stolen = %d, want 404", rp.code)
		}
	})
	t.Run("links are not followed for writing", func(t *testing.T) {
		for _, p := range through {
			for _, m := range []string{http.MethodPut, "MKCOL", http.MethodDelete, "PROPPATCH", "LOCK"} {
				body := map[string]string{http.MethodPut: "overwritten by A", "PROPPATCH": setColor("x"), "LOCK": lockBody("exclusive")}[m]
				if rp := h.do(t, userA, m, p, body); rp.code < 400 {
					t.Errorf("%s %s = %d", m, p, rp.code)
				}
			}
			if rp := h.do(t, userA, "MOVE", p, "", "Destination", h.dest("/dav/stolen")); rp.code < 400 {
				t.Errorf("MOVE %s = %d", p, rp.code)
			}
			h.put(t, userA, "/dav/a.txt", "mine")
			for _, m := range []string{"COPY", "MOVE"} {
				if rp := h.do(t, userA, m, "/dav/a.txt", "", "Destination", h.dest(p)); rp.code < 400 {
					t.Errorf("%s to %s = %d", m, p, rp.code)
				}
			}
		}
		diffSnapshots(t, "outside A", outside, snapshot(t, h.root, aDir))
	})
	t.Run("DELETE of a link does not reach its target", func(t *testing.T) {
		for _, p := range at {
			if rp := h.do(t, userA, http.MethodDelete, p, ""); rp.code != http.StatusNotFound {
				t.Errorf("DELETE %s = %d, want 404", p, rp.code)
			}
		}
		if rp := h.do(t, userA, http.MethodDelete, "/dav/sub/", ""); rp.code != http.StatusNoContent {
			t.Errorf("DELETE /dav/sub/ = %d, want 204", rp.code)
		}
		diffSnapshots(t, "outside A", outside, snapshot(t, h.root, aDir))
	})
	t.Run("PUT at a link replaces the link, not its target", func(t *testing.T) {
		for name := range links {
			if strings.HasPrefix(name, "sub/") {
				continue // deleted above
			}
			h.do(t, userA, http.MethodPut, "/dav/"+name, "overwritten by A")
			if fi, err := os.Lstat(filepath.Join(aDir, name)); err == nil && fi.Mode()&os.ModeSymlink == 0 {
				// Replaced: A now has a plain file of that name.
				h.wantContent(t, userA, "/dav/"+name, "overwritten by A")
			}
		}
		diffSnapshots(t, "outside A", outside, snapshot(t, h.root, aDir))
	})
}
