package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docuvault/docuvault/internal/testserver"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// upload is a PUT whose body the test feeds by hand.
type upload struct {
	body *io.PipeWriter
	done chan uploadResult
}

type uploadResult struct {
	status int
	err    error
}

func startUpload(t *testing.T, s *testserver.Server, path, user, pass string, size int64) *upload {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest("PUT", s.URL+path, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.SetBasicAuth(user, pass)
	u := &upload{body: pw, done: make(chan uploadResult, 1)}
	client := &http.Client{Transport: &http.Transport{}}
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			u.done <- uploadResult{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		u.done <- uploadResult{status: resp.StatusCode}
	}()
	t.Cleanup(func() { pw.CloseWithError(errors.New("test over")) })
	return u
}

// waitFor polls cond every 20ms, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 3000 {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}

// received reads from the server's metrics how many PUT body bytes it has
// read so far.
func received(t *testing.T, s *testserver.Server) float64 {
	t.Helper()
	_, _, body := get(t, nil, s.URL+"/metrics")
	return metric(body, "docuvault_http_request_body_bytes_total", `method="PUT"`)
}

// exited waits (up to a minute) for the process to exit and returns its
// exit code.
func exited(t *testing.T, s *testserver.Server) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(time.Minute):
		t.Fatalf("the server did not exit after SIGTERM; stderr:\n%s", s.Stderr)
		return -1
	}
}

// usedBytes reads a user's recorded usage and id from the database.
func usedBytes(t *testing.T, s *testserver.Server, name string) (int64, int64) {
	t.Helper()
	dsn := s.DBURL
	if dsn == "" {
		dsn = filepath.Join(s.DataDir, "docuvault.db")
	}
	st, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.UsedBytes, u.ID
}

// TestShutdownLetsUploadsFinish sends SIGTERM to the real binary during an
// upload: the listener closes at once, the upload completes and counts,
// and the process exits 0 having closed the database.
func TestShutdownLetsUploadsFinish(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Env: []string{"DOCUVAULT_SHUTDOWN_TIMEOUT=10m"}})
	s.AddUser("alice", "alice-pw")
	const half = 256 << 10
	first, second := bytes.Repeat([]byte("a"), half), bytes.Repeat([]byte("b"), half)
	up := startUpload(t, s, "/dav/big.bin", "alice", "alice-pw", 2*half)
	if _, err := up.body.Write(first); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first half to arrive", func() bool { return received(t, s) >= half })

	if err := s.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "shutting down", func() bool { return strings.Contains(s.Stderr.String(), "shutting down") })
	addr := strings.TrimPrefix(s.URL, "http://")
	waitFor(t, "the listener to close", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})

	if _, err := up.body.Write(second); err != nil {
		t.Fatal(err)
	}
	up.body.Close()
	if res := <-up.done; res.err != nil || res.status != http.StatusCreated {
		t.Fatalf("the upload running at SIGTERM: %d %v", res.status, res.err)
	}
	if code := exited(t, s); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, s.Stderr)
	}
	log := s.Stderr.String()
	if i, j := strings.Index(log, "shutting down"), strings.Index(log, "database closed"); j < i {
		t.Errorf("the database was not closed after the shutdown:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(s.DataDir, "docuvault.db-wal")); !os.IsNotExist(err) {
		t.Errorf("SQLite's WAL is still there (database not closed): %v", err)
	}
	used, id := usedBytes(t, s, "alice")
	got, err := os.ReadFile(filepath.Join(s.DataDir, "files", strconv.FormatInt(id, 10), "big.bin"))
	if err != nil || !bytes.Equal(got, append(first, second...)) {
		t.Errorf("stored file: %d bytes, %v", len(got), err)
	}
	if used != 2*half {
		t.Errorf("usage %d, want %d", used, 2*half)
	}
}

// TestShutdownAbortsUploads sends SIGTERM during an upload that does not
// finish within --shutdown-timeout: it is aborted with nothing stored, the
// previous version and the quota usage stay, and the process exits 0.
func TestShutdownAbortsUploads(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			o := testserver.Options{Env: []string{"DOCUVAULT_SHUTDOWN_TIMEOUT=1s"}}
			if d == store.Postgres {
				o.DatabaseURL = storetest.URL(t, d)
			}
			s := testserver.Start(t, o)
			s.AddUser("alice", "alice-pw")
			if code := status(t, "PUT", s.URL+"/dav/doc.bin", "alice", "alice-pw", nil, "old"); code != http.StatusCreated {
				t.Fatalf("first PUT: %d", code)
			}
			const size = 1 << 20
			up := startUpload(t, s, "/dav/doc.bin", "alice", "alice-pw", size)
			if _, err := up.body.Write(bytes.Repeat([]byte("n"), size/2)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "half the upload to arrive", func() bool { return received(t, s) >= size/2+3 })

			if err := s.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := exited(t, s); code != 0 {
				t.Fatalf("exit code %d; stderr:\n%s", code, s.Stderr)
			}
			up.body.CloseWithError(errors.New("client gives up"))
			if res := <-up.done; res.err == nil && res.status < 400 {
				t.Errorf("the aborted upload answered %d", res.status)
			}
			log := s.Stderr.String()
			for _, want := range []string{"aborting the requests still running", "database closed"} {
				if !strings.Contains(log, want) {
					t.Errorf("no %q in the log:\n%s", want, log)
				}
			}

			used, id := usedBytes(t, s, "alice")
			if used != 3 {
				t.Errorf("usage %d after the aborted upload, want 3", used)
			}
			dir := filepath.Join(s.DataDir, "files", strconv.FormatInt(id, 10))
			if got, err := os.ReadFile(filepath.Join(dir, "doc.bin")); err != nil || string(got) != "old" {
				t.Errorf("doc.bin after the aborted upload: %q %v", got, err)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if fmt.Sprint(names) != "[doc.bin]" {
				t.Errorf("files left in the user's folder: %v", names)
			}
		})
	}
}
