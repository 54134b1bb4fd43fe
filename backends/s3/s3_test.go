package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/backendtest"
	"github.com/docuvault/docuvault/backends/s3"
)

func TestConformance(t *testing.T) {
	e := newEnv(t)
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		return e.store(randomPrefix()) // a fresh, empty namespace per subtest
	}, backendtest.Options{MaxUploadHeap: 64 << 20})
}

func TestPrefixIsolation(t *testing.T) {
	e := newEnv(t)
	e.rawPut("other/secret.txt", "x")
	e.rawPut("userx.txt", "x") // shares the prefix's first bytes, not its folder
	st := e.store("/user/")
	if got := names(t, st, "/"); len(got) != 0 {
		t.Fatalf("fresh prefix lists %v", got)
	}
	put(t, st, "/a.txt", "a")
	if got := e.keys(""); !slices.Equal(got, []string{"other/secret.txt", "user/a.txt", "userx.txt"}) {
		t.Fatalf("keys %v", got)
	}
	// The whole bucket as a namespace.
	whole := e.store("")
	if got := names(t, whole, "/"); !slices.Equal(got, []string{"other/", "user/", "userx.txt"}) {
		t.Fatalf("bucket root lists %v", got)
	}
	if got := read(t, whole, "/user/a.txt"); got != "a" {
		t.Fatalf("read %q", got)
	}
}

func TestEmptyFolderMarker(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	mkdir(t, st, "/empty")
	if got := e.keys(""); !slices.Equal(got, []string{"p/empty/"}) {
		t.Fatalf("keys after mkdir: %v", got)
	}
	fi, err := st.Stat(ctx(t), "/empty")
	if err != nil || !fi.IsDir || fi.Name != "empty" {
		t.Fatalf("stat empty folder: %+v %v", fi, err)
	}
	if got := names(t, st, "/"); !slices.Equal(got, []string{"empty/"}) {
		t.Fatalf("root lists %v", got)
	}
	if got := names(t, st, "/empty"); len(got) != 0 {
		t.Fatalf("empty folder lists %v", got)
	}
	wantErr(t, st.Mkdir(ctx(t), "/empty"), fs.ErrExist, "mkdir existing")

	// A file in it and out again: the folder stays.
	put(t, st, "/empty/f", "x")
	if err := st.Delete(ctx(t), "/empty/f"); err != nil {
		t.Fatal(err)
	}
	if fi, err := st.Stat(ctx(t), "/empty"); err != nil || !fi.IsDir {
		t.Fatalf("folder gone after its file: %v", err)
	}
	if err := st.Delete(ctx(t), "/empty"); err != nil {
		t.Fatal(err)
	}
	if got := e.keys(""); len(got) != 0 {
		t.Fatalf("keys after delete: %v", got)
	}
	wantNotExist(t, st, "/empty")
}

func TestFolderWithoutMarker(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	e.rawPut("p/implicit/deep/x.txt", "x") // written by another tool: no markers
	for _, dir := range []string{"/implicit", "/implicit/deep"} {
		fi, err := st.Stat(ctx(t), dir)
		if err != nil || !fi.IsDir {
			t.Fatalf("stat %s: %+v %v", dir, fi, err)
		}
		wantErr(t, st.Mkdir(ctx(t), dir), fs.ErrExist, "mkdir "+dir)
	}
	if got := names(t, st, "/implicit"); !slices.Equal(got, []string{"deep/"}) {
		t.Fatalf("lists %v", got)
	}
	wantErr(t, st.Delete(ctx(t), "/implicit"), fs.ErrExist, "delete non-empty folder")
	put(t, st, "/implicit/deep/y.txt", "y") // the parent counts as existing
	// Deleting the last files keeps the folder, now with a marker.
	for _, n := range []string{"/implicit/deep/x.txt", "/implicit/deep/y.txt"} {
		if err := st.Delete(ctx(t), n); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.keys(""); !slices.Equal(got, []string{"p/implicit/deep/"}) {
		t.Fatalf("keys %v", got)
	}
	if got := names(t, st, "/implicit/deep"); len(got) != 0 {
		t.Fatalf("lists %v", got)
	}
}

func TestParents(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	wantErr(t, st.Mkdir(ctx(t), "/a/b"), fs.ErrNotExist, "mkdir without parent")
	_, err := st.Put(ctx(t), "/a/x", strings.NewReader("x"), 1)
	wantErr(t, err, fs.ErrNotExist, "put without parent")
	put(t, st, "/file", "f")
	_, err = st.Put(ctx(t), "/file/x", strings.NewReader("x"), 1)
	wantErr(t, err, fs.ErrInvalid, "put below a file")
	wantErr(t, st.Mkdir(ctx(t), "/file/d"), fs.ErrInvalid, "mkdir below a file")
	wantErr(t, st.Mkdir(ctx(t), "/file"), fs.ErrExist, "mkdir over a file")
	mkdir(t, st, "/dir")
	_, err = st.Put(ctx(t), "/dir", strings.NewReader("x"), 1)
	wantErr(t, err, fs.ErrInvalid, "put over a folder")
	_, err = st.List(ctx(t), "/file")
	wantErr(t, err, fs.ErrInvalid, "list a file")
	_, err = st.List(ctx(t), "/missing")
	wantErr(t, err, fs.ErrNotExist, "list missing")
	_, err = st.Open(ctx(t), "/dir", 0, -1)
	wantErr(t, err, fs.ErrInvalid, "open a folder")
	_, err = st.Open(ctx(t), "/missing", 0, -1)
	wantErr(t, err, fs.ErrNotExist, "open missing")
	wantErr(t, st.Delete(ctx(t), "/missing"), fs.ErrNotExist, "delete missing")
	wantErr(t, st.Delete(ctx(t), "/"), fs.ErrPermission, "delete root")
	if got := e.keys(""); !slices.Equal(got, []string{"p/dir/", "p/file"}) {
		t.Fatalf("keys %v", got)
	}
}

func TestListPagination(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	mkdir(t, st, "/big")
	const files, dirs = 2050, 30
	var want []string
	for i := range files {
		want = append(want, fmt.Sprintf("f%05d", i))
	}
	for i := range dirs {
		want = append(want, fmt.Sprintf("d%03d/", i))
	}
	slices.Sort(want)
	// Written with the raw client, 16 at a time.
	var wg sync.WaitGroup
	keys := make(chan string)
	for range 16 {
		wg.Go(func() {
			for k := range keys {
				e.rawPut(k, "x")
			}
		})
	}
	for i := range files {
		keys <- fmt.Sprintf("p/big/f%05d", i)
	}
	for i := range dirs { // folders with two keys each, one of them a marker
		keys <- fmt.Sprintf("p/big/d%03d/", i)
		keys <- fmt.Sprintf("p/big/d%03d/inner", i)
	}
	close(keys)
	wg.Wait()
	got := names(t, st, "/big")
	if !slices.Equal(got, want) {
		t.Fatalf("listed %d entries, want %d (first %v)", len(got), len(want), got[:min(5, len(got))])
	}
	if err := st.RemoveAll(ctx(t), "/big"); err != nil {
		t.Fatal(err)
	}
	if got := e.keys("p/big"); len(got) != 0 {
		t.Fatalf("%d keys left after RemoveAll", len(got))
	}
}

// hostile names from rclone's fixtures and more.
var hostile = []string{
	"hello? sausage", "êé", "Hello, 世界", `" ' @ < > & ? + ≠`, "z.txt", "a#b%20c%2Fd", "100% & more",
	"tab\there", "semi;colon=eq", "back\\slash", "~tilde", "`tick`", "[x]{y}(z)", " lead and trail ",
	"emoji 😀", "ＦＵＬＬ", "..dots..", "%", "+plus+", "question?mark#hash",
}

func TestHostileNames(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	for i, n := range hostile {
		dir := "/" + n
		mkdir(t, st, dir)
		file := path.Join(dir, n)
		content := fmt.Sprintf("content %d", i)
		fi := put(t, st, file, content)
		if fi.Name != n {
			t.Errorf("put %q: name %q", file, fi.Name)
		}
		if got := read(t, st, file); got != content {
			t.Errorf("read %q: %q", file, got)
		}
		if got := names(t, st, dir); !slices.Equal(got, []string{n}) {
			t.Errorf("list %q: %q", dir, got)
		}
		moved := path.Join(dir, "moved "+n)
		if err := st.Move(ctx(t), file, moved); err != nil {
			t.Errorf("move %q: %v", file, err)
		}
		if got := read(t, st, moved); got != content {
			t.Errorf("read %q: %q", moved, got)
		}
		if err := st.Move(ctx(t), dir, dir+" renamed"); err != nil {
			t.Errorf("move %q: %v", dir, err)
		}
		if got := read(t, st, path.Join(dir+" renamed", "moved "+n)); got != content {
			t.Errorf("read after folder move %q", got)
		}
	}
	got := names(t, st, "/")
	if len(got) != len(hostile) {
		t.Fatalf("root lists %d entries, want %d: %q", len(got), len(hostile), got)
	}
	for _, n := range hostile {
		if !slices.Contains(got, n+" renamed/") {
			t.Errorf("root misses %q", n+" renamed/")
		}
		if err := st.RemoveAll(ctx(t), "/"+n+" renamed"); err != nil {
			t.Error(err)
		}
	}
	if k := e.keys(""); len(k) != 0 {
		t.Fatalf("keys left: %q", k)
	}
}

func TestETag(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	a := put(t, st, "/f", "one")
	oi, err := e.raw.StatObject(ctx(t), e.bucket, "p/f", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.ETag == "" || a.ETag != oi.ETag {
		t.Fatalf("put ETag %q, object ETag %q", a.ETag, oi.ETag)
	}
	b := put(t, st, "/f", "two")
	if b.ETag == a.ETag {
		t.Fatal("ETag unchanged by new content")
	}
	fi, _ := st.Stat(ctx(t), "/f")
	list, _ := st.List(ctx(t), "/")
	if fi.ETag != b.ETag || len(list) != 1 || list[0].ETag != b.ETag {
		t.Fatalf("stat %q, list %+v, put %q", fi.ETag, list, b.ETag)
	}
	if !fi.ModTime.Equal(list[0].ModTime) || fi.Size != 3 || list[0].Size != 3 {
		t.Fatalf("stat %+v vs list %+v", fi, list[0])
	}
}

func TestOpenRange(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	put(t, st, "/f", "0123456789")
	put(t, st, "/empty", "")
	for _, c := range []struct {
		name        string
		off, length int64
		want        string
	}{
		{"/f", 0, -1, "0123456789"}, {"/f", 3, -1, "3456789"}, {"/f", 3, 4, "3456"},
		{"/f", 8, 10, "89"}, {"/f", 10, -1, ""}, {"/f", 20, 5, ""}, {"/f", 2, 0, ""},
		{"/empty", 0, -1, ""}, {"/empty", 0, 5, ""},
	} {
		rc, err := st.Open(ctx(t), c.name, c.off, c.length)
		if err != nil {
			t.Fatalf("open %s %d+%d: %v", c.name, c.off, c.length, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != c.want {
			t.Errorf("open %s %d+%d: %q %v, want %q", c.name, c.off, c.length, got, err, c.want)
		}
	}
}

// TestMoveFolder moves a folder of 50 nested keys, one a marker of an empty
// folder, onto a new name and onto an existing empty folder.
func TestMoveFolder(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	want := buildTree(t, st, "/src")
	mkdir(t, st, "/dst") // an existing empty folder may be replaced
	if err := st.Move(ctx(t), "/src", "/dst"); err != nil {
		t.Fatal(err)
	}
	wantNotExist(t, st, "/src")
	checkTree(t, st, "/dst", want)
	if got := len(e.keys("p/dst/")); got != 50 {
		t.Fatalf("%d keys below dst, want 50", got)
	}
	if got := e.keys("p/src"); len(got) != 0 {
		t.Fatalf("keys left at source: %v", got)
	}
	// Onto a folder that is not empty, or a file: refused.
	buildTree(t, st, "/again")
	wantErr(t, st.Move(ctx(t), "/again", "/dst"), fs.ErrExist, "move onto non-empty folder")
	put(t, st, "/file", "f")
	wantErr(t, st.Move(ctx(t), "/again", "/file"), fs.ErrExist, "move folder onto file")
	wantErr(t, st.Move(ctx(t), "/file", "/dst"), fs.ErrExist, "move file onto folder")
	wantErr(t, st.Move(ctx(t), "/again", "/again/sub"), fs.ErrInvalid, "move into itself")
	wantErr(t, st.Move(ctx(t), "/missing", "/x"), fs.ErrNotExist, "move missing")
	wantErr(t, st.Move(ctx(t), "/file", "/nodir/x"), fs.ErrNotExist, "move below missing folder")
}

// buildTree makes 50 keys below dir: 48 files at several depths, an empty
// folder and the folder markers; it returns name → content of the files.
func buildTree(t *testing.T, b backends.Backend, dir string) map[string]string {
	t.Helper()
	mkdir(t, b, dir)
	mkdir(t, b, dir+"/a")
	mkdir(t, b, dir+"/a/b")
	mkdir(t, b, dir+"/a/b/empty")
	files := map[string]string{}
	for i := range 46 {
		parent := []string{"", "/a", "/a/b"}[i%3]
		n := fmt.Sprintf("%s/f %d?.txt", parent, i)
		files[n] = fmt.Sprintf("file %d", i)
		put(t, b, dir+n, files[n])
	}
	return files
}

func checkTree(t *testing.T, b backends.Backend, dir string, files map[string]string) {
	t.Helper()
	for n, content := range files {
		if got := read(t, b, dir+n); got != content {
			t.Errorf("%s: %q, want %q", dir+n, got, content)
		}
	}
	if got := names(t, b, dir+"/a/b/empty"); len(got) != 0 {
		t.Errorf("empty folder lists %v", got)
	}
}

func TestMoveFile(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	mkdir(t, st, "/d")
	put(t, st, "/d/a", "new")
	put(t, st, "/b", "old")
	if err := st.Move(ctx(t), "/d/a", "/b"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, st, "/b"); got != "new" {
		t.Fatalf("destination has %q", got)
	}
	wantNotExist(t, st, "/d/a")
	if fi, err := st.Stat(ctx(t), "/d"); err != nil || !fi.IsDir {
		t.Fatalf("source folder gone: %v", err)
	}
}

// faultTransport fails requests that match with an S3 error.
type faultTransport struct {
	match  func(*http.Request) bool
	status int
	code   string
}

func (f *faultTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.match(r) {
		if r.Body != nil {
			r.Body.Close()
		}
		body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message></Error>`, f.code)
		return &http.Response{
			StatusCode: f.status, Status: http.StatusText(f.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/xml"}},
			Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r,
		}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestMoveFolderCopyFails(t *testing.T) {
	e := newEnv(t)
	files := buildTree(t, e.store("p"), "/src")
	failing := &faultTransport{status: http.StatusForbidden, code: "AccessDenied", match: func(r *http.Request) bool {
		src := r.Header.Get("X-Amz-Copy-Source")
		return r.Method == http.MethodPut && (strings.Contains(src, "f%2010%3F.txt") || strings.Contains(src, "f%2020%3F.txt"))
	}}
	st := e.store("p", func(c *s3.Config) { c.Transport = failing })
	before := e.keys("")
	err := st.Move(ctx(t), "/src", "/dst")
	var me *s3.MoveError
	if !errors.As(err, &me) {
		t.Fatalf("want *MoveError, got %T %v", err, err)
	}
	t.Log(err)
	wantErr(t, err, fs.ErrPermission, "cause")
	var failed []string
	for _, f := range me.Failed {
		failed = append(failed, f.Name)
	}
	slices.Sort(failed)
	if me.Stage != "copy" || me.Total != 50 || len(me.Copied) != 48 || !me.RolledBack ||
		!slices.Equal(failed, []string{"/src/a/b/f 20?.txt", "/src/a/f 10?.txt"}) {
		t.Fatalf("stage %s total %d copied %d rolled back %v failed %q", me.Stage, me.Total, len(me.Copied), me.RolledBack, failed)
	}
	for _, want := range []string{`"/src/a/f 10?.txt"`, "copied 48 of 50", "source unchanged", "AccessDenied"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q", want)
		}
	}
	if got := e.keys(""); !slices.Equal(got, before) {
		t.Fatalf("keys changed: %d before, %d after", len(before), len(got))
	}
	checkTree(t, st, "/src", files)
}

func TestMoveFolderRemoveFails(t *testing.T) {
	e := newEnv(t)
	files := buildTree(t, e.store("p"), "/src")
	failing := &faultTransport{status: http.StatusForbidden, code: "AccessDenied", match: func(r *http.Request) bool {
		_, multiDelete := r.URL.Query()["delete"]
		return r.Method == http.MethodPost && multiDelete
	}}
	st := e.store("p", func(c *s3.Config) { c.Transport = failing })
	err := st.Move(ctx(t), "/src", "/dst")
	var me *s3.MoveError
	if !errors.As(err, &me) || me.Stage != "remove" || len(me.Failed) != 50 {
		t.Fatalf("got %v", err)
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "all 50 entries copied") || !strings.Contains(err.Error(), "and 40 more") {
		t.Errorf("message: %v", err)
	}
	checkTree(t, st, "/dst", files) // complete at the destination
	checkTree(t, st, "/src", files) // and still at the source
}

func TestMoveErrorMessage(t *testing.T) {
	me := &s3.MoveError{Src: "/a", Dst: "/b", Total: 3, Stage: "copy", Copied: []string{"/a/x"},
		Failed: []s3.NameError{{Name: "/a/y", Err: backends.ErrUnavailable}, {Name: "/a/z", Err: fs.ErrPermission}},
		Left:   []string{"/b/x"}}
	want := `s3: move "/a" to "/b": copied 1 of 3 entries; 2 failed: "/a/y" (storage unavailable), "/a/z" (permission denied); source unchanged, 1 copies left at destination: "/b/x"`
	if me.Error() != want {
		t.Fatalf("got  %s\nwant %s", me.Error(), want)
	}
	if !errors.Is(me, backends.ErrUnavailable) || !errors.Is(me, fs.ErrPermission) {
		t.Fatal("causes not matchable")
	}
}

// TestPutAtomic: failed, cancelled, short and long uploads, small and
// multipart, leave the old content and no multipart upload behind.
func TestPutAtomic(t *testing.T) {
	e := newEnv(t)
	st := e.store("p", func(c *s3.Config) { c.PartSize = 5 << 20 })
	const big = 12 << 20 // three parts of 5 MiB
	boom := errors.New("client went away")
	for _, c := range []struct {
		name string
		body func(cancel func()) io.Reader
		size int64
		want error
	}{
		{"small fails", func(func()) io.Reader { return &failingReader{newStream(1, 100), 50, boom} }, 100, boom},
		{"small short", func(func()) io.Reader { return newStream(1, 50) }, 100, io.ErrUnexpectedEOF},
		{"small long", func(func()) io.Reader { return newStream(1, 101) }, 100, nil},
		{"empty long", func(func()) io.Reader { return newStream(1, 1) }, 0, nil},
		{"multipart fails", func(func()) io.Reader { return &failingReader{newStream(1, big), 7 << 20, boom} }, big, boom},
		{"multipart short", func(func()) io.Reader { return newStream(1, big-1) }, big, io.ErrUnexpectedEOF},
		{"multipart long", func(func()) io.Reader { return newStream(1, big+1) }, big, nil},
		{"unknown fails early", func(func()) io.Reader { return &failingReader{newStream(1, big), 1000, boom} }, -1, boom},
		{"unknown fails late", func(func()) io.Reader { return &failingReader{newStream(1, big), 11 << 20, boom} }, -1, boom},
		{"unknown cancelled", func(cancel func()) io.Reader {
			return io.MultiReader(newStream(1, 6<<20), readerFunc(func([]byte) (int, error) { cancel(); return 0, nil }), newStream(2, 6<<20))
		}, -1, context.Canceled},
		{"known cancelled", func(cancel func()) io.Reader {
			return io.MultiReader(newStream(1, 6<<20), readerFunc(func([]byte) (int, error) { cancel(); return 0, nil }), newStream(2, 6<<20))
		}, big, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			put(t, st, "/f", "old content")
			cctx, cancel := context.WithCancel(ctx(t))
			defer cancel()
			_, err := st.Put(cctx, "/f", c.body(cancel), c.size)
			if err == nil {
				t.Fatal("put succeeded")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if got := read(t, st, "/f"); got != "old content" {
				t.Fatalf("old content replaced by %d bytes", len(got))
			}
			e.noIncompleteUploads()
		})
	}
	// And for a name that did not exist: still absent.
	_, err := st.Put(ctx(t), "/new", &failingReader{newStream(1, big), 11 << 20, boom}, -1)
	wantErr(t, err, boom, "put new")
	wantNotExist(t, st, "/new")
	e.noIncompleteUploads()
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestUploadHeap streams large bodies of known and unknown size (as Finder
// sends them, chunked) and bounds the heap they take.
func TestUploadHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("large uploads")
	}
	e := newEnv(t)
	st := e.store("p")
	for _, c := range []struct {
		name string
		size int64
		sent int64 // size passed to Put
	}{
		{"unknown 40 MiB", 40 << 20, -1},
		{"known 256 MiB", 256 << 20, 256 << 20},
		{"unknown 256 MiB", 256 << 20, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			probe := newHeapProbe(newStream(7, c.size))
			fi, err := st.Put(ctx(t), "/big", probe, c.sent)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: peak heap growth %.1f MiB", c.name, float64(probe.peak)/(1<<20))
			if probe.peak > 64<<20 {
				t.Errorf("heap grew by %d MiB, want < 64 MiB", probe.peak>>20)
			}
			if fi.Size != c.size {
				t.Fatalf("size %d", fi.Size)
			}
			if got, want := sumOf(t, st, "/big"), streamSum(7, c.size); got != want {
				t.Fatal("content differs")
			}
		})
	}
	e.noIncompleteUploads()
}

func TestUnavailable(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	put(t, st, "/f", "kept")
	mkdir(t, st, "/d")
	e.srv.Stop()

	checks := map[string]func() error{
		"stat":   func() error { _, err := st.Stat(ctx(t), "/f"); return err },
		"stat /": func() error { _, err := st.Stat(ctx(t), "/"); return err },
		"list":   func() error { _, err := st.List(ctx(t), "/"); return err },
		"open":   func() error { _, err := st.Open(ctx(t), "/f", 0, -1); return err },
		"put": func() error {
			_, err := st.Put(ctx(t), "/g", bytes.NewReader(make([]byte, 10)), 10)
			return err
		},
		"put unknown": func() error { _, err := st.Put(ctx(t), "/g", newStream(1, 8<<20), -1); return err },
		"delete":      func() error { return st.Delete(ctx(t), "/f") },
		"mkdir":       func() error { return st.Mkdir(ctx(t), "/e") },
		"move":        func() error { return st.Move(ctx(t), "/f", "/g") },
		"remove all":  func() error { return st.RemoveAll(ctx(t), "/d") },
		"presign":     func() error { _, err := st.PresignGet(ctx(t), "/f", time.Minute); return err },
		"new":         func() error { _, err := s3.New(ctx(t), e.config("p")); return err },
	}
	for name, call := range checks {
		err := call()
		if !errors.Is(err, backends.ErrUnavailable) {
			t.Errorf("%s: got %v, want ErrUnavailable", name, err)
			continue
		}
		if name == "stat" {
			t.Log(err)
		}
		if strings.Contains(err.Error(), e.srv.SecretKey) || strings.Contains(err.Error(), "X-Amz-Signature") {
			t.Errorf("%s: error leaks credentials: %v", name, err)
		}
	}

	e.srv.Restart() // same address and data
	if got := read(t, st, "/f"); got != "kept" {
		t.Fatalf("after restart: %q", got)
	}
	put(t, st, "/g", "new")
	if got := names(t, st, "/"); !slices.Equal(got, []string{"d/", "f", "g"}) {
		t.Fatalf("after restart lists %v", got)
	}
}

// Answers of 5xx (after minio-go's retries) are ErrUnavailable too.
func TestServerError(t *testing.T) {
	e := newEnv(t)
	put(t, e.store("p"), "/f", "x")
	failing := &faultTransport{status: http.StatusServiceUnavailable, code: "SlowDown", match: func(r *http.Request) bool {
		return (r.Method == http.MethodHead || r.Method == http.MethodGet) && strings.HasSuffix(r.URL.Path, "/p/f")
	}}
	st := e.store("p", func(c *s3.Config) { c.Transport = failing; c.MaxRetries = 1 })
	_, err := st.Stat(ctx(t), "/f")
	wantErr(t, err, backends.ErrUnavailable, "stat")
	_, err = st.Open(ctx(t), "/f", 0, -1)
	wantErr(t, err, backends.ErrUnavailable, "open")
	t.Log(err)
}

func TestNew(t *testing.T) {
	e := newEnv(t)
	good := e.config("p")
	for _, c := range []struct {
		name string
		mod  func(*s3.Config)
		want string
		kind error
	}{
		{"no bucket", func(c *s3.Config) { c.Bucket = "" }, "bucket is required", nil},
		{"bad bucket", func(c *s3.Config) { c.Bucket = "Bad_Bucket" }, "Bad_Bucket", nil},
		{"no endpoint", func(c *s3.Config) { c.Endpoint = "" }, "endpoint is required", nil},
		{"scheme", func(c *s3.Config) { c.Endpoint = "https://s3.example.com" }, "without a scheme", nil},
		{"path", func(c *s3.Config) { c.Endpoint = "s3.example.com/x" }, "without path", nil},
		{"half credentials", func(c *s3.Config) { c.SecretKey = "" }, "both access key and secret key", nil},
		{"part size", func(c *s3.Config) { c.PartSize = 1 << 20 }, "part size", nil},
		{"prefix", func(c *s3.Config) { c.Prefix = "a/../b" }, "prefix", nil},
		{"missing bucket", func(c *s3.Config) { c.Bucket = "no-such-bucket" }, "does not exist", fs.ErrNotExist},
		{"wrong secret", func(c *s3.Config) { c.SecretKey = "wrong-secret-value" }, "", fs.ErrPermission},
		{"nothing listens", func(c *s3.Config) { c.Endpoint = "127.0.0.1:1" }, "", backends.ErrUnavailable},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := good
			c.mod(&cfg)
			_, err := s3.New(ctx(t), cfg)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), c.want) || c.kind != nil && !errors.Is(err, c.kind) {
				t.Fatalf("got %v, want %q / %v", err, c.want, c.kind)
			}
			if strings.Contains(err.Error(), cfg.SecretKey) && cfg.SecretKey != "" {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
	for _, s := range []string{fmt.Sprint(good), fmt.Sprintf("%+v", good), fmt.Sprintf("%#v", good)} {
		if strings.Contains(s, good.SecretKey) {
			t.Fatalf("config formatting leaks the secret: %s", s)
		}
	}
}

func TestPresign(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	mkdir(t, st, "/d")
	name := "/d/report ? #1 ≠.pdf"
	put(t, st, name, "presigned content")
	u, err := st.PresignGet(ctx(t), name, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "presigned content" {
		t.Fatalf("GET presigned: %d %q", resp.StatusCode, body)
	}
	// The signature covers the key: another key with it is refused.
	other := *u
	other.Path = strings.Replace(u.Path, "report", "xreport", 1)
	if resp, err := http.Get(other.String()); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered URL: %v %v", resp.Status, err)
	}
	_, err = st.PresignGet(ctx(t), "/missing", time.Minute)
	wantErr(t, err, fs.ErrNotExist, "presign missing")
	_, err = st.PresignGet(ctx(t), "/d", time.Minute)
	wantErr(t, err, fs.ErrInvalid, "presign folder")
}

func TestRemoveAll(t *testing.T) {
	e := newEnv(t)
	st := e.store("p")
	mkdir(t, st, "/keep")
	buildTree(t, st, "/keep/tree")
	put(t, st, "/keep/treeish", "similar prefix, not below")
	if err := st.RemoveAll(ctx(t), "/keep/tree"); err != nil {
		t.Fatal(err)
	}
	if got := e.keys(""); !slices.Equal(got, []string{"p/keep/", "p/keep/treeish"}) {
		t.Fatalf("keys %v", got)
	}
	wantErr(t, st.RemoveAll(ctx(t), "/keep/tree"), fs.ErrNotExist, "remove missing")
	wantErr(t, st.RemoveAll(ctx(t), "/"), fs.ErrPermission, "remove root")
	if err := st.RemoveAll(ctx(t), "/keep/treeish"); err != nil {
		t.Fatal(err)
	}
}
