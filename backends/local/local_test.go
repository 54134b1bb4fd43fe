package local_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/backendtest"
	"github.com/docuvault/docuvault/backends/local"
)

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend { return newStore(t, t.TempDir()) }, backendtest.Options{})
}

func newStore(t *testing.T, dir string) *local.Store {
	t.Helper()
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// tempFiles returns the in-flight upload files below dir on disk.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), local.TempPrefix) {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// gateReader delivers head, then signals reached and waits for a verdict:
// nil delivers tail, an error fails the read.
type gateReader struct {
	head, tail io.Reader
	reached    chan struct{}
	verdict    chan error
	waited     bool
	err        error
}

func (g *gateReader) Read(p []byte) (int, error) {
	if n, err := g.head.Read(p); n > 0 || err != io.EOF {
		return n, err
	}
	if !g.waited {
		g.waited = true
		close(g.reached)
		g.err = <-g.verdict
	}
	if g.err != nil {
		return 0, g.err
	}
	return g.tail.Read(p)
}

func TestTempFilesHidden(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := newStore(t, dir)
	if err := s.Mkdir(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{local.TempPrefix + "planted", "d/" + local.TempPrefix + "planted"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put(ctx, "/d/f", strings.NewReader("old"), 3); err != nil {
		t.Fatal(err)
	}
	wantNames(t, s, "/", "d")
	wantNames(t, s, "/d", "f")

	// While an upload is in flight its temporary file exists but is not listed.
	for _, fail := range []error{nil, errors.New("client went away")} {
		g := &gateReader{head: strings.NewReader("new "), tail: strings.NewReader("content"), reached: make(chan struct{}), verdict: make(chan error)}
		done := make(chan error)
		go func() {
			_, err := s.Put(ctx, "/d/f", g, -1)
			done <- err
		}()
		<-g.reached
		if n := len(tempFiles(t, dir)); n != 3 {
			t.Errorf("%d temporary files on disk during the upload, want 3", n)
		}
		wantNames(t, s, "/d", "f")
		g.verdict <- fail
		if err := <-done; (err == nil) != (fail == nil) {
			t.Errorf("Put with reader error %v returned %v", fail, err)
		}
		if n := len(tempFiles(t, dir)); n != 2 {
			t.Errorf("%d temporary files on disk after the upload, want only the 2 planted", n)
		}
		wantNames(t, s, "/d", "f")
	}
}

func wantNames(t *testing.T, s *local.Store, dir string, want ...string) {
	t.Helper()
	l, err := s.List(t.Context(), dir)
	if err != nil {
		t.Fatalf("List(%q): %v", dir, err)
	}
	var got []string
	for _, fi := range l {
		got = append(got, fi.Name)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("List(%q) = %q, want %q", dir, got, want)
	}
}

// snapshot records every name, content and modification time below dir.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b.WriteString(p + " " + fi.ModTime().String() + "\n")
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			b.Write(data)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Symbolic links planted in the root that lead outside it are neither
// listed nor followed, whatever the operation.
func TestSymlinksOutside(t *testing.T) {
	ctx := t.Context()
	outside := t.TempDir()
	if err := os.Mkdir(filepath.Join(outside, "dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"secret.txt", "dir/inner.txt"} {
		if err := os.WriteFile(filepath.Join(outside, p), []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	s := newStore(t, dir)
	if err := s.Mkdir(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "/a", strings.NewReader("a"), 1); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"link-file":   filepath.Join(outside, "secret.txt"),
		"link-dir":    filepath.Join(outside, "dir"),
		"d/link-dir2": filepath.Join(outside, "dir"),
		"link-up":     "../../../../../../../..",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, outside)

	wantNames(t, s, "/", "a", "d")
	wantNames(t, s, "/d")
	for _, name := range []string{"/link-file", "/link-dir", "/link-dir/inner.txt", "/d/link-dir2", "/d/link-dir2/inner.txt", "/link-up", "/link-up/etc/passwd"} {
		if _, err := s.Stat(ctx, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q): %v, want ErrNotExist", name, err)
		}
		if rc, err := s.Open(ctx, name, 0, -1); err == nil {
			data, _ := io.ReadAll(rc)
			rc.Close()
			t.Errorf("Open(%q) succeeded, read %q", name, data)
		}
		if l, err := s.List(ctx, name); err == nil {
			t.Errorf("List(%q) succeeded with %d entries", name, len(l))
		}
		if err := s.Touch(ctx, name, time.Unix(0, 0)); err == nil {
			t.Errorf("Touch(%q) succeeded", name)
		}
		if err := s.RemoveAll(ctx, name); err == nil {
			t.Errorf("RemoveAll(%q) succeeded", name)
		}
		if err := s.Move(ctx, name, "/stolen"); err == nil {
			t.Errorf("Move(%q) succeeded", name)
		}
	}
	for _, name := range []string{"/link-dir/new.txt", "/link-dir/inner.txt", "/d/link-dir2/inner.txt", "/link-up/tmp/x"} {
		if _, err := s.Put(ctx, name, strings.NewReader("new"), 3); err == nil {
			t.Errorf("Put(%q) succeeded", name)
		}
		if err := s.Mkdir(ctx, name+"-dir"); err == nil {
			t.Errorf("Mkdir(%q) succeeded", name+"-dir")
		}
		if err := s.Delete(ctx, name); err == nil {
			t.Errorf("Delete(%q) succeeded", name)
		}
		if err := s.Move(ctx, "/a", name); err == nil {
			t.Errorf("Move(/a, %q) succeeded", name)
		}
	}
	wantNames(t, s, "/", "a", "d")
	if after := snapshot(t, outside); after != before {
		t.Errorf("outside the root changed:\n%s\nwas:\n%s", after, before)
	}

	// A Put or Delete at a link's own name replaces or removes the link, not
	// what it points to; RemoveAll of a folder holding a link removes the link.
	if _, err := s.Put(ctx, "/link-file", strings.NewReader("mine"), 4); err != nil {
		t.Errorf("Put over a link: %v", err)
	}
	if err := s.Delete(ctx, "/link-dir"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Delete of a link: %v", err)
	}
	if err := s.RemoveAll(ctx, "/d"); err != nil {
		t.Errorf("RemoveAll of a folder holding a link: %v", err)
	}
	if after := snapshot(t, outside); after != before {
		t.Errorf("outside the root changed:\n%s\nwas:\n%s", after, before)
	}
}

// Errors name the user-visible path only, never where the root lives.
func TestErrorsHideRoot(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := newStore(t, dir)
	if err := s.Mkdir(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "/d/f", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 300)
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	for _, name := range []string{"/missing", "/missing/x", "/d/f/x", "/" + long, "/out/x", "/d"} {
		_, err := s.Stat(ctx, name)
		add(err)
		_, err = s.List(ctx, name+"/f")
		add(err)
		_, err = s.Open(ctx, name, 0, -1)
		add(err)
		_, err = s.Put(ctx, name, strings.NewReader("x"), 1)
		add(err)
		add(s.Mkdir(ctx, name))
		add(s.Delete(ctx, name))
		add(s.Move(ctx, "/d/f", name+"/y"))
		add(s.Touch(ctx, name+"/y", time.Now()))
	}
	add(s.Move(ctx, "/d", "/d/sub"))
	add(s.RemoveAll(ctx, "/"))

	// A failing write: the file size limit stands in for a full disk.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1 << 20, Max: lim.Max}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(ctx, "/big", bytes.NewReader(make([]byte, 2<<20)), -1)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	if err == nil {
		t.Error("Put past the file size limit succeeded")
	}
	add(err)

	for _, err := range errs {
		if err == nil {
			continue
		}
		if msg := err.Error(); strings.Contains(msg, dir) || strings.Contains(msg, local.TempPrefix) {
			t.Errorf("error leaks a host path: %v", err)
		}
	}
	if len(tempFiles(t, dir)) != 0 {
		t.Error("a failed write left its temporary file")
	}
}
