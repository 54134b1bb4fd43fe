package davfs_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestPropfind(t *testing.T) {
	h := newHarness(t)
	h.mkcol(t, userA, "/dav/docs/")
	h.mkcol(t, userA, "/dav/docs/sub/")
	h.put(t, userA, "/dav/docs/report.pdf", "%PDF-1.4 not really")
	h.put(t, userA, "/dav/docs/notes.txt", "hello")

	t.Run("Depth infinity and no Depth answer 403 propfind-finite-depth", func(t *testing.T) {
		for _, depth := range []string{"infinity", "Infinity", ""} {
			rp := h.do(t, userA, "PROPFIND", "/dav/docs/", "", "Depth", depth)
			if rp.code != http.StatusForbidden || !strings.Contains(rp.body, "propfind-finite-depth") {
				t.Errorf("Depth %q = %d %s, want 403 with propfind-finite-depth", depth, rp.code, rp.body)
			}
		}
	})
	t.Run("an invalid Depth answers 400", func(t *testing.T) {
		if rp := h.do(t, userA, "PROPFIND", "/dav/docs/", "", "Depth", "2"); rp.code != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", rp.code)
		}
	})
	t.Run("Depth 1 reports etags of folders and file properties", func(t *testing.T) {
		rp, ms := h.propfind(t, userA, "/dav/docs/", "1",
			propfindBody(pETag, pContentType, pContentLength, pLastModified, pResourceType))
		if rp.code != http.StatusMultiStatus {
			t.Fatalf("PROPFIND = %d %s", rp.code, rp.body)
		}
		if len(ms) != 4 {
			t.Errorf("got %d responses, want 4:\n%s", len(ms), rp.body)
		}
		for _, dir := range []string{"/dav/docs/", "/dav/docs/sub/"} {
			p, ok := ms[dir]
			if !ok {
				t.Errorf("no response for %s", dir)
				continue
			}
			if p[pETag].status != http.StatusOK || p[pETag].inner == "" {
				t.Errorf("%s: getetag = %+v, want 200 with a value", dir, p[pETag])
			}
			if !strings.Contains(p[pResourceType].inner, "collection") {
				t.Errorf("%s: resourcetype = %q, want a collection", dir, p[pResourceType].inner)
			}
		}
		for file, c := range map[string]struct{ ctype, length string }{
			"/dav/docs/report.pdf": {"application/pdf", "19"},
			"/dav/docs/notes.txt":  {"text/plain", "5"},
		} {
			p, ok := ms[file]
			if !ok {
				t.Errorf("no response for %s", file)
				continue
			}
			if v := p[pETag]; v.status != 200 || v.inner == "" {
				t.Errorf("%s: getetag = %+v", file, v)
			}
			if v := p[pContentType]; v.status != 200 || !strings.HasPrefix(v.inner, c.ctype) {
				t.Errorf("%s: getcontenttype = %+v, want %s", file, v, c.ctype)
			}
			if v := p[pContentLength]; v.status != 200 || v.inner != c.length {
				t.Errorf("%s: getcontentlength = %+v, want %s", file, v, c.length)
			}
			if v := p[pLastModified]; v.status != 200 {
				t.Errorf("%s: getlastmodified = %+v", file, v)
			} else if _, err := http.ParseTime(v.inner); err != nil {
				t.Errorf("%s: getlastmodified %q: %v", file, v.inner, err)
			}
			if tag := h.get(t, userA, file).hdr.Get("ETag"); p[pETag].inner != tag {
				t.Errorf("%s: getetag %s differs from GET's ETag %s", file, p[pETag].inner, tag)
			}
		}
	})
	t.Run("allprop and propname answer 207", func(t *testing.T) {
		for _, body := range []string{"",
			`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
			`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`} {
			rp, ms := h.propfind(t, userA, "/dav/docs/", "1", body)
			if rp.code != http.StatusMultiStatus || len(ms) != 4 {
				t.Errorf("PROPFIND %q = %d with %d responses", body, rp.code, len(ms))
			}
		}
	})
	t.Run("a missing resource answers 404", func(t *testing.T) {
		if rp, _ := h.propfind(t, userA, "/dav/nope/", "1", ""); rp.code != http.StatusNotFound {
			t.Errorf("status = %d, want 404", rp.code)
		}
	})
}

// TestPropfindNeverOpens checks that listing a folder reads metadata only:
// not one file is opened, however many there are.
func TestPropfindNeverOpens(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Join(h.userDir(userA), "many")
	for i := range 200 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("file-%03d.txt", i)), strings.Repeat("x", i))
	}
	writeFile(t, filepath.Join(dir, "sub", "inner.txt"), "inner")
	for i := 0; i < 200; i += 7 {
		rp := h.do(t, userA, "PROPPATCH", fmt.Sprintf("/dav/many/file-%03d.txt", i), setColor("c"+strconv.Itoa(i)))
		if rp.code != http.StatusMultiStatus {
			t.Fatalf("PROPPATCH = %d %s", rp.code, rp.body)
		}
	}
	h.lock(t, userA, "/dav/many/file-001.txt")
	opens := h.counter(userA)

	for _, c := range []struct{ name, body string }{
		{"allprop", ""},
		{"named", propfindBody(pETag, pContentType, pContentLength, pLastModified, pResourceType, pLockDiscovery, pColor)},
		{"propname", `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := opens.opens.Load()
			rp, ms := h.propfind(t, userA, "/dav/many/", "1", c.body)
			if rp.code != http.StatusMultiStatus || len(ms) != 202 {
				t.Fatalf("PROPFIND = %d with %d responses, want 207 with 202", rp.code, len(ms))
			}
			if n := opens.opens.Load() - before; n != 0 {
				t.Errorf("PROPFIND Depth 1 opened file content %d times, want 0", n)
			}
			if c.name == "named" {
				if got := ms["/dav/many/file-007.txt"][pColor]; got.status != 200 || got.inner != "c7" {
					t.Errorf("dead property of file-007 = %+v, want 200 c7", got)
				}
				if got := ms["/dav/many/file-001.txt"][pLockDiscovery]; !strings.Contains(got.inner, "activelock") {
					t.Errorf("lockdiscovery of the locked file = %q", got.inner)
				}
				if got := ms["/dav/many/file-199.txt"][pContentLength]; got.inner != "199" {
					t.Errorf("getcontentlength of file-199 = %+v", got)
				}
			}
		})
	}
	t.Run("the counter counts", func(t *testing.T) {
		before := opens.opens.Load()
		h.wantContent(t, userA, "/dav/many/file-003.txt", "xxx")
		if opens.opens.Load() == before {
			t.Error("GET did not count an Open; the PROPFIND checks prove nothing")
		}
	})
}

func setColor(v string) string {
	return `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:T="urn:test">
<D:set><D:prop><T:color>` + v + `</T:color></D:prop></D:set></D:propertyupdate>`
}

func TestProppatch(t *testing.T) {
	h := newHarness(t)

	t.Run("Win32LastModifiedTime sets the modification time", func(t *testing.T) {
		h.put(t, userA, "/dav/win.docx", "word")
		const when = "Tue, 02 Jan 2024 03:04:05 GMT"
		body := `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>
<Z:Win32CreationTime>Mon, 01 Jan 2024 10:00:00 GMT</Z:Win32CreationTime>
<Z:Win32LastAccessTime>Wed, 03 Jan 2024 10:00:00 GMT</Z:Win32LastAccessTime>
<Z:Win32LastModifiedTime>` + when + `</Z:Win32LastModifiedTime>
<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>
</D:prop></D:set></D:propertyupdate>`
		rp := h.do(t, userA, "PROPPATCH", "/dav/win.docx", body, "Content-Type", "application/xml")
		if rp.code != http.StatusMultiStatus {
			t.Fatalf("PROPPATCH = %d %s", rp.code, rp.body)
		}
		ms := parseMultistatus(t, rp.body)
		if len(ms) != 1 {
			t.Fatalf("got %d responses:\n%s", len(ms), rp.body)
		}
		for _, props := range ms {
			if len(props) != 4 {
				t.Errorf("got %d properties in the answer, want 4:\n%s", len(props), rp.body)
			}
			for n, v := range props {
				if n.Space != "urn:schemas-microsoft-com:" || v.status != http.StatusOK {
					t.Errorf("%v: status %d, want 200 in urn:schemas-microsoft-com:", n, v.status)
				}
			}
		}
		p := h.props(t, userA, "/dav/win.docx", pLastModified)
		if p[pLastModified].inner != when {
			t.Errorf("getlastmodified = %q, want %q", p[pLastModified].inner, when)
		}
		fi, err := os.Stat(filepath.Join(h.userDir(userA), "win.docx"))
		if want, _ := http.ParseTime(when); err != nil || !fi.ModTime().Equal(want) {
			t.Errorf("mtime on disk = %v (%v), want %v", fi.ModTime(), err, want)
		}
		h.wantContent(t, userA, "/dav/win.docx", "word")
	})
	t.Run("DAV:getlastmodified sets the modification time", func(t *testing.T) {
		h.put(t, userA, "/dav/lm.txt", "lm")
		const when = "Fri, 05 Jan 2024 06:07:08 GMT"
		rp := h.do(t, userA, "PROPPATCH", "/dav/lm.txt", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:T="urn:test">
<D:set><D:prop><D:getlastmodified>`+when+`</D:getlastmodified><T:color>plum</T:color></D:prop></D:set></D:propertyupdate>`)
		ms := parseMultistatus(t, rp.body)
		if rp.code != http.StatusMultiStatus || ms["/dav/lm.txt"][pLastModified].status != http.StatusOK || ms["/dav/lm.txt"][pColor].status != http.StatusOK {
			t.Fatalf("PROPPATCH = %d %s, want 207 with 200 for both", rp.code, rp.body)
		}
		p := h.props(t, userA, "/dav/lm.txt", pLastModified, pColor)
		if p[pLastModified].inner != when || p[pColor].inner != "plum" {
			t.Errorf("after PROPPATCH: getlastmodified %q color %q", p[pLastModified].inner, p[pColor].inner)
		}
	})
	t.Run("a bad getlastmodified changes nothing", func(t *testing.T) {
		h.put(t, userA, "/dav/lm2.txt", "lm")
		before := h.props(t, userA, "/dav/lm2.txt", pLastModified)[pLastModified].inner
		rp := h.do(t, userA, "PROPPATCH", "/dav/lm2.txt", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:T="urn:test">
<D:set><D:prop><D:getlastmodified>yesterday</D:getlastmodified><T:color>plum</T:color></D:prop></D:set></D:propertyupdate>`)
		ms := parseMultistatus(t, rp.body)
		if ms["/dav/lm2.txt"][pLastModified].status != http.StatusConflict || ms["/dav/lm2.txt"][pColor].status != http.StatusFailedDependency {
			t.Fatalf("PROPPATCH = %d %s, want 409 and 424", rp.code, rp.body)
		}
		p := h.props(t, userA, "/dav/lm2.txt", pLastModified, pColor)
		if p[pLastModified].inner != before || p[pColor].status != http.StatusNotFound {
			t.Errorf("a failed PROPPATCH changed something: %+v", p)
		}
	})
	t.Run("dead properties are stored, returned and removed", func(t *testing.T) {
		h.put(t, userA, "/dav/p.txt", "p")
		h.do(t, userA, "PROPPATCH", "/dav/p.txt", setColor("blue"))
		if got := h.props(t, userA, "/dav/p.txt", pColor)[pColor]; got.status != 200 || got.inner != "blue" {
			t.Fatalf("color = %+v, want 200 blue", got)
		}
		rp := h.do(t, userA, "PROPPATCH", "/dav/p.txt", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:T="urn:test">
<D:remove><D:prop><T:color/></D:prop></D:remove></D:propertyupdate>`)
		if rp.code != http.StatusMultiStatus {
			t.Fatalf("PROPPATCH remove = %d", rp.code)
		}
		if got := h.props(t, userA, "/dav/p.txt", pColor)[pColor]; got.status != http.StatusNotFound {
			t.Errorf("color after remove = %+v, want 404", got)
		}
	})
	t.Run("protected properties are refused", func(t *testing.T) {
		h.put(t, userA, "/dav/prot.txt", "p")
		rp := h.do(t, userA, "PROPPATCH", "/dav/prot.txt", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:">
<D:set><D:prop><D:getetag>"forged"</D:getetag></D:prop></D:set></D:propertyupdate>`)
		if ms := parseMultistatus(t, rp.body); rp.code != http.StatusMultiStatus || ms["/dav/prot.txt"][pETag].status != http.StatusForbidden {
			t.Errorf("PROPPATCH getetag = %d %s, want 207 with 403", rp.code, rp.body)
		}
		if got := h.props(t, userA, "/dav/prot.txt", pETag)[pETag].inner; got == `"forged"` {
			t.Error("getetag was overwritten")
		}
	})
	t.Run("dead properties survive MOVE and are removed by DELETE", func(t *testing.T) {
		h.put(t, userA, "/dav/m1.txt", "m")
		h.mkcol(t, userA, "/dav/mdir/")
		h.put(t, userA, "/dav/mdir/child.txt", "c")
		h.do(t, userA, "PROPPATCH", "/dav/m1.txt", setColor("red"))
		h.do(t, userA, "PROPPATCH", "/dav/mdir/", setColor("green"))
		h.do(t, userA, "PROPPATCH", "/dav/mdir/child.txt", setColor("teal"))

		if rp := h.do(t, userA, "MOVE", "/dav/m1.txt", "", "Destination", h.dest("/dav/m2.txt")); rp.code != http.StatusCreated {
			t.Fatalf("MOVE = %d", rp.code)
		}
		if rp := h.do(t, userA, "MOVE", "/dav/mdir/", "", "Destination", h.dest("/dav/mdir2/")); rp.code != http.StatusCreated {
			t.Fatalf("MOVE folder = %d", rp.code)
		}
		for p, want := range map[string]string{"/dav/m2.txt": "red", "/dav/mdir2/": "green", "/dav/mdir2/child.txt": "teal"} {
			if got := h.props(t, userA, p, pColor)[pColor]; got.status != 200 || got.inner != want {
				t.Errorf("%s: color after MOVE = %+v, want %s", p, got, want)
			}
		}
		// The old names, recreated, start without properties.
		h.put(t, userA, "/dav/m1.txt", "again")
		if got := h.props(t, userA, "/dav/m1.txt", pColor)[pColor]; got.status != http.StatusNotFound {
			t.Errorf("a new file at the MOVE's source has color %+v", got)
		}

		for _, p := range []string{"/dav/m2.txt", "/dav/mdir2/"} {
			if rp := h.do(t, userA, http.MethodDelete, p, ""); rp.code != http.StatusNoContent {
				t.Fatalf("DELETE %s = %d", p, rp.code)
			}
		}
		h.put(t, userA, "/dav/m2.txt", "new")
		h.mkcol(t, userA, "/dav/mdir2/")
		h.put(t, userA, "/dav/mdir2/child.txt", "new")
		for _, p := range []string{"/dav/m2.txt", "/dav/mdir2/", "/dav/mdir2/child.txt"} {
			if got := h.props(t, userA, p, pColor)[pColor]; got.status != http.StatusNotFound {
				t.Errorf("%s: color after DELETE and re-create = %+v, want 404", p, got)
			}
		}
	})
	t.Run("MOVE over an existing file drops the destination's properties", func(t *testing.T) {
		h.put(t, userA, "/dav/plain.txt", "plain")
		h.put(t, userA, "/dav/coloured.txt", "c")
		h.do(t, userA, "PROPPATCH", "/dav/coloured.txt", setColor("pink"))
		if rp := h.do(t, userA, "MOVE", "/dav/plain.txt", "", "Destination", h.dest("/dav/coloured.txt")); rp.code != http.StatusNoContent {
			t.Fatalf("MOVE = %d", rp.code)
		}
		if got := h.props(t, userA, "/dav/coloured.txt", pColor)[pColor]; got.status != http.StatusNotFound {
			t.Errorf("color after MOVE over = %+v, want 404", got)
		}
	})
}
