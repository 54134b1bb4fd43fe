package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/internal/testserver"
)

// TestMountedStorageOverWebDAV mounts a second storage as /Work and moves
// and copies across it through WebDAV.
func TestMountedStorageOverWebDAV(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	s.AddUser("alice", "alice-password")
	work := t.TempDir()
	if out, err := s.Run("", "storage", "mount", "alice", "/Work", "--kind", "local", "--dir", work); err != nil {
		t.Fatalf("storage mount: %v\n%s", err, out)
	}
	do := func(method, path, body string, hdr map[string]string) int {
		t.Helper()
		code, _, _ := call(t, s, method, path, "alice-password", hdr, body)
		return code
	}
	dest := func(p string) map[string]string { return map[string]string{"Destination": s.URL + p} }

	if c := do("PUT", "/dav/report.txt", "quarterly", nil); c != 201 {
		t.Fatalf("PUT = %d", c)
	}
	if c := do("MOVE", "/dav/report.txt", "", dest("/dav/Work/report.txt")); c != 201 {
		t.Fatalf("MOVE into the mount = %d", c)
	}
	if b, err := os.ReadFile(filepath.Join(work, "report.txt")); err != nil || string(b) != "quarterly" {
		t.Fatalf("file on the mounted storage: %q, %v", b, err)
	}
	if c := do("GET", "/dav/report.txt", "", nil); c != 404 {
		t.Fatalf("the source is still there: %d", c)
	}
	if c := do("COPY", "/dav/Work/report.txt", "", dest("/dav/copy.txt")); c != 201 {
		t.Fatalf("COPY out of the mount = %d", c)
	}
	if c := do("DELETE", "/dav/Work", "", nil); c < 400 {
		t.Fatalf("DELETE of the mount point = %d, want refused", c)
	}
	code, _, body := call(t, s, "PROPFIND", "/dav/", "alice-password", map[string]string{"Depth": "1"}, "")
	if code != 207 || !strings.Contains(body, "/dav/Work/") || !strings.Contains(body, "/dav/copy.txt") {
		t.Fatalf("PROPFIND of the root = %d:\n%s", code, body)
	}
}
