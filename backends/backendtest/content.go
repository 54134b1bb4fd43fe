package backendtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/backends"
)

func testPutMissingParent(t *testing.T, b backends.Backend) {
	for _, name := range []string{"/missing/f", "/missing/deeper/f"} {
		_, err := b.Put(t.Context(), name, strings.NewReader("x"), 1)
		wantErr(t, err, fmt.Sprintf("Put(%q)", name), fs.ErrNotExist)
	}
	wantMissing(t, b, "/missing") // not created on the way
	wantNames(t, b, "/")
}

// Put over a folder (or the root) fails and leaves it as it was.
func testPutOverDir(t *testing.T, b backends.Backend) {
	mkdir(t, b, "/d")
	put(t, b, "/d/f", []byte("x"))
	mkdir(t, b, "/e")
	for _, name := range []string{"/d", "/e", "/"} {
		_, err := b.Put(t.Context(), name, strings.NewReader("new"), 3)
		wantErr(t, err, fmt.Sprintf("Put(%q) over a folder", name))
	}
	wantDir(t, b, "/")
	wantDir(t, b, "/d")
	wantDir(t, b, "/e")
	wantFile(t, b, "/d/f", []byte("x"))
	wantNames(t, b, "/", "d", "e")
	wantNames(t, b, "/d", "f")
	wantNames(t, b, "/e")
}

func testEmptyFile(t *testing.T, b backends.Backend) {
	mkdir(t, b, "/d")
	for _, size := range []int64{0, -1} {
		name := fmt.Sprintf("/d/empty%d", size)
		fi, err := b.Put(t.Context(), name, strings.NewReader(""), size)
		if err != nil {
			t.Fatalf("Put(%q, size %d): %v", name, size, err)
		}
		if fi.Size != 0 || fi.IsDir {
			t.Errorf("Put(%q, size %d) returned {Size %d, IsDir %v}", name, size, fi.Size, fi.IsDir)
		}
		wantFile(t, b, name, nil)
		got, err := read(t, b, name, 0, 10)
		if err != nil || len(got) != 0 {
			t.Errorf("Open(%q, 0, 10) = %q, %v; want no bytes, no error", name, got, err)
		}
	}
	m := list(t, b, "/d")
	for _, n := range []string{"empty0", "empty-1"} {
		if fi, ok := m[n]; !ok || fi.IsDir || fi.Size != 0 {
			t.Errorf(`List("/d") %s = %+v, %v; want a file of size 0`, n, fi, ok)
		}
	}
	wantNames(t, b, "/d", "empty0", "empty-1")
}

// Ranged reads return exactly the bytes that exist in the range. Reading at
// EOF yields no bytes and no error; reading past EOF may fail (at Open or at
// the first Read) or yield no bytes, but never yields bytes.
func testRangedRead(t *testing.T, b backends.Backend) {
	const n = 1<<20 + 17
	data := pattern(2, n)
	put(t, b, "/f", data)
	for _, c := range []struct {
		name        string
		off, length int64
	}{
		{"start", 0, 10},
		{"middle", 500_000, 1000},
		{"last byte", n - 1, 1},
		{"to end", n - 100, -1},
		{"whole", 0, -1},
		{"whole exact", 0, n},
		{"length past EOF", n - 10, 100},
		{"length zero", 100, 0},
		{"at EOF", n, -1},
		{"at EOF with length", n, 10},
	} {
		end := int64(n)
		if c.length >= 0 {
			end = min(end, c.off+c.length)
		}
		got, err := read(t, b, "/f", c.off, c.length)
		if err != nil {
			t.Errorf("%s: Open(/f, %d, %d): %v", c.name, c.off, c.length, err)
		} else if d := diff(got, data[c.off:end]); d != "" {
			t.Errorf("%s: Open(/f, %d, %d): %s", c.name, c.off, c.length, d)
		}
	}
	for _, c := range [][2]int64{{n + 1, -1}, {n + 1000, 10}} {
		if got, _ := read(t, b, "/f", c[0], c[1]); len(got) != 0 {
			t.Errorf("Open(/f, %d, %d) past EOF yielded %d bytes", c[0], c[1], len(got))
		}
	}
	// Closing a reader early is fine.
	rc, err := b.Open(t.Context(), "/f", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	var one [1]byte
	if _, err := io.ReadFull(rc, one[:]); err != nil || one[0] != data[0] {
		t.Errorf("first byte: %v, %v", one[0], err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("Close after one byte: %v", err)
	}
}

func testOverwrite(t *testing.T, b backends.Backend) {
	for i, size := range []int{3000, 10, 70_000, 0, 5} {
		data := pattern(uint64(10+i), size)
		fi := put(t, b, "/f", data)
		if fi.Size != int64(size) {
			t.Errorf("Put #%d returned Size %d, want %d", i, fi.Size, size)
		}
		wantFile(t, b, "/f", data)
		wantNames(t, b, "/", "f")
		if fi := list(t, b, "/")["f"]; fi.Size != int64(size) {
			t.Errorf("after Put #%d List reports Size %d, want %d", i, fi.Size, size)
		}
	}
}

// ETags are optional; when reported they agree between Put, Stat and List and
// change with the content.
func testETag(t *testing.T, b backends.Backend) {
	seen := map[string]int{}
	for i, data := range [][]byte{[]byte("one"), []byte("two"), []byte("three!")} {
		p := put(t, b, "/f", data)
		s := stat(t, b, "/f")
		l := list(t, b, "/")["f"]
		if s.ETag == "" {
			if p.ETag != "" || l.ETag != "" {
				t.Errorf("ETag: Put %q, Stat none, List %q", p.ETag, l.ETag)
			}
			t.Skip("no ETags")
		}
		if (p.ETag != "" && p.ETag != s.ETag) || (l.ETag != "" && l.ETag != s.ETag) {
			t.Errorf("version %d: ETag from Put %q, Stat %q, List %q disagree", i, p.ETag, s.ETag, l.ETag)
		}
		if j, ok := seen[s.ETag]; ok {
			t.Errorf("versions %d and %d share ETag %q", j, i, s.ETag)
		}
		seen[s.ETag] = i
	}
}

// A stream of unknown length, delivered in odd-sized reads, whose size is
// aligned to nothing.
func testUnknownSize(t *testing.T, b backends.Backend) {
	const n = 6<<20 + 12345
	data := pattern(3, n)
	fi, err := b.Put(t.Context(), "/f", chunkReader{bytes.NewReader(data), 10007}, -1)
	if err != nil {
		t.Fatalf("Put size -1: %v", err)
	}
	if fi.Size != n {
		t.Errorf("Put returned Size %d, want %d", fi.Size, n)
	}
	wantFile(t, b, "/f", data)
}

// atomicCase is a Put that must fail and leave nothing behind.
type atomicCase struct {
	size  int64 // passed to Put; -1 for unknown
	body  int   // bytes the reader has
	after int64 // when the hook runs
	// hook returns the reader's error, or cancels the Put's ctx and returns nil.
	hook func(cancel context.CancelFunc) error
	// fresh puts to a new name rather than over an existing file.
	fresh bool
}

func broken(context.CancelFunc) error      { return errBroken }
func cancelled(c context.CancelFunc) error { c(); return nil }

// short ends the body early: the reader reports EOF.
func short(context.CancelFunc) error { return io.EOF }

var atomicCases = map[string]atomicCase{
	"ReaderError":          {size: -1, body: 5000, after: 1000, hook: broken},
	"ReaderErrorKnownSize": {size: 5000, body: 5000, after: 1000, hook: broken},
	"ReaderErrorAtStart":   {size: -1, body: 5000, after: 0, hook: broken},
	"ReaderErrorLate":      {size: -1, body: 8 << 20, after: 6<<20 + 1, hook: broken},
	"ReaderErrorNewName":   {size: -1, body: 5000, after: 1000, hook: broken, fresh: true},
	"ShortBody":            {size: 2000, body: 2000, after: 1000, hook: short},
	"ShortBodyLate":        {size: 7 << 20, body: 7 << 20, after: 6<<20 + 1, hook: short},
	"ShortBodyNewName":     {size: 2000, body: 2000, after: 1000, hook: short, fresh: true},
	"EmptyBodyKnownSize":   {size: 10, body: 10, after: 0, hook: short},
	"Cancel":               {size: -1, body: 4 << 20, after: 1 << 20, hook: cancelled},
	"CancelKnownSize":      {size: 4 << 20, body: 4 << 20, after: 1 << 20, hook: cancelled},
	"CancelNewName":        {size: -1, body: 4 << 20, after: 1 << 20, hook: cancelled, fresh: true},
}

// testAtomic checks that a failing Put returns an error and leaves the
// previous content (or absence) intact, with no stray entries.
func testAtomic(c atomicCase) func(*testing.T, backends.Backend) {
	return func(t *testing.T, b backends.Backend) {
		old := pattern(4, 5000)
		mkdir(t, b, "/dir")
		put(t, b, "/dir/f", old)
		name := "/dir/f"
		if c.fresh {
			name = "/dir/g"
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		r := &hookReader{r: bytes.NewReader(pattern(5, c.body)), after: c.after, hook: func() error { return c.hook(cancel) }}
		fi, err := b.Put(ctx, name, r, c.size)
		if err == nil {
			t.Errorf("Put(%q) succeeded with %+v, want an error", name, fi)
		}
		wantFile(t, b, "/dir/f", old)
		if c.fresh {
			wantMissing(t, b, name)
		}
		wantNames(t, b, "/dir", "f")
		wantNames(t, b, "/", "dir")

		// The name is usable afterwards.
		put(t, b, name, []byte("next"))
		wantFile(t, b, name, []byte("next"))
	}
}
