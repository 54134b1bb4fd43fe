package backendtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/docuvault/docuvault/backends"
)

// timeSlack is how far a reported ModTime may stray from the wall clock of
// the test: generous for remote clocks, tight enough to catch zero times,
// epoch times, unit mix-ups and lost time zones.
const timeSlack = time.Hour

// pattern returns n deterministic, incompressible bytes; different seeds
// give different bytes.
func pattern(seed uint64, n int) []byte {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

func put(t *testing.T, b backends.Backend, name string, data []byte) backends.FileInfo {
	t.Helper()
	fi, err := b.Put(t.Context(), name, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Put(%q): %v", name, err)
	}
	return fi
}

func mkdir(t *testing.T, b backends.Backend, name string) {
	t.Helper()
	if err := b.Mkdir(t.Context(), name); err != nil {
		t.Fatalf("Mkdir(%q): %v", name, err)
	}
}

func stat(t *testing.T, b backends.Backend, name string) backends.FileInfo {
	t.Helper()
	fi, err := b.Stat(t.Context(), name)
	if err != nil {
		t.Fatalf("Stat(%q): %v", name, err)
	}
	return fi
}

// read returns what Open(name, off, n) yields up to EOF.
func read(t *testing.T, b backends.Backend, name string, off, n int64) ([]byte, error) {
	t.Helper()
	rc, err := b.Open(t.Context(), name, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// wantFile checks that name is a file holding exactly want, by Stat and Open.
func wantFile(t *testing.T, b backends.Backend, name string, want []byte) {
	t.Helper()
	fi, err := b.Stat(t.Context(), name)
	if err != nil {
		t.Errorf("Stat(%q): %v", name, err)
		return
	}
	if fi.IsDir || fi.Size != int64(len(want)) || fi.Name != path.Base(name) {
		t.Errorf("Stat(%q) = {Name %q, Size %d, IsDir %v}, want {%q, %d, false}", name, fi.Name, fi.Size, fi.IsDir, path.Base(name), len(want))
	}
	got, err := read(t, b, name, 0, -1)
	if err != nil {
		t.Errorf("reading %q: %v", name, err)
		return
	}
	if d := diff(got, want); d != "" {
		t.Errorf("content of %q: %s", name, d)
	}
}

// wantDir checks that name is a directory.
func wantDir(t *testing.T, b backends.Backend, name string) {
	t.Helper()
	fi, err := b.Stat(t.Context(), name)
	if err != nil {
		t.Errorf("Stat(%q): %v", name, err)
		return
	}
	if !fi.IsDir || fi.Size != 0 {
		t.Errorf("Stat(%q) = {IsDir %v, Size %d}, want a directory of size 0", name, fi.IsDir, fi.Size)
	}
}

// wantMissing checks that Stat reports name as not existing.
func wantMissing(t *testing.T, b backends.Backend, name string) {
	t.Helper()
	_, err := b.Stat(t.Context(), name)
	wantErr(t, err, fmt.Sprintf("Stat(%q)", name), fs.ErrNotExist)
}

// wantErr checks that err is not nil and, when kinds are given, wraps one of
// them.
func wantErr(t *testing.T, err error, op string, kinds ...error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded, want an error", op)
		return
	}
	if len(kinds) == 0 || slices.ContainsFunc(kinds, func(k error) bool { return errors.Is(err, k) }) {
		return
	}
	t.Errorf("%s: %v; want an error wrapping %v", op, err, errors.Join(kinds...))
}

// list returns the entries of dir by name, failing on duplicates.
func list(t *testing.T, b backends.Backend, dir string) map[string]backends.FileInfo {
	t.Helper()
	l, err := b.List(t.Context(), dir)
	if err != nil {
		t.Fatalf("List(%q): %v", dir, err)
	}
	m := make(map[string]backends.FileInfo, len(l))
	for _, fi := range l {
		if _, dup := m[fi.Name]; dup {
			t.Errorf("List(%q) returns %q twice", dir, fi.Name)
		}
		m[fi.Name] = fi
	}
	return m
}

// wantNames checks that List(dir) returns exactly names.
func wantNames(t *testing.T, b backends.Backend, dir string, names ...string) {
	t.Helper()
	m := list(t, b, dir)
	got := make([]string, 0, len(m))
	for n := range m {
		got = append(got, n)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(names))
	if !slices.Equal(got, want) {
		t.Errorf("List(%q) names = %s, want %s", dir, quote(got), quote(want))
	}
}

func quote(names []string) string {
	if len(names) > 20 {
		return fmt.Sprintf("%d names %q … %q", len(names), names[:3], names[len(names)-3:])
	}
	return fmt.Sprintf("%q", names)
}

// wantTime checks that a reported ModTime is near the wall clock of the test.
func wantTime(t *testing.T, what string, got, start time.Time) {
	t.Helper()
	if got.Before(start.Add(-timeSlack)) || got.After(time.Now().Add(timeSlack)) {
		t.Errorf("%s ModTime = %v, want within %v of %v", what, got, timeSlack, start)
	}
}

// wantDirTime is wantTime for folders, whose ModTime may also be zero
// (unknown): key-value stores know no folder times.
func wantDirTime(t *testing.T, what string, got, start time.Time) {
	t.Helper()
	if !got.IsZero() {
		wantTime(t, what, got, start)
	}
}

// diff describes how got differs from want, or returns "".
func diff(got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return fmt.Sprintf("got %d bytes, want %d; first difference at offset %d", len(got), len(want), i)
}

var errBroken = errors.New("backendtest: reader broke on purpose")

// hookReader reads from r and, once after bytes have been delivered, calls
// hook; a non-nil result fails this and every later Read.
type hookReader struct {
	r     io.Reader
	after int64
	hook  func() error
	n     int64
	fired bool
	err   error
}

func (h *hookReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	if !h.fired && h.n >= h.after {
		h.fired = true
		if h.err = h.hook(); h.err != nil {
			return 0, h.err
		}
	}
	if left := h.after - h.n; !h.fired && int64(len(p)) > left {
		p = p[:left]
	}
	n, err := h.r.Read(p)
	h.n += int64(n)
	return n, err
}

// chunkReader returns at most size bytes per Read, so drivers see the short
// reads a network body produces.
type chunkReader struct {
	r    io.Reader
	size int
}

func (c chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.size {
		p = p[:c.size]
	}
	return c.r.Read(p)
}

// content is what the hostile-name cases store under name.
func content(name string) []byte { return []byte("content of " + name) }
