package davfs_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPut(t *testing.T) {
	h := newHarness(t)

	t.Run("create answers 201 with an ETag", func(t *testing.T) {
		rp := h.do(t, userA, http.MethodPut, "/dav/new.txt", "first")
		if rp.code != http.StatusCreated || rp.hdr.Get("ETag") == "" {
			t.Fatalf("PUT = %d ETag %q, want 201 with an ETag", rp.code, rp.hdr.Get("ETag"))
		}
		h.wantContent(t, userA, "/dav/new.txt", "first")
	})
	t.Run("replace answers 204 with a new ETag", func(t *testing.T) {
		old := h.put(t, userA, "/dav/rep.txt", "version one")
		rp := h.do(t, userA, http.MethodPut, "/dav/rep.txt", "version two, longer")
		if rp.code != http.StatusNoContent || rp.hdr.Get("ETag") == "" {
			t.Fatalf("PUT = %d ETag %q, want 204 with an ETag", rp.code, rp.hdr.Get("ETag"))
		}
		if rp.hdr.Get("ETag") == old.hdr.Get("ETag") {
			t.Errorf("the ETag %s did not change with the content", old.hdr.Get("ETag"))
		}
		h.wantContent(t, userA, "/dav/rep.txt", "version two, longer")
	})
	// File systems stamp modification times from a coarse clock; an ETag
	// derived from them must still change on every replacement, or a
	// client's If-Match with a stale ETag overwrites someone else's change.
	t.Run("quick same-size replacements get distinct ETags", func(t *testing.T) {
		h.counter(userA).coarse.Store(true)
		defer h.counter(userA).coarse.Store(false)
		seen := map[string]string{}
		for i := range 20 {
			content := fmt.Sprintf("v%02d", i%10) // versions repeat sizes and, later, content
			tag := h.put(t, userA, "/dav/same.txt", content).hdr.Get("ETag")
			if prev, ok := seen[tag]; ok {
				t.Fatalf("PUT %d (%q) got ETag %s again, already given to %q", i, content, tag, prev)
			}
			seen[tag] = content
			if got := h.get(t, userA, "/dav/same.txt").hdr.Get("ETag"); got != tag {
				t.Fatalf("GET ETag = %s, PUT answered %s", got, tag)
			}
		}
	})
	t.Run("If-Match with a stale ETag answers 412 and keeps the content", func(t *testing.T) {
		h.counter(userA).coarse.Store(true)
		defer h.counter(userA).coarse.Store(false)
		stale := h.put(t, userA, "/dav/cond.txt", "aaa").hdr.Get("ETag")
		h.put(t, userA, "/dav/cond.txt", "bbb")
		rp := h.do(t, userA, http.MethodPut, "/dav/cond.txt", "ccc", "If-Match", stale)
		if rp.code != http.StatusPreconditionFailed {
			t.Errorf("PUT = %d, want 412", rp.code)
		}
		rp = h.do(t, userA, http.MethodPut, "/dav/cond.txt", "ddd", "If-Match", `"wrong"`)
		if rp.code != http.StatusPreconditionFailed {
			t.Errorf("PUT with a wrong tag = %d, want 412", rp.code)
		}
		h.wantContent(t, userA, "/dav/cond.txt", "bbb")
	})
	t.Run("If-Match with the current ETag replaces", func(t *testing.T) {
		tag := h.put(t, userA, "/dav/cond2.txt", "one").hdr.Get("ETag")
		if rp := h.do(t, userA, http.MethodPut, "/dav/cond2.txt", "two", "If-Match", tag); rp.code != http.StatusNoContent {
			t.Errorf("PUT = %d, want 204", rp.code)
		}
		h.wantContent(t, userA, "/dav/cond2.txt", "two")
	})
	t.Run("If-Match on a missing file answers 412", func(t *testing.T) {
		if rp := h.do(t, userA, http.MethodPut, "/dav/nomatch.txt", "x", "If-Match", "*"); rp.code != http.StatusPreconditionFailed {
			t.Errorf("PUT = %d, want 412", rp.code)
		}
		if rp := h.get(t, userA, "/dav/nomatch.txt"); rp.code != http.StatusNotFound {
			t.Errorf("GET = %d, want 404", rp.code)
		}
	})
	t.Run("If-None-Match * creates but never replaces", func(t *testing.T) {
		if rp := h.do(t, userA, http.MethodPut, "/dav/once.txt", "one", "If-None-Match", "*"); rp.code != http.StatusCreated {
			t.Errorf("first PUT = %d, want 201", rp.code)
		}
		if rp := h.do(t, userA, http.MethodPut, "/dav/once.txt", "two", "If-None-Match", "*"); rp.code != http.StatusPreconditionFailed {
			t.Errorf("second PUT = %d, want 412", rp.code)
		}
		h.wantContent(t, userA, "/dav/once.txt", "one")
	})
	t.Run("chunked upload of unknown length", func(t *testing.T) {
		content := strings.Repeat("chunk-", 50_000)
		// A reader of unknown length makes the client send chunks.
		req := h.newRequest(t, userA, http.MethodPut, "/dav/chunked.txt", io.MultiReader(strings.NewReader(content)))
		req.ContentLength = -1
		rp := h.send(t, req)
		if rp.code != http.StatusCreated {
			t.Fatalf("PUT = %d %s, want 201", rp.code, rp.body)
		}
		h.wantContent(t, userA, "/dav/chunked.txt", content)
	})
	t.Run("empty body creates an empty file", func(t *testing.T) {
		if rp := h.do(t, userA, http.MethodPut, "/dav/empty.txt", ""); rp.code != http.StatusCreated {
			t.Fatalf("PUT = %d, want 201", rp.code)
		}
		h.wantContent(t, userA, "/dav/empty.txt", "")
	})
	t.Run("into a missing folder answers 409", func(t *testing.T) {
		if rp := h.do(t, userA, http.MethodPut, "/dav/no/such/dir/f.txt", "x"); rp.code != http.StatusConflict {
			t.Errorf("PUT = %d, want 409", rp.code)
		}
		if _, err := os.Stat(filepath.Join(h.userDir(userA), "no")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("PUT created a folder: %v", err)
		}
	})
	t.Run("onto a folder answers 405", func(t *testing.T) {
		h.mkcol(t, userA, "/dav/folder/")
		for _, p := range []string{"/dav/folder", "/dav/folder/", "/dav/"} {
			if rp := h.do(t, userA, http.MethodPut, p, "x"); rp.code != http.StatusMethodNotAllowed {
				t.Errorf("PUT %s = %d, want 405", p, rp.code)
			}
		}
	})
	t.Run("X-OC-Mtime sets the modification time", func(t *testing.T) {
		rp := h.do(t, userA, http.MethodPut, "/dav/mtime.txt", "x", "X-OC-Mtime", "1700000000")
		if rp.code != http.StatusCreated || rp.hdr.Get("X-OC-Mtime") != "accepted" {
			t.Fatalf("PUT = %d, X-OC-Mtime %q", rp.code, rp.hdr.Get("X-OC-Mtime"))
		}
		p := h.props(t, userA, "/dav/mtime.txt", pLastModified, pETag)
		if want := time.Unix(1700000000, 0).UTC().Format(http.TimeFormat); p[pLastModified].inner != want {
			t.Errorf("getlastmodified = %q, want %q", p[pLastModified].inner, want)
		}
		if p[pETag].inner != rp.hdr.Get("ETag") {
			t.Errorf("getetag %s differs from the PUT's ETag %s", p[pETag].inner, rp.hdr.Get("ETag"))
		}
	})
}

// failingReader yields n bytes, then, once the server is handling the
// request, fails like a client that gave up.
type failingReader struct {
	n       int
	started <-chan struct{}
}

var errClientGaveUp = errors.New("client gave up")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		k := min(len(p), r.n)
		for i := range p[:k] {
			p[i] = 'x'
		}
		r.n -= k
		return k, nil
	}
	select {
	case <-r.started:
	case <-time.After(30 * time.Second):
	}
	return 0, errClientGaveUp
}

func TestPutInterrupted(t *testing.T) {
	h := newHarness(t)
	const old = "the old content"

	wantIntact := func(t *testing.T, rawPath string) {
		t.Helper()
		h.wantContent(t, userA, rawPath, old)
		if tmp := tempFiles(t, h.dataDir); len(tmp) > 0 {
			t.Errorf("temporary files left on disk: %v", tmp)
		}
		rp, _ := h.propfind(t, userA, "/dav/", "1", "")
		if rp.code != http.StatusMultiStatus || strings.Contains(rp.body, "docuvault-upload") {
			t.Errorf("PROPFIND = %d, showing a temporary file?\n%s", rp.code, rp.body)
		}
	}
	// Upload sends a body that fails after 256 KiB; the client gives up and
	// the test waits until the server has finished with the request.
	upload := func(t *testing.T, rawPath string, contentLength int64) {
		t.Helper()
		id := t.Name()
		body := &failingReader{n: 256 << 10, started: h.track(id).started}
		req := h.newRequest(t, userA, http.MethodPut, rawPath, body, trackHeader, id)
		req.ContentLength = contentLength
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 400 {
				t.Errorf("a failed upload got %d", resp.StatusCode)
			}
		}
		h.waitDone(t, id)
	}

	t.Run("a body that fails midway keeps the old content", func(t *testing.T) {
		h.put(t, userA, "/dav/fail.txt", old)
		upload(t, "/dav/fail.txt", 1<<20)
		wantIntact(t, "/dav/fail.txt")
	})
	t.Run("a chunked body that fails midway keeps the old content", func(t *testing.T) {
		h.put(t, userA, "/dav/failchunk.txt", old)
		upload(t, "/dav/failchunk.txt", -1)
		wantIntact(t, "/dav/failchunk.txt")
	})
	t.Run("a failed upload of a new file leaves nothing", func(t *testing.T) {
		upload(t, "/dav/never.txt", 1<<20)
		if rp := h.get(t, userA, "/dav/never.txt"); rp.code != http.StatusNotFound {
			t.Errorf("GET = %d, want 404", rp.code)
		}
		if tmp := tempFiles(t, h.dataDir); len(tmp) > 0 {
			t.Errorf("temporary files left on disk: %v", tmp)
		}
	})
	t.Run("a Content-Length larger than the body keeps the old content", func(t *testing.T) {
		h.put(t, userA, "/dav/short.txt", old)
		conn, err := net.Dial("tcp", h.host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req := h.newRequest(t, userA, http.MethodPut, "/dav/short.txt", nil)
		fmt.Fprintf(conn, "PUT /dav/short.txt HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Length: 100\r\n\r\nonly twenty bytes...",
			h.host, req.Header.Get("Authorization"))
		conn.(*net.TCPConn).CloseWrite() // the client stops sending
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("reading the response: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PUT = %d, want 400", resp.StatusCode)
		}
		wantIntact(t, "/dav/short.txt")
	})
}
