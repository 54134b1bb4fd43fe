package backendtest

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/backends"
)

func testStatRoot(t *testing.T, b backends.Backend) {
	fi := stat(t, b, "/")
	if !fi.IsDir || fi.Name != "/" || fi.Size != 0 {
		t.Errorf(`Stat("/") = {Name %q, IsDir %v, Size %d}, want {"/", true, 0}`, fi.Name, fi.IsDir, fi.Size)
	}
	wantNames(t, b, "/") // a fresh backend is empty
}

func testPutStatListOpen(t *testing.T, b backends.Backend) {
	start := time.Now()
	data := pattern(1, 1234)
	fi := put(t, b, "/a.txt", data)
	if fi.Name != "a.txt" || fi.Size != 1234 || fi.IsDir {
		t.Errorf("Put returned {Name %q, Size %d, IsDir %v}, want {a.txt, 1234, false}", fi.Name, fi.Size, fi.IsDir)
	}
	wantTime(t, "Put's", fi.ModTime, start)
	wantFile(t, b, "/a.txt", data)
	wantTime(t, "Stat's", stat(t, b, "/a.txt").ModTime, start)

	mkdir(t, b, "/d")
	put(t, b, "/d/b.txt", []byte("b"))
	wantFile(t, b, "/d/b.txt", []byte("b"))
	wantDirTime(t, "a folder's", stat(t, b, "/d").ModTime, start)

	m := list(t, b, "/")
	if len(m) != 2 {
		t.Errorf(`List("/") returned %d entries, want 2`, len(m))
	}
	if f := m["a.txt"]; f.IsDir || f.Size != 1234 {
		t.Errorf(`List("/") a.txt = {IsDir %v, Size %d}, want {false, 1234}`, f.IsDir, f.Size)
	} else {
		wantTime(t, "a listed file's", f.ModTime, start)
	}
	if d := m["d"]; !d.IsDir || d.Size != 0 {
		t.Errorf(`List("/") d = {IsDir %v, Size %d}, want {true, 0}`, d.IsDir, d.Size)
	} else {
		wantDirTime(t, "a listed folder's", d.ModTime, start)
	}
	wantNames(t, b, "/d", "b.txt")
	if f := list(t, b, "/d")["b.txt"]; f.Size != 1 || f.IsDir {
		t.Errorf(`List("/d") b.txt = {IsDir %v, Size %d}, want {false, 1}`, f.IsDir, f.Size)
	}
}

// Missing names and names below missing folders are fs.ErrNotExist.
func testMissing(t *testing.T, b backends.Backend) {
	ctx := t.Context()
	for _, name := range []string{"/nope", "/nope/child", "/nope/deeper/child"} {
		_, err := b.Stat(ctx, name)
		wantErr(t, err, fmt.Sprintf("Stat(%q)", name), fs.ErrNotExist)
		_, err = b.List(ctx, name)
		wantErr(t, err, fmt.Sprintf("List(%q)", name), fs.ErrNotExist)
		_, err = read(t, b, name, 0, -1)
		wantErr(t, err, fmt.Sprintf("Open(%q)", name), fs.ErrNotExist)
		wantErr(t, b.Delete(ctx, name), fmt.Sprintf("Delete(%q)", name), fs.ErrNotExist)
	}
	wantNames(t, b, "/")
}

// A path through a file ("/f/x") names nothing: ErrNotExist or ErrInvalid,
// and nothing changes.
func testPathThroughFile(t *testing.T, b backends.Backend) {
	ctx := t.Context()
	put(t, b, "/f", []byte("file"))
	kinds := []error{fs.ErrNotExist, fs.ErrInvalid}
	_, err := b.Stat(ctx, "/f/x")
	wantErr(t, err, `Stat("/f/x")`, kinds...)
	_, err = b.List(ctx, "/f/x")
	wantErr(t, err, `List("/f/x")`, kinds...)
	_, err = read(t, b, "/f/x", 0, -1)
	wantErr(t, err, `Open("/f/x")`, kinds...)
	_, err = b.Put(ctx, "/f/x", strings.NewReader("y"), 1)
	wantErr(t, err, `Put("/f/x")`, kinds...)
	wantErr(t, b.Mkdir(ctx, "/f/x"), `Mkdir("/f/x")`, kinds...)
	wantErr(t, b.Delete(ctx, "/f/x"), `Delete("/f/x")`, kinds...)
	wantFile(t, b, "/f", []byte("file"))
	wantNames(t, b, "/", "f")
}

func testOpenDir(t *testing.T, b backends.Backend) {
	mkdir(t, b, "/d")
	put(t, b, "/d/f", []byte("x"))
	for _, name := range []string{"/", "/d"} {
		got, err := read(t, b, name, 0, -1)
		wantErr(t, err, fmt.Sprintf("Open(%q)", name), fs.ErrInvalid)
		if err == nil {
			t.Errorf("Open(%q) of a folder yielded %q", name, got)
		}
	}
}

func testListFile(t *testing.T, b backends.Backend) {
	put(t, b, "/f", []byte("x"))
	l, err := b.List(t.Context(), "/f")
	wantErr(t, err, `List("/f") of a file`)
	if err == nil {
		t.Errorf(`List("/f") of a file returned %d entries`, len(l))
	}
}

func testMkdir(t *testing.T, b backends.Backend) {
	ctx := t.Context()
	mkdir(t, b, "/d")
	wantDir(t, b, "/d")
	if fi := stat(t, b, "/d"); fi.Name != "d" {
		t.Errorf(`Stat("/d").Name = %q, want "d"`, fi.Name)
	}
	wantNames(t, b, "/d") // empty, not missing
	mkdir(t, b, "/d/e")
	mkdir(t, b, "/d/e/f")
	wantDir(t, b, "/d/e/f")
	wantNames(t, b, "/d", "e")
	wantNames(t, b, "/d/e", "f")

	put(t, b, "/file", []byte("x"))
	for _, name := range []string{"/", "/d", "/d/e", "/file"} {
		wantErr(t, b.Mkdir(ctx, name), fmt.Sprintf("Mkdir(%q) on an existing name", name), fs.ErrExist)
	}
	wantFile(t, b, "/file", []byte("x"))
	wantErr(t, b.Mkdir(ctx, "/missing/d"), `Mkdir("/missing/d")`, fs.ErrNotExist)
	wantMissing(t, b, "/missing")
	wantNames(t, b, "/", "d", "file")
}

func testDelete(t *testing.T, b backends.Backend) {
	ctx := t.Context()
	put(t, b, "/f", []byte("x"))
	mkdir(t, b, "/d")
	mkdir(t, b, "/e")
	put(t, b, "/e/f", []byte("y"))
	for _, name := range []string{"/f", "/d", "/e/f"} {
		if err := b.Delete(ctx, name); err != nil {
			t.Fatalf("Delete(%q): %v", name, err)
		}
		wantMissing(t, b, name)
		if err := b.Delete(ctx, name); err == nil {
			t.Errorf("second Delete(%q) succeeded", name)
		}
	}
	// Deleting the last file of a folder leaves the folder.
	wantDir(t, b, "/e")
	wantNames(t, b, "/e")
	wantNames(t, b, "/", "e")
}

// Deleting a non-empty folder fails and changes nothing.
func testDeleteNonEmpty(t *testing.T, b backends.Backend) {
	ctx := t.Context()
	mkdir(t, b, "/d")
	put(t, b, "/d/f", []byte("x"))
	mkdir(t, b, "/d/sub")
	mkdir(t, b, "/e")
	mkdir(t, b, "/e/empty") // only an empty folder inside
	for _, name := range []string{"/d", "/e", "/"} {
		wantErr(t, b.Delete(ctx, name), fmt.Sprintf("Delete(%q) of a non-empty folder", name))
	}
	wantFile(t, b, "/d/f", []byte("x"))
	wantDir(t, b, "/d/sub")
	wantDir(t, b, "/e/empty")
	wantNames(t, b, "/", "d", "e")
	wantNames(t, b, "/d", "f", "sub")
}

// Names sharing a prefix stay apart: a key-value store must not treat "/a"
// as the prefix "/a*".
func testPrefixSiblings(t *testing.T, b backends.Backend) {
	ctx := t.Context()
	names := []string{"a", "a b", "a-", "a.txt", "a0", "ab", "a~"}
	mkdir(t, b, "/a")
	for _, n := range names[1:] {
		mkdir(t, b, "/"+n)
		put(t, b, "/"+n+"/x", []byte(n))
	}
	wantNames(t, b, "/a")
	wantNames(t, b, "/", names...)
	if err := b.Delete(ctx, "/a"); err != nil {
		t.Fatalf(`Delete("/a") of an empty folder: %v`, err)
	}
	wantNames(t, b, "/", names[1:]...)
	for _, n := range names[1:] {
		wantFile(t, b, "/"+n+"/x", []byte(n))
	}
}
