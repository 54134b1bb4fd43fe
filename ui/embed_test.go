package ui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// built is what `npm run build` leaves in dist/.
func built() fstest.MapFS {
	return fstest.MapFS{
		".gitkeep":                {Data: nil},
		"index.html":              {Data: []byte(`<!doctype html><div id="app"></div><script src="/assets/index-abc123.js"></script>`)},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"assets/index-abc123.js":  {Data: []byte(`console.log(1)`)},
		"assets/index-def456.css": {Data: []byte(`body{}`)},
		"assets/_plugin-vue-1.js": {Data: []byte(`export{}`)},
	}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) answer {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return answer{w.Code, w.Result().Header, string(b)}
}

var html = map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}

func TestIndexAtRoot(t *testing.T) {
	a := get(t, Handler(built()), "GET", "/", html)
	if a.status != 200 || !strings.Contains(a.body, `<div id="app">`) {
		t.Fatalf("GET /: %d %q", a.status, a.body)
	}
	if got := a.header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
		t.Errorf("Content-Type %q", got)
	}
	if got := a.header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index.html Cache-Control %q, want no-cache (a new build must be picked up)", got)
	}
	if got := a.header.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'self'") {
		t.Errorf("Content-Security-Policy %q", got)
	}
}

func TestSPAFallback(t *testing.T) {
	h := Handler(built())
	for _, tc := range []struct {
		path   string
		header map[string]string
	}{
		{"/signin", nil},                   // no extension: a route
		{"/files/Documents/Reports", nil},  // deep link
		{"/files/report.pdf", html},        // a browser navigating, dots and all
		{"/index.html", html},              // the same page under its file name
		{"/security?tab=totp", nil},        // query strings are the app's
		{"/files/%E4%B8%96%E7%95%8C", nil}, // escaped names
	} {
		a := get(t, h, "GET", tc.path, tc.header)
		if a.status != 200 || !strings.Contains(a.body, `<div id="app">`) || a.header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: %d %q %q, want index.html", tc.path, a.status, a.header.Get("Cache-Control"), a.body)
		}
	}
}

func TestHashedAssetsAreImmutable(t *testing.T) {
	h := Handler(built())
	for path, ctype := range map[string]string{
		"/assets/index-abc123.js":  "text/javascript",
		"/assets/index-def456.css": "text/css",
		"/assets/_plugin-vue-1.js": "text/javascript", // Vite's underscore chunks are embedded too
	} {
		a := get(t, h, "GET", path, nil)
		if a.status != 200 {
			t.Fatalf("GET %s: %d", path, a.status)
		}
		if got := a.header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", path, got)
		}
		if got := a.header.Get("Content-Type"); !strings.HasPrefix(got, ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", path, got, ctype)
		}
	}
	// Files outside assets/ have stable names, so they are revalidated.
	if a := get(t, h, "GET", "/favicon.svg", nil); a.status != 200 || a.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("GET /favicon.svg: %d %q", a.status, a.header.Get("Cache-Control"))
	}
}

func TestMissingFilesAre404(t *testing.T) {
	h := Handler(built())
	for _, tc := range []struct {
		path   string
		header map[string]string
	}{
		{"/assets/index-old999.js", html}, // a stale hashed asset must not get HTML back
		{"/assets/app.js", nil},
		{"/favicon.ico", map[string]string{"Accept": "image/avif,image/*,*/*;q=0.8"}}, // not a navigation
		{"/.gitkeep", html}, // dotfiles are never served
		{"/assets/.hidden", nil},
	} {
		if a := get(t, h, "GET", tc.path, tc.header); a.status != 404 {
			t.Errorf("GET %s: %d, want 404", tc.path, a.status)
		}
	}
}

func TestNoEscapeFromTheRoot(t *testing.T) {
	h := Handler(built())
	r := httptest.NewRequest("GET", "/", nil)
	r.URL.Path = "/../../etc/passwd"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	// Cleaned to /etc/passwd, which no file answers: the app's 404 page.
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<div id="app">`) {
		t.Fatalf("GET /../../etc/passwd: %d %q", w.Code, w.Body.String())
	}
}

func TestETagRevalidation(t *testing.T) {
	h := Handler(built())
	first := get(t, h, "GET", "/", nil)
	etag := first.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on index.html")
	}
	if a := get(t, h, "GET", "/", map[string]string{"If-None-Match": etag}); a.status != 304 || a.body != "" {
		t.Errorf("If-None-Match with the current ETag: %d %q, want 304", a.status, a.body)
	}
	if a := get(t, h, "GET", "/assets/index-abc123.js", nil); a.header.Get("ETag") == etag {
		t.Error("two files share an ETag")
	}
}

func TestMethods(t *testing.T) {
	h := Handler(built())
	if a := get(t, h, "HEAD", "/assets/index-abc123.js", nil); a.status != 200 || a.body != "" || a.header.Get("Content-Length") != "14" {
		t.Errorf("HEAD: %d %q Content-Length %q", a.status, a.body, a.header.Get("Content-Length"))
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PROPFIND"} {
		a := get(t, h, m, "/", nil)
		if a.status != 405 || a.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: %d Allow %q, want 405 with Allow: GET, HEAD", m, a.status, a.header.Get("Allow"))
		}
	}
}

func TestPlaceholderWithoutABuild(t *testing.T) {
	h := Handler(fstest.MapFS{".gitkeep": {}})
	for _, path := range []string{"/", "/files/x"} {
		a := get(t, h, "GET", path, html)
		if a.status != 200 || !strings.Contains(a.body, "npm run build") || !strings.Contains(a.body, "/dav/") {
			t.Errorf("GET %s without a build: %d %q, want the placeholder", path, a.status, a.body)
		}
	}
	if a := get(t, h, "GET", "/assets/index-abc123.js", nil); a.status != 404 {
		t.Errorf("an asset without a build: %d, want 404", a.status)
	}
}

// The embedded dist/ is valid whether or not the UI was built: .gitkeep
// alone, or a build with index.html and its assets.
func TestEmbeddedDist(t *testing.T) {
	d := Dist()
	if _, err := fs.Stat(d, ".gitkeep"); err != nil {
		t.Fatalf("dist/.gitkeep is not embedded: %v", err)
	}
	a := get(t, Handler(d), "GET", "/", html)
	if a.status != 200 {
		t.Fatalf("GET / from the embedded build: %d", a.status)
	}
	if _, err := fs.Stat(d, "index.html"); err == nil {
		// A build: every script index.html names is served.
		for _, src := range strings.Split(a.body, `src="`)[1:] {
			src = src[:strings.Index(src, `"`)]
			if b := get(t, Handler(d), "GET", src, nil); b.status != 200 {
				t.Errorf("index.html names %s, which answers %d", src, b.status)
			}
		}
	}
}
