package mount_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/local"
	"github.com/docuvault/docuvault/backends/mount"
)

func newLocal(t *testing.T) *local.Store {
	s, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func put(t *testing.T, b backends.Backend, name, content string) {
	t.Helper()
	if _, err := b.Put(context.Background(), name, strings.NewReader(content), int64(len(content))); err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
}

func read(t *testing.T, b backends.Backend, name string) string {
	t.Helper()
	rc, err := b.Open(context.Background(), name, 0, -1)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	return string(data)
}

func names(t *testing.T, b backends.Backend, dir string) []string {
	t.Helper()
	list, err := b.List(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, fi := range list {
		out = append(out, fi.Name)
	}
	slices.Sort(out)
	return out
}

func TestMount(t *testing.T) {
	ctx := context.Background()
	home, work := newLocal(t), newLocal(t)
	put(t, home, "/a.txt", "home a")
	home.Mkdir(ctx, "/Work") // shadowed by the mount
	put(t, home, "/Work/hidden.txt", "hidden")
	put(t, work, "/report.txt", "work report")
	m := mount.New(home, map[string]backends.Backend{"Work": work})

	if got := names(t, m, "/"); !slices.Equal(got, []string{"Work", "a.txt"}) {
		t.Fatalf("root = %v", got)
	}
	if got := names(t, m, "/Work"); !slices.Equal(got, []string{"report.txt"}) {
		t.Fatalf("/Work = %v (the home's folder of that name must be hidden)", got)
	}
	if fi, err := m.Stat(ctx, "/Work"); err != nil || !fi.IsDir || fi.Name != "Work" {
		t.Fatalf("stat mount point = %+v, %v", fi, err)
	}
	if got := read(t, m, "/Work/report.txt"); got != "work report" {
		t.Fatalf("read through mount = %q", got)
	}

	t.Run("writes land on the mounted storage", func(t *testing.T) {
		put(t, m, "/Work/new.txt", "new")
		if got := read(t, work, "/new.txt"); got != "new" {
			t.Fatalf("on the mounted storage: %q", got)
		}
	})
	t.Run("move across storages streams and removes the source", func(t *testing.T) {
		if err := m.Mkdir(ctx, "/tree"); err != nil {
			t.Fatal(err)
		}
		m.Mkdir(ctx, "/tree/sub")
		put(t, m, "/tree/sub/deep.txt", "deep")
		put(t, m, "/tree/top.txt", "top")
		if err := m.Move(ctx, "/tree", "/Work/tree"); err != nil {
			t.Fatal(err)
		}
		if got := read(t, work, "/tree/sub/deep.txt"); got != "deep" {
			t.Fatalf("moved file = %q", got)
		}
		if _, err := home.Stat(ctx, "/tree"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("source still there: %v", err)
		}
		if err := m.Move(ctx, "/Work/tree/top.txt", "/top.txt"); err != nil {
			t.Fatal(err)
		}
		if got := read(t, home, "/top.txt"); got != "top" {
			t.Fatalf("moved back = %q", got)
		}
	})
	t.Run("the mount point itself cannot be changed", func(t *testing.T) {
		for name, err := range map[string]error{
			"delete":    m.Delete(ctx, "/Work"),
			"removeall": m.RemoveAll(ctx, "/Work"),
			"move from": m.Move(ctx, "/Work", "/Elsewhere"),
			"move onto": m.Move(ctx, "/a.txt", "/Work"),
		} {
			if !errors.Is(err, fs.ErrPermission) {
				t.Errorf("%s: %v, want ErrPermission", name, err)
			}
		}
		if _, err := m.Put(ctx, "/Work", strings.NewReader("x"), 1); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("put over mount point: %v", err)
		}
		if err := m.Mkdir(ctx, "/Work"); !errors.Is(err, fs.ErrExist) {
			t.Errorf("mkdir mount point: %v", err)
		}
		if got := read(t, work, "/report.txt"); got != "work report" {
			t.Fatal("mounted storage changed")
		}
	})
}

func TestTreeSize(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	b.Mkdir(ctx, "/d")
	b.Mkdir(ctx, "/d/e")
	put(t, b, "/d/one", "1")
	put(t, b, "/d/e/three", "333")
	put(t, b, "/top", "22")
	for name, want := range map[string]int64{"/d": 4, "/top": 2, "/": 6} {
		if n, err := backends.TreeSize(ctx, b, name); err != nil || n != want {
			t.Errorf("TreeSize(%s) = %d, %v; want %d", name, n, err, want)
		}
	}
}
