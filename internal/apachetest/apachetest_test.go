package apachetest_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/internal/apachetest"
)

// TestStart checks that the server answers WebDAV with the credentials,
// refuses without them and stores files in Dir.
func TestStart(t *testing.T) {
	s := apachetest.Start(t)

	resp, err := http.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET without credentials: %d, want 401", resp.StatusCode)
	}

	for _, c := range []struct {
		method, path string
		body         string
		want         int
	}{
		{"MKCOL", "folder", "", http.StatusCreated},
		{"PUT", "folder/a.txt", "hello", http.StatusCreated},
		{"PROPFIND", "folder/", "", http.StatusMultiStatus},
	} {
		req := s.NewRequest(c.method, c.path, []byte(c.body))
		if c.method == "PROPFIND" {
			req.Header.Set("Depth", "1")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Fatalf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.want)
		}
	}
	b, err := os.ReadFile(filepath.Join(s.Dir, "folder", "a.txt"))
	if err != nil || string(b) != "hello" {
		t.Fatalf("file on disk: %q, %v", b, err)
	}

	// Only the DAV directory is served: not the password file beside it.
	req, _ := http.NewRequest("GET", strings.TrimSuffix(s.URL, "dav/")+"htpasswd", nil)
	req.SetBasicAuth(s.User, s.Password)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /htpasswd: %d, want 403", resp.StatusCode)
	}

	s.Restart()
	resp, err = http.DefaultClient.Do(s.NewRequest("GET", "folder/a.txt", nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "hello" {
		t.Fatalf("GET after restart: %d %q", resp.StatusCode, b)
	}
}
