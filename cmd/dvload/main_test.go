package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/internal/testserver"
)

const testUser, testPass = "load", "load-test-password"

// startServer runs the real docuvault binary with one user and returns a
// client for its WebDAV root.
func startServer(t testing.TB) (*testserver.Server, *client) {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{})
	srv.AddUser(testUser, testPass)
	base, err := url.Parse(srv.URL + "/dav/")
	if err != nil {
		t.Fatal(err)
	}
	return srv, newClient(base, testUser, testPass, 18)
}

func noEnv(string) string { return "" }

// rootEntries counts the entries of the user's root, itself included.
func rootEntries(t testing.TB, c *client) int {
	t.Helper()
	body, err := (&runner{c: c}).list(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	n, err := countResponses(body)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestScenariosReduced(t *testing.T) {
	srv, c := startServer(t)
	var out bytes.Buffer
	err := run(t.Context(), []string{"-url", srv.URL + "/dav/", "-user", testUser, "-pass", testPass,
		"-size", "8MiB", "-small", "200", "-files", "500", "-workers", "8", "-rounds", "2", "-timeout", "5m"},
		noEnv, &out, &out)
	t.Logf("output:\n%s", out.String())
	if err != nil {
		t.Fatalf("run: %v\nserver stderr:\n%s", err, srv.Stderr)
	}
	for _, want := range []string{"PUT 8 MiB (length)", "PUT 8 MiB (chunked)", "GET big-length.bin", "GET big-chunked.bin",
		"GET range 1 MiB", "PUT 4 KiB ×200 (8 workers)", "PUT 64 B ×500", "PROPFIND depth 1, 500 files", "501 entries"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := rootEntries(t, c); n != 1 {
		t.Errorf("root has %d entries after the run, want only itself", n-1)
	}
}

func TestFailuresExitNonZero(t *testing.T) {
	srv, c := startServer(t)
	t.Run("wrong password", func(t *testing.T) {
		err := run(t.Context(), []string{"-url", srv.URL + "/dav/", "-user", testUser, "-pass", "wrong", "-only", "small"},
			noEnv, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("err = %v, want a 401", err)
		}
	})
	t.Run("timeout cleans up", func(t *testing.T) {
		var stderr bytes.Buffer
		err := run(t.Context(), []string{"-url", srv.URL + "/dav/", "-user", testUser, "-pass", testPass,
			"-only", "propfind", "-files", "100000", "-timeout", "1s"}, noEnv, &bytes.Buffer{}, &stderr)
		t.Logf("err: %v\nstderr: %s", err, stderr.String())
		if err == nil {
			t.Fatal("a run cut short by -timeout succeeded")
		}
		if n := rootEntries(t, c); n != 1 {
			t.Errorf("root has %d entries after the run, want only itself", n-1)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		for _, args := range [][]string{{"-user", "u", "-only", "nope"}, {"-user", "u", "-url", "ftp://x/"}, {"-url", "http://127.0.0.1:1/"}} {
			if err := run(t.Context(), args, noEnv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
				t.Errorf("run %q succeeded", args)
			}
		}
	})
}

// TestLargeStreamBoundedMemory sends 1 GiB with a Content-Length and 1 GiB
// chunked, reads both back in full and a range from the middle, and checks
// that the server's peak resident memory stays far below the data's size.
func TestLargeStreamBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 2 GiB through the server")
	}
	const size, bound = 1 << 30, 256 << 20
	srv, c := startServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	r := &runner{c: c, cfg: config{size: size}, dir: "large/"}
	if err := c.check(ctx, "MKCOL", r.dir, nil, 0, nil, http.StatusCreated); err != nil {
		t.Fatal(err)
	}
	base, err := srv.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return r.putBig(ctx, false) },
		func() error { return r.putBig(ctx, true) },
		func() error { return r.getBig(ctx, r.bigs[0]) },
		func() error { return r.getBig(ctx, r.bigs[1]) },
		func() error { return r.getRange(ctx, r.bigs[0]) },
		func() error { return r.getRange(ctx, r.bigs[1]) },
	} {
		if err := step(); err != nil {
			t.Fatalf("%v\nserver stderr:\n%s", err, srv.Stderr)
		}
	}
	peak, err := srv.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	printTable(&table, r.rows)
	t.Logf("\n%s", table.String())
	t.Logf("server peak RSS: %s after sign-in, %s after 2 GiB up and 2 GiB down", fmtBytes(base), fmtBytes(peak))
	if peak > bound {
		t.Errorf("server peak RSS %s exceeds %s", fmtBytes(peak), fmtBytes(bound))
	}
}

func BenchmarkSmallPut(b *testing.B) {
	_, c := startServer(b)
	r := &runner{c: c, cfg: config{workers: 16}, dir: "bench/"}
	if err := c.check(b.Context(), "MKCOL", r.dir, nil, 0, nil, http.StatusCreated); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if _, _, err := r.putMany(b.Context(), r.dir, b.N, 4<<10, smallSeed); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkPropfind10k(b *testing.B) {
	_, c := startServer(b)
	r := &runner{c: c, cfg: config{workers: 16}, dir: "bench/"}
	if err := c.check(b.Context(), "MKCOL", r.dir, nil, 0, nil, http.StatusCreated); err != nil {
		b.Fatal(err)
	}
	if _, _, err := r.putMany(b.Context(), r.dir, 10000, 64, propfindSeed); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := r.list(b.Context(), r.dir); err != nil {
			b.Fatal(err)
		}
	}
}
