package backendtest

import (
	"strings"
	"testing"

	"github.com/docuvault/docuvault/backends"
)

// HostileNames are file and folder names that break naive escaping in URLs,
// XML, shells and key-value stores (after rclone's fixtures). Every driver
// stores them exactly.
var HostileNames = []string{
	" leading space",
	"trailing space ",
	"inner  spaces",
	"question?mark",
	"hash#mark",
	"percent%sign",
	"literal%20escape",
	"single'quote",
	`double"quote`,
	"<>&",
	"plus+sign",
	"at@sign",
	"colon:name", // a relative URL reference would read "colon" as a scheme
	"[brackets]{braces};semi=equals,comma",
	"back`tick~tilde!dollar$",
	"...",
	".dotfile",
	"≠",
	"êé",
	"Hello, 世界",
	"emoji 🎉👩‍💻",
	strings.Repeat("aé世😀", 20), // 200 bytes of 1- to 4-byte characters
}

// hostileNested is rclone's deep path of hostile folder names.
var hostileNested = []string{"hello? sausage", "êé", "Hello, 世界", ` " ' @ < > & ? + ≠`}

// Every hostile name round-trips through Put, Mkdir, Stat, List, Open, Move
// and Delete, as a file and as a folder.
func testHostileNames(t *testing.T, b backends.Backend) {
	ctx := t.Context()
	mkdir(t, b, "/files")
	mkdir(t, b, "/dirs")
	for _, n := range HostileNames {
		put(t, b, "/files/"+n, content(n))
		mkdir(t, b, "/dirs/"+n)
		put(t, b, "/dirs/"+n+"/"+n, content(n))
	}
	wantNames(t, b, "/files", HostileNames...)
	wantNames(t, b, "/dirs", HostileNames...)
	files, dirs := list(t, b, "/files"), list(t, b, "/dirs")
	for _, n := range HostileNames {
		if fi := files[n]; fi.IsDir || fi.Size != int64(len(content(n))) {
			t.Errorf("List(/files) %q = {IsDir %v, Size %d}", n, fi.IsDir, fi.Size)
		}
		if !dirs[n].IsDir {
			t.Errorf("List(/dirs) %q is not a folder", n)
		}
		wantFile(t, b, "/files/"+n, content(n))
		wantFile(t, b, "/dirs/"+n+"/"+n, content(n))
		wantDir(t, b, "/dirs/"+n)
		if fi := stat(t, b, "/dirs/"+n); fi.Name != n {
			t.Errorf("Stat(/dirs/%s).Name = %q", n, fi.Name)
		}
		wantNames(t, b, "/dirs/"+n, n)
	}

	if mv, ok := b.(backends.Mover); ok {
		mkdir(t, b, "/moved")
		for _, n := range HostileNames {
			if err := mv.Move(ctx, "/files/"+n, "/moved/"+n); err != nil {
				t.Errorf("Move file %q: %v", n, err)
			}
			if err := mv.Move(ctx, "/dirs/"+n, "/moved/"+n+" dir"); err != nil {
				t.Errorf("Move folder %q: %v", n, err)
			}
		}
		wantNames(t, b, "/files")
		wantNames(t, b, "/dirs")
		var all []string
		for _, n := range HostileNames {
			all = append(all, n, n+" dir")
			wantFile(t, b, "/moved/"+n, content(n))
			wantFile(t, b, "/moved/"+n+" dir/"+n, content(n))
		}
		wantNames(t, b, "/moved", all...)
		for _, n := range HostileNames {
			for _, p := range []string{"/moved/" + n, "/moved/" + n + " dir/" + n, "/moved/" + n + " dir"} {
				if err := b.Delete(ctx, p); err != nil {
					t.Errorf("Delete(%q): %v", p, err)
				}
				wantMissing(t, b, p)
			}
		}
		wantNames(t, b, "/moved")
	} else {
		for _, n := range HostileNames {
			for _, p := range []string{"/files/" + n, "/dirs/" + n + "/" + n, "/dirs/" + n} {
				if err := b.Delete(ctx, p); err != nil {
					t.Errorf("Delete(%q): %v", p, err)
				}
				wantMissing(t, b, p)
			}
		}
		wantNames(t, b, "/files")
		wantNames(t, b, "/dirs")
	}
}

// rclone's nested path of hostile folder names.
func testHostileNested(t *testing.T, b backends.Backend) {
	p := ""
	for _, n := range hostileNested {
		p += "/" + n
		mkdir(t, b, p)
	}
	put(t, b, p+"/z.txt", []byte("z"))
	wantFile(t, b, p+"/z.txt", []byte("z"))
	wantNames(t, b, p, "z.txt")
	dir := "/"
	for _, n := range hostileNested {
		wantNames(t, b, dir, n)
		dir = strings.TrimSuffix(dir, "/") + "/" + n
		if fi := stat(t, b, dir); !fi.IsDir || fi.Name != n {
			t.Errorf("Stat(%q) = {Name %q, IsDir %v}", dir, fi.Name, fi.IsDir)
		}
	}
}
