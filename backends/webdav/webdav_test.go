package webdav_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/backendtest"
	"github.com/docuvault/docuvault/backends/webdav"
	"github.com/docuvault/docuvault/internal/apachetest"
	"github.com/docuvault/docuvault/internal/testserver"
)

func newStore(t *testing.T, cfg webdav.Config) backends.Backend {
	t.Helper()
	b, err := webdav.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.(io.Closer).Close() })
	return b
}

// folders hands each conformance case a fresh folder below one remote root.
func folders(root webdav.Config) func(t *testing.T) backends.Backend {
	var n atomic.Int64
	rootStore, err := webdav.New(root)
	if err != nil {
		panic(err)
	}
	return func(t *testing.T) backends.Backend {
		name := fmt.Sprintf("case %03d", n.Add(1)) // a space, so the base URL needs escaping
		if err := rootStore.Mkdir(t.Context(), "/"+name); err != nil {
			t.Fatalf("making the case's folder: %v", err)
		}
		cfg := root
		cfg.URL = strings.TrimSuffix(root.URL, "/") + "/" + strings.ReplaceAll(name, " ", "%20") + "/"
		return newStore(t, cfg)
	}
}

func TestConformanceApache(t *testing.T) {
	s := apachetest.Start(t)
	backendtest.Run(t, folders(webdav.Config{URL: s.URL, Username: s.User, Password: s.Password}), backendtest.Options{})
}

func TestConformanceDocuVault(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	srv.AddUser("remote", "remote-password")
	backendtest.Run(t, folders(webdav.Config{URL: srv.URL + "/dav/", Username: "remote", Password: "remote-password"}), backendtest.Options{})
}

func TestConformanceNextcloud(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		f := newFakeNextcloud(t)
		b := newStore(t, webdav.Config{URL: f.URL, Username: f.User, Password: f.AppPassword, Nextcloud: true})
		if _, ok := b.(backends.Toucher); !ok {
			t.Fatal("Nextcloud mode is no backends.Toucher")
		}
		return b
	}, backendtest.Options{})
}

func TestPlainIsNoToucher(t *testing.T) {
	b := newStore(t, webdav.Config{URL: "http://127.0.0.1:1/dav/"})
	if _, ok := b.(backends.Toucher); ok {
		t.Error("a plain WebDAV store claims to set modification times")
	}
}

// While the remote is down every operation reports ErrUnavailable, never a
// missing or existing name; once it is back the same store works and the
// old content is intact.
func TestUnavailableAndRecovery(t *testing.T) {
	s := apachetest.Start(t)
	b := newStore(t, webdav.Config{URL: s.URL, Username: s.User, Password: s.Password})
	ctx := t.Context()
	if _, err := b.Put(ctx, "/f", strings.NewReader("old"), 3); err != nil {
		t.Fatal(err)
	}

	s.Stop()
	ops := map[string]func() error{
		"Stat":      func() error { _, err := b.Stat(ctx, "/f"); return err },
		"List":      func() error { _, err := b.List(ctx, "/"); return err },
		"Open":      func() error { _, err := b.Open(ctx, "/f", 0, -1); return err },
		"Put":       func() error { _, err := b.Put(ctx, "/f", strings.NewReader("new"), 3); return err },
		"PutStream": func() error { _, err := b.Put(ctx, "/f", strings.NewReader("new"), -1); return err },
		"Mkdir":     func() error { return b.Mkdir(ctx, "/d") },
		"Delete":    func() error { return b.Delete(ctx, "/f") },
		"Move":      func() error { return b.(backends.Mover).Move(ctx, "/f", "/g") },
		"RemoveAll": func() error { return b.(backends.RemoveAller).RemoveAll(ctx, "/f") },
		"Space":     func() error { _, _, err := b.(backends.SpaceReporter).Space(ctx); return err },
	}
	for name, op := range ops {
		err := op()
		if !errors.Is(err, backends.ErrUnavailable) {
			t.Errorf("%s with the remote down: %v, want ErrUnavailable", name, err)
		}
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrExist) || errors.Is(err, fs.ErrPermission) {
			t.Errorf("%s with the remote down: %v also claims a name state", name, err)
		}
	}

	s.Restart()
	rc, err := b.Open(ctx, "/f", 0, -1)
	if err != nil {
		t.Fatalf("Open after the remote is back: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "old" {
		t.Errorf("content after the outage: %q, want %q", got, "old")
	}
	if _, err := b.Put(ctx, "/f", strings.NewReader("new"), 3); err != nil {
		t.Errorf("Put after the remote is back: %v", err)
	}
	wantTempFree(t, s.Dir)
}

// 5xx answers and a listing cut short are ErrUnavailable too.
func TestUnavailableStatuses(t *testing.T) {
	for _, code := range []int{500, 502, 503, 504} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", code)
		}))
		b := newStore(t, webdav.Config{URL: srv.URL + "/dav/"})
		_, err := b.Stat(t.Context(), "/f")
		if !errors.Is(err, backends.ErrUnavailable) {
			t.Errorf("status %d: Stat: %v, want ErrUnavailable", code, err)
		}
		srv.Close()
	}

	// The server promises a long body, sends half a listing, hangs up.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(http.StatusMultiStatus)
		io.WriteString(w, `<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">`+
			`<D:response><D:href>/dav/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`+
			`<D:response><D:href>/dav/a</D:href><D:propstat><D:prop><D:resourcetype/></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`)
	}))
	defer srv.Close()
	b := newStore(t, webdav.Config{URL: srv.URL + "/dav/"})
	list, err := b.List(t.Context(), "/")
	if !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("List of a truncated answer = %d entries, %v; want ErrUnavailable", len(list), err)
	}
}

// Refused credentials are ErrPermission, and no error repeats the password.
func TestRefusedCredentials(t *testing.T) {
	const wrong = "wrong-secret-password"
	s := apachetest.Start(t)
	f := newFakeNextcloud(t)
	for name, cfg := range map[string]webdav.Config{
		"apache":         {URL: s.URL, Username: s.User, Password: wrong},
		"nextcloud":      {URL: f.URL, Username: f.User, Password: wrong, Nextcloud: true},
		"apache in URL":  {URL: strings.Replace(s.URL, "http://", "http://"+s.User+":"+wrong+"@", 1)},
		"nextcloud user": {URL: f.URL, Username: "bob", Password: f.AppPassword, Nextcloud: true},
	} {
		b := newStore(t, cfg)
		ctx := t.Context()
		for op, err := range map[string]error{
			"Stat":  func() error { _, err := b.Stat(ctx, "/"); return err }(),
			"List":  func() error { _, err := b.List(ctx, "/"); return err }(),
			"Put":   func() error { _, err := b.Put(ctx, "/f", strings.NewReader("x"), 1); return err }(),
			"Mkdir": b.Mkdir(ctx, "/d"),
		} {
			if !errors.Is(err, fs.ErrPermission) {
				t.Errorf("%s: %s: %v, want ErrPermission", name, op, err)
			}
			if err != nil && strings.Contains(err.Error(), wrong) {
				t.Errorf("%s: %s: error %q shows the password", name, op, err)
			}
		}
	}
}

// Statuses map to the backends error kinds.
func TestStatusMapping(t *testing.T) {
	var status atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	b := newStore(t, webdav.Config{URL: srv.URL + "/"})
	ctx := t.Context()
	for _, c := range []struct {
		code int
		op   string
		want error
	}{
		{404, "Stat", fs.ErrNotExist},
		{409, "Mkdir", fs.ErrNotExist},
		{405, "Mkdir", fs.ErrExist},
		{401, "Stat", fs.ErrPermission},
		{403, "Mkdir", fs.ErrPermission},
		{423, "RemoveAll", fs.ErrPermission},
		{404, "RemoveAll", fs.ErrNotExist},
		{409, "Put", fs.ErrNotExist},
		{502, "Mkdir", backends.ErrUnavailable},
		{503, "Put", backends.ErrUnavailable},
		{429, "Stat", backends.ErrUnavailable},
	} {
		status.Store(int64(c.code))
		var err error
		switch c.op {
		case "Stat":
			_, err = b.Stat(ctx, "/x")
		case "Mkdir":
			err = b.Mkdir(ctx, "/x")
		case "RemoveAll":
			err = b.(backends.RemoveAller).RemoveAll(ctx, "/x")
		case "Put":
			_, err = b.Put(ctx, "/x", strings.NewReader("x"), 1)
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s answered %d: %v, want %v", c.op, c.code, err, c.want)
		}
	}
	// 507 (storage full) and 501 are no transient outage.
	status.Store(507)
	if _, err := b.Put(ctx, "/x", strings.NewReader("x"), 1); err == nil || errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("Put answered 507: %v, want a plain error", err)
	}
}

// Put sends credentials up front, streams to a hidden temporary name in the
// target's folder (chunked when the size is unknown), then MOVEs it over
// the target; in Nextcloud mode every PUT carries X-OC-Mtime.
func TestPutRequests(t *testing.T) {
	f := newFakeNextcloud(t)
	b := newStore(t, webdav.Config{URL: f.URL, Username: f.User, Password: f.AppPassword, Nextcloud: true})
	ctx := t.Context()
	if err := b.Mkdir(ctx, "/d ir"); err != nil {
		t.Fatal(err)
	}
	f.take()
	before := time.Now().Add(-time.Second)
	for _, size := range []int64{5, -1} {
		if _, err := b.Put(ctx, "/d ir/ä?.txt", strings.NewReader("hello"), size); err != nil {
			t.Fatalf("Put size %d: %v", size, err)
		}
		reqs := f.take()
		var put, move *request
		for i, r := range reqs {
			if r.Auth == "" {
				t.Errorf("%s %s sent without credentials", r.Method, r.Path)
			}
			switch r.Method {
			case "PUT":
				put = &reqs[i]
			case "MOVE":
				move = &reqs[i]
			}
		}
		if put == nil || move == nil {
			t.Fatalf("size %d: requests %+v lack a PUT and a MOVE", size, reqs)
		}
		prefix := "/remote.php/dav/files/alice@example.com/d%20ir/" + webdav.TempPrefix
		if !strings.HasPrefix(put.Path, prefix) {
			t.Errorf("PUT to %q, want a name starting %q", put.Path, prefix)
		}
		if size >= 0 && (put.ContentLength != size || put.Chunked) {
			t.Errorf("known size: Content-Length %d, chunked %v", put.ContentLength, put.Chunked)
		}
		if size < 0 && !put.Chunked {
			t.Errorf("unknown size: not chunked (Content-Length %d)", put.ContentLength)
		}
		if put.Mtime == "" {
			t.Error("PUT without X-OC-Mtime")
		}
		if move.Path != put.Path || !strings.HasSuffix(move.Destination, "/d%20ir/%C3%A4%3F.txt") || move.Overwrite != "T" {
			t.Errorf("MOVE %s to %s (Overwrite %s), want the temporary name to the target with Overwrite T", move.Path, move.Destination, move.Overwrite)
		}
	}
	fi, err := b.Stat(ctx, "/d ir/ä?.txt")
	if err != nil || fi.ModTime.Before(before) {
		t.Errorf("Stat after Put: %+v, %v", fi, err)
	}

	// The fake enforces X-OC-Mtime: a plain store on the same root fails.
	plain := newStore(t, webdav.Config{URL: f.URL + "remote.php/dav/files/alice@example.com/", Username: f.User, Password: f.AppPassword})
	if _, err := plain.Put(ctx, "/d ir/plain", strings.NewReader("x"), 1); err == nil {
		t.Error("the fake took a PUT without X-OC-Mtime")
	}
	for _, r := range f.take() {
		if r.Method == "PUT" && r.Mtime != "" {
			t.Errorf("plain mode sent X-OC-Mtime %s", r.Mtime)
		}
	}
}

// The root's quota, with Nextcloud's -3 for unlimited as unknown.
func TestNextcloudSpace(t *testing.T) {
	f := newFakeNextcloud(t)
	b := newStore(t, webdav.Config{URL: f.URL, Username: f.User, Password: f.AppPassword, Nextcloud: true})
	ctx := t.Context()
	if _, err := b.Put(ctx, "/f", bytes.NewReader(make([]byte, 1000)), 1000); err != nil {
		t.Fatal(err)
	}
	f.QuotaAvailable.Store(5000)
	used, avail, err := b.(backends.SpaceReporter).Space(ctx)
	if err != nil || used != 1000 || avail != 4000 {
		t.Errorf("Space = %d, %d, %v; want 1000, 4000", used, avail, err)
	}
	f.QuotaAvailable.Store(-3)
	used, avail, err = b.(backends.SpaceReporter).Space(ctx)
	if err != nil || used != 1000 || avail != -1 {
		t.Errorf("Space with unlimited quota = %d, %d, %v; want 1000, -1", used, avail, err)
	}
}

// A server without quota properties (Apache) reports nothing useful, but
// no error.
func TestSpaceUnreported(t *testing.T) {
	s := apachetest.Start(t)
	b := newStore(t, webdav.Config{URL: s.URL, Username: s.User, Password: s.Password})
	used, avail, err := b.(backends.SpaceReporter).Space(t.Context())
	if err != nil || used != 0 || avail != -1 {
		t.Errorf("Space = %d, %d, %v; want 0, -1, nil", used, avail, err)
	}
}

// Failed uploads leave no temporary file on the remote, and a leftover one
// (from a crash) stays out of listings.
func TestTempNeverVisible(t *testing.T) {
	s := apachetest.Start(t)
	b := newStore(t, webdav.Config{URL: s.URL, Username: s.User, Password: s.Password})
	ctx := t.Context()
	if err := b.Mkdir(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, "/d/f", strings.NewReader("old"), 3); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("broken reader")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for name, put := range map[string]func() error{
		"reader error": func() error {
			_, err := b.Put(ctx, "/d/f", io.MultiReader(strings.NewReader("partial"), errReader{broken}), -1)
			return err
		},
		"short body": func() error { _, err := b.Put(ctx, "/d/f", strings.NewReader("abc"), 10); return err },
		"long body":  func() error { _, err := b.Put(ctx, "/d/f", strings.NewReader("abcdef"), 2); return err },
		"cancelled":  func() error { _, err := b.Put(cctx, "/d/f", strings.NewReader("new"), 3); return err },
		"over a folder": func() error {
			_, err := b.Put(ctx, "/d", strings.NewReader("new"), 3)
			return err
		},
	} {
		if err := put(); err == nil {
			t.Errorf("%s: Put succeeded", name)
		}
		wantTempFree(t, s.Dir)
	}
	rc, err := b.Open(ctx, "/d/f", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "old" {
		t.Errorf("content after failed Puts: %q", got)
	}

	// A temporary file left by a crash.
	resp, err := http.DefaultClient.Do(s.NewRequest("PUT", "d/"+webdav.TempPrefix+"0123456789abcdef", []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	list, err := b.List(ctx, "/d")
	if err != nil || len(list) != 1 || list[0].Name != "f" {
		t.Errorf("List with a leftover temporary file: %+v, %v", list, err)
	}
	// It blocks neither Delete of the folder's last file nor of the folder.
	if err := b.Delete(ctx, "/d/f"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "/d"); err != nil {
		t.Errorf("Delete of a folder holding only a leftover temporary file: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// wantTempFree fails if a temporary upload name exists below dir on disk.
func wantTempFree(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), webdav.TempPrefix) {
			t.Errorf("temporary file left on the remote: %s", p)
		}
		return nil
	})
}

// A server that redirects a folder to its name with a slash (Apache with
// mod_dir) still answers Stat and List.
func TestDirectorySlashRedirect(t *testing.T) {
	s := apachetest.Start(t)
	b := newStore(t, webdav.Config{URL: s.URL, Username: s.User, Password: s.Password})
	if err := b.Mkdir(t.Context(), "/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(t.Context(), "/d/f", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	var redirects atomic.Int64
	target := strings.TrimSuffix(s.URL, "/dav/")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/dav/d" {
			redirects.Add(1)
			http.Redirect(w, r, "/dav/d/", http.StatusMovedPermanently)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	defer srv.Close()
	rb := newStore(t, webdav.Config{URL: srv.URL + "/dav/", Username: s.User, Password: s.Password})
	fi, err := rb.Stat(t.Context(), "/d")
	if err != nil || !fi.IsDir || fi.Name != "d" {
		t.Errorf("Stat through a redirect: %+v, %v", fi, err)
	}
	list, err := rb.List(t.Context(), "/d")
	if err != nil || len(list) != 1 || list[0].Name != "f" {
		t.Errorf("List through a redirect: %+v, %v", list, err)
	}
	if redirects.Load() == 0 {
		t.Error("the test server never redirected")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []webdav.Config{
		{URL: ""},
		{URL: "ftp://example.com/"},
		{URL: "/relative/"},
		{URL: "http://example.com/?q=1"},
		{URL: "http://example.com/", Nextcloud: true},
		{URL: "http://example.com/", Nextcloud: true, Username: "a/b"},
	} {
		if _, err := webdav.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}
