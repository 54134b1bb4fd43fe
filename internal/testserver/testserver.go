// Package testserver builds the docuvault binary once per test process and
// runs it as a real server on a free 127.0.0.1 port.
package testserver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary returns the path of a docuvault binary built from this checkout.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "docuvault-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "docuvault")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/docuvault")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Server is a running docuvault serve process.
type Server struct {
	URL     string // e.g. http://127.0.0.1:40123
	DataDir string
	DBURL   string
	Cmd     *exec.Cmd
	Stderr  *Log // the server's standard error, safe to read while it runs
	Stdout  *Log // likewise its standard output
	t       testing.TB
}

// Options configure Start.
type Options struct {
	DataDir     string // default: a fresh temporary directory
	DatabaseURL string // default: SQLite in DataDir
	Env         []string
	Listen      string // default 127.0.0.1:0
}

var listening = regexp.MustCompile(`listening on (https?://[0-9.:]+)/dav/`)

// Start runs docuvault serve and waits until it listens. The process is
// killed when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	s := &Server{DataDir: o.DataDir, DBURL: o.DatabaseURL, Stderr: &Log{}, Stdout: &Log{}, t: t}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	args := []string{"serve", "--listen", o.Listen, "--data", o.DataDir}
	if o.DatabaseURL != "" {
		args = append(args, "--database-url", o.DatabaseURL)
	}
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Stderr = s.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.Cmd = cmd
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.Stdout.Write([]byte(sc.Text() + "\n"))
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		s.URL = u
	case <-time.After(60 * time.Second):
		t.Fatalf("docuvault serve did not start; stderr:\n%s", s.Stderr)
	}
	return s
}

// Log collects a process's output for concurrent reading.
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Run runs a docuvault admin command against the server's data and
// database, feeding stdin, and returns its standard output.
func (s *Server) Run(stdin string, args ...string) (string, error) {
	full := append(args, "--data", s.DataDir)
	if s.DBURL != "" {
		full = append(full, "--database-url", s.DBURL)
	}
	cmd := exec.Command(Binary(s.t), full...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%v: %s", err, errb.String())
	}
	return out.String(), nil
}

// AddUser creates a user with the given password.
func (s *Server) AddUser(name, password string) {
	s.t.Helper()
	if _, err := s.Run(password+"\n", "user", "add", name, "--password-stdin"); err != nil {
		s.t.Fatal(err)
	}
}

// Do sends a request with Basic credentials to path below the server URL.
func (s *Server) Do(ctx context.Context, method, path, user, pass string, body *bytes.Reader, hdr map[string]string) (*http.Response, error) {
	var req *http.Request
	var err error
	if body == nil {
		req, err = http.NewRequestWithContext(ctx, method, s.URL+path, nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, s.URL+path, body)
	}
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(user, pass)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return http.DefaultClient.Do(req)
}

// PeakRSS returns the server process's peak resident memory in bytes
// (VmHWM from /proc).
func (s *Server) PeakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", s.Cmd.Process.Pid)
}
