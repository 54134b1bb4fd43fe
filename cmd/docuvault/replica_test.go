package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/internal/testserver"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// replicas starts two servers on one PostgreSQL schema and one data dir,
// as two replicas on one host would run, with user alice.
func replicas(t *testing.T) (s1, s2 *testserver.Server) {
	t.Helper()
	o := testserver.Options{DataDir: t.TempDir(), DatabaseURL: storetest.URL(t, store.Postgres)}
	s1 = testserver.Start(t, o)
	s2 = testserver.Start(t, o)
	s1.AddUser("alice", "alice-pw-1")
	return s1, s2
}

// call sends a request and returns the status, headers and body.
func call(t *testing.T, s *testserver.Server, method, path, pass string, hdr map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	var rd *bytes.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	resp, err := s.Do(t.Context(), method, path, "alice", pass, rd, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

const lockBody = `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>replica test</D:owner></D:lockinfo>`

const lockDiscoveryBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>`

func TestReplicasShareLocks(t *testing.T) {
	const pw = "alice-pw-1"
	s1, s2 := replicas(t)
	const doc = "/dav/report.txt"
	if code, _, _ := call(t, s1, "PUT", doc, pw, nil, "v1"); code != http.StatusCreated {
		t.Fatalf("PUT through server 1: %d", code)
	}

	code, hdr, _ := call(t, s1, "LOCK", doc, pw, map[string]string{"Timeout": "Second-600"}, lockBody)
	token := strings.Trim(hdr.Get("Lock-Token"), "<>")
	if code != http.StatusOK || token == "" {
		t.Fatalf("LOCK through server 1: %d, Lock-Token %q", code, hdr.Get("Lock-Token"))
	}
	withToken := map[string]string{"If": "(<" + token + ">)"}

	t.Run("server 2 sees the lock", func(t *testing.T) {
		if code, _, _ := call(t, s2, "PUT", doc, pw, nil, "v2"); code != http.StatusLocked {
			t.Errorf("PUT without the token through server 2: %d, want 423", code)
		}
		if code, _, _ := call(t, s2, "DELETE", doc, pw, nil, ""); code != http.StatusLocked {
			t.Errorf("DELETE without the token through server 2: %d, want 423", code)
		}
		if code, _, _ := call(t, s2, "LOCK", doc, pw, nil, lockBody); code != http.StatusLocked {
			t.Errorf("a second exclusive LOCK through server 2: %d, want 423", code)
		}
		code, _, body := call(t, s2, "PROPFIND", doc, pw, map[string]string{"Depth": "0"}, lockDiscoveryBody)
		if code != http.StatusMultiStatus || !strings.Contains(body, token) {
			t.Errorf("PROPFIND lockdiscovery through server 2: %d, token missing from\n%s", code, body)
		}
	})
	t.Run("server 2 accepts the token", func(t *testing.T) {
		refresh := map[string]string{"If": withToken["If"], "Timeout": "Second-900"}
		if code, _, body := call(t, s2, "LOCK", doc, pw, refresh, ""); code != http.StatusOK || !strings.Contains(body, token) {
			t.Errorf("refreshing LOCK through server 2: %d\n%s", code, body)
		}
		if code, _, _ := call(t, s2, "PUT", doc, pw, withToken, "v3"); code != http.StatusNoContent {
			t.Errorf("PUT with the token through server 2: %d, want 204", code)
		}
		// The replicas share the data dir, so server 1 serves the new content.
		if code, _, body := call(t, s1, "GET", doc, pw, nil, ""); code != http.StatusOK || body != "v3" {
			t.Errorf("GET through server 1: %d %q, want 200 \"v3\"", code, body)
		}
	})
	t.Run("unlock through server 2 frees it on server 1", func(t *testing.T) {
		if code, _, _ := call(t, s2, "UNLOCK", doc, pw, map[string]string{"Lock-Token": "<" + token + ">"}, ""); code != http.StatusNoContent {
			t.Fatalf("UNLOCK through server 2: %d, want 204", code)
		}
		code, _, body := call(t, s1, "PROPFIND", doc, pw, map[string]string{"Depth": "0"}, lockDiscoveryBody)
		if code != http.StatusMultiStatus || strings.Contains(body, "activelock") || strings.Contains(body, token) {
			t.Errorf("PROPFIND lockdiscovery through server 1: %d, want no active lock in\n%s", code, body)
		}
		if code, _, _ := call(t, s1, "PUT", doc, pw, nil, "v4"); code != http.StatusNoContent {
			t.Errorf("PUT without a token through server 1: %d, want 204", code)
		}
		if code, _, _ := call(t, s1, "UNLOCK", doc, pw, map[string]string{"Lock-Token": "<" + token + ">"}, ""); code != http.StatusConflict {
			t.Errorf("a second UNLOCK through server 1: %d, want 409", code)
		}
	})
}

func TestReplicasShareCredentialChanges(t *testing.T) {
	s1, s2 := replicas(t)
	both := []*testserver.Server{s1, s2}
	depth0 := map[string]string{"Depth": "0"}
	// expect checks a PROPFIND of the root as alice on both servers.
	expect := func(t *testing.T, pass string, want int) {
		t.Helper()
		for i, s := range both {
			if code, _, _ := call(t, s, "PROPFIND", "/dav/", pass, depth0, ""); code != want {
				t.Errorf("server %d, password %q: %d, want %d", i+1, pass, code, want)
			}
		}
	}
	cli := func(t *testing.T, stdin string, args ...string) {
		t.Helper()
		if _, err := s1.Run(stdin, args...); err != nil {
			t.Fatal(err)
		}
	}
	expect(t, "alice-pw-1", http.StatusMultiStatus) // now cached on both

	t.Run("passwd", func(t *testing.T) {
		cli(t, "alice-pw-2\n", "user", "passwd", "alice", "--password-stdin")
		expect(t, "alice-pw-1", http.StatusUnauthorized)
		expect(t, "alice-pw-2", http.StatusMultiStatus)
	})
	t.Run("disable", func(t *testing.T) {
		cli(t, "", "user", "disable", "alice")
		expect(t, "alice-pw-2", http.StatusUnauthorized)
	})
	t.Run("enable", func(t *testing.T) {
		cli(t, "", "user", "enable", "alice")
		expect(t, "alice-pw-2", http.StatusMultiStatus)
	})
	t.Run("delete", func(t *testing.T) {
		cli(t, "", "user", "delete", "alice")
		expect(t, "alice-pw-2", http.StatusUnauthorized)
	})
}

// TestReplicasStartTogether starts two servers at once on an empty schema:
// both must migrate and start, and exactly one creates the first admin.
func TestReplicasStartTogether(t *testing.T) {
	bin := testserver.Binary(t)
	dbURL, dir := storetest.URL(t, store.Postgres), t.TempDir()
	type started struct {
		lines  []string
		ok     bool
		stderr *syncBuffer
	}
	results := make(chan started, 2)
	for range 2 {
		cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data", dir, "--database-url", dbURL)
		res := started{stderr: &syncBuffer{}}
		cmd.Stderr = res.stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				res.lines = append(res.lines, sc.Text())
				if listeningLine.MatchString(sc.Text()) {
					res.ok = true
					break
				}
			}
			go io.Copy(io.Discard, out)
			results <- res
		}()
	}
	admins := 0
	for range 2 {
		res := <-results // each process either listens or exits, closing stdout
		if !res.ok {
			t.Errorf("a replica did not start: stdout %q\nstderr:\n%s", res.lines, res.stderr)
		}
		for _, l := range res.lines {
			if firstAdminLine.MatchString(l) {
				admins++
			}
		}
	}
	if admins != 1 {
		t.Errorf("%d replicas printed a first-admin password, want 1", admins)
	}
}
