package backendtest

import (
	"io"
	"io/fs"
	"net/http"
	"testing"
	"time"

	"github.com/docuvault/docuvault/backends"
)

func mover(t *testing.T, b backends.Backend) backends.Mover {
	mv, ok := b.(backends.Mover)
	if !ok {
		t.Skip("not a backends.Mover")
	}
	return mv
}

func move(t *testing.T, mv backends.Mover, src, dst string) {
	t.Helper()
	if err := mv.Move(t.Context(), src, dst); err != nil {
		t.Fatalf("Move(%q, %q): %v", src, dst, err)
	}
}

func testMoveFile(t *testing.T, b backends.Backend) {
	mv := mover(t, b)
	mkdir(t, b, "/d")
	data := pattern(6, 3000)
	put(t, b, "/d/a", data)
	move(t, mv, "/d/a", "/b")
	wantMissing(t, b, "/d/a")
	wantFile(t, b, "/b", data)
	wantNames(t, b, "/", "b", "d")
	wantNames(t, b, "/d") // the emptied folder stays
	move(t, mv, "/b", "/d/c")
	wantFile(t, b, "/d/c", data)
	wantNames(t, b, "/", "d")
}

func testMoveOverFile(t *testing.T, b backends.Backend) {
	mv := mover(t, b)
	src := pattern(7, 100)
	put(t, b, "/a", src)
	put(t, b, "/b", pattern(8, 5000))
	move(t, mv, "/a", "/b")
	wantMissing(t, b, "/a")
	wantFile(t, b, "/b", src)
	wantNames(t, b, "/", "b")
}

// A folder moves with everything below it, and only that: siblings sharing
// its name as a prefix stay.
func testMoveDir(t *testing.T, b backends.Backend) {
	mv := mover(t, b)
	files := map[string][]byte{
		"x":                pattern(9, 10),
		"sub/y":            pattern(10, 20),
		"sub/deeper/z":     pattern(11, 0),
		"sub/deeper/z two": pattern(12, 40),
	}
	for _, d := range []string{"/d", "/d/sub", "/d/sub/deeper", "/d/empty", "/d2", "/d x"} {
		mkdir(t, b, d)
	}
	for n, data := range files {
		put(t, b, "/d/"+n, data)
	}
	put(t, b, "/d2/keep", []byte("d2"))
	put(t, b, "/d.txt", []byte("d.txt"))
	move(t, mv, "/d", "/e")
	wantMissing(t, b, "/d")
	for n, data := range files {
		wantMissing(t, b, "/d/"+n)
		wantFile(t, b, "/e/"+n, data)
	}
	wantDir(t, b, "/e/empty")
	wantNames(t, b, "/", "e", "d2", "d x", "d.txt")
	wantNames(t, b, "/e", "x", "sub", "empty")
	wantNames(t, b, "/e/sub/deeper", "z", "z two")
	wantFile(t, b, "/d2/keep", []byte("d2"))
	wantFile(t, b, "/d.txt", []byte("d.txt"))

	move(t, mv, "/e", "/d2/e") // into another folder
	wantFile(t, b, "/d2/e/sub/y", files["sub/y"])
	wantNames(t, b, "/", "d2", "d x", "d.txt")
}

func testMoveErrors(t *testing.T, b backends.Backend) {
	mv := mover(t, b)
	ctx := t.Context()
	put(t, b, "/a", []byte("a"))
	mkdir(t, b, "/d")
	wantErr(t, mv.Move(ctx, "/missing", "/b"), "Move of a missing name", fs.ErrNotExist)
	wantErr(t, mv.Move(ctx, "/a", "/missing/a"), "Move into a missing folder", fs.ErrNotExist)
	wantErr(t, mv.Move(ctx, "/d", "/missing/d"), "Move of a folder into a missing folder", fs.ErrNotExist)
	wantFile(t, b, "/a", []byte("a"))
	wantDir(t, b, "/d")
	wantMissing(t, b, "/missing")
	wantNames(t, b, "/", "a", "d")
}

// RemoveAll removes a tree, and only that tree.
func testRemoveAll(t *testing.T, b backends.Backend) {
	ra, ok := b.(backends.RemoveAller)
	if !ok {
		t.Skip("not a backends.RemoveAller")
	}
	ctx := t.Context()
	for _, d := range []string{"/p", "/p/t", "/p/t/sub", "/p/t/sub/deep", "/p/t/empty", "/p/t2", "/p/t x"} {
		mkdir(t, b, d)
	}
	for _, f := range []string{"/p/t/a", "/p/t/sub/b", "/p/t/sub/deep/c", "/p/t2/x", "/p/t x/y", "/p/t.txt"} {
		put(t, b, f, []byte(f))
	}
	if err := ra.RemoveAll(ctx, "/p/t"); err != nil {
		t.Fatalf("RemoveAll: %v", err)
	}
	for _, n := range []string{"/p/t", "/p/t/a", "/p/t/sub/deep/c", "/p/t/empty"} {
		wantMissing(t, b, n)
	}
	wantNames(t, b, "/p", "t2", "t x", "t.txt")
	for _, f := range []string{"/p/t2/x", "/p/t x/y", "/p/t.txt"} {
		wantFile(t, b, f, []byte(f))
	}
	if err := ra.RemoveAll(ctx, "/p/t"); err != nil {
		wantErr(t, err, "RemoveAll of a missing name", fs.ErrNotExist)
	}
}

// toucher skips unless Touch works for name (see backends.CanTouch).
func toucher(t *testing.T, b backends.Backend, name string) backends.Toucher {
	if !backends.CanTouch(b, name) {
		t.Skip("cannot set modification times")
	}
	return b.(backends.Toucher)
}

// wantModTime compares at one second's precision.
func wantModTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d <= -time.Second || d >= time.Second {
		t.Errorf("%s ModTime = %v, want %v", what, got, want)
	}
}

func testTouch(t *testing.T, b backends.Backend) {
	tc := toucher(t, b, "/f")
	data := pattern(13, 100)
	put(t, b, "/f", data)
	for _, when := range []time.Time{
		time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC),
		time.Date(2024, 7, 8, 9, 10, 11, 0, time.FixedZone("X", 5*3600)),
	} {
		if err := tc.Touch(t.Context(), "/f", when); err != nil {
			t.Fatalf("Touch: %v", err)
		}
		wantModTime(t, "Stat's", stat(t, b, "/f").ModTime, when)
		wantModTime(t, "List's", list(t, b, "/")["f"].ModTime, when)
	}
	wantFile(t, b, "/f", data)
	wantErr(t, tc.Touch(t.Context(), "/missing", time.Now()), "Touch of a missing name", fs.ErrNotExist)
	wantNames(t, b, "/", "f")
}

func testTouchDir(t *testing.T, b backends.Backend) {
	tc := toucher(t, b, "/d")
	mkdir(t, b, "/d")
	put(t, b, "/d/f", []byte("x"))
	when := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := tc.Touch(t.Context(), "/d", when); err != nil {
		t.Fatalf("Touch of a folder: %v", err)
	}
	wantModTime(t, "Stat's", stat(t, b, "/d").ModTime, when)
	if l := list(t, b, "/")["d"].ModTime; !l.IsZero() { // folder times may be unknown to List
		wantModTime(t, "List's", l, when)
	}
	wantFile(t, b, "/d/f", []byte("x"))
}

func testSpace(t *testing.T, b backends.Backend) {
	sr, ok := b.(backends.SpaceReporter)
	if !ok {
		t.Skip("not a backends.SpaceReporter")
	}
	put(t, b, "/f", pattern(14, 1000))
	used, avail, err := sr.Space(t.Context())
	if err != nil {
		t.Fatalf("Space: %v", err)
	}
	if used < 0 {
		t.Errorf("Space reports used = %d, want >= 0", used)
	}
	t.Logf("used %d, available %d", used, avail)
}

// A presigned URL serves the file to a plain HTTP client.
func testPresign(t *testing.T, b backends.Backend) {
	ps, ok := b.(backends.Presigner)
	if !ok {
		t.Skip("not a backends.Presigner")
	}
	const name = "/d ir/pre sign é+?#%20.txt"
	mkdir(t, b, "/d ir")
	data := pattern(15, 5000)
	put(t, b, name, data)
	u, err := ps.PresignGet(t.Context(), name, 10*time.Minute)
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET presigned URL: %v", err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("GET presigned URL: %s, %v", resp.Status, err)
	}
	if d := diff(got, data); d != "" {
		t.Errorf("presigned content: %s", d)
	}
}
