package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// fakeEnv is a getenv over a map.
func fakeEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCLI runs the command in-process and returns its stdout and stderr.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(t.Context(), args, fakeEnv(env), strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

// mustCLI is runCLI that fails the test on an error.
func mustCLI(t *testing.T, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, env, stdin, args...)
	if err != nil {
		t.Fatalf("docuvault %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningLine = regexp.MustCompile(`listening on (https?://127\.0\.0\.1:[0-9]+)/dav/`)

// served is an in-process `docuvault serve`.
type served struct {
	URL    string
	Lines  []string // stdout up to and including the listening line
	Stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// startServe runs serve in a goroutine until it prints its listening line.
// It is stopped when the test ends unless Stop was called.
func startServe(t *testing.T, env map[string]string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	s := &served{Stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := run(ctx, append([]string{"serve"}, args...), fakeEnv(env), strings.NewReader(""), pw, s.Stderr)
		pw.Close()
		s.done <- err
	}()
	t.Cleanup(func() { s.Stop() })
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		s.Lines = append(s.Lines, sc.Text())
		if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
			s.URL = m[1]
			break
		}
	}
	go io.Copy(io.Discard, pr) // keep later output from blocking the server
	if s.URL == "" {
		t.Fatalf("serve did not start: %v\nstdout: %q\nstderr: %s", s.Stop(), s.Lines, s.Stderr)
	}
	return s
}

// Stop cancels serve's context and returns what run returned.
func (s *served) Stop() error {
	s.once.Do(func() {
		s.cancel()
		s.err = <-s.done
	})
	return s.err
}

// status sends a request with Basic credentials and returns the status.
func status(t *testing.T, method, url, user, pass string, hdr map[string]string, body string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
