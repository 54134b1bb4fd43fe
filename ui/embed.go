// Package ui serves DocuVault's web interface: the Vue app in this folder,
// built into dist/ by `npm run build` and embedded in the binary. A binary
// built without Node still works; it serves a page saying how to build the
// UI (the committed dist/.gitkeep keeps the embed pattern valid).
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Dist is the embedded build output (possibly only .gitkeep).
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // "dist" is a valid path; fs.Sub cannot fail on it
		panic(err)
	}
	return sub
}

// Cache policies: Vite puts content-hashed files under assets/, so they
// never change; everything else (index.html above all) is revalidated.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// securityHeaders go on every answer. The app loads only its own scripts
// and styles; the QR code of TOTP enrolment is a data: image and
// downloads are blob: URLs.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; " +
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "same-origin",
	"X-Frame-Options":        "DENY",
}

type file struct {
	body []byte
	etag string
}

// Handler serves the single-page app in fsys (Dist() in the binary):
// files as they are, any other path outside assets/ as index.html so the
// app's router can show it (a deep link or a reload), and a placeholder
// page when fsys has no index.html. Only GET and HEAD are allowed. The
// files are read once, when Handler is called.
func Handler(fsys fs.FS) http.Handler {
	h := &handler{files: map[string]file{}}
	// Walk errors only come from an unreadable fsys; what was read is served.
	_ = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || hidden(name) {
			return nil
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(b)
		h.files[name] = file{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	return h
}

type handler struct {
	files map[string]file
}

// hidden reports whether a name has a segment starting with a dot
// (.gitkeep and the like are never served).
func hidden(name string) bool {
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	for k, v := range securityHeaders {
		w.Header().Set(k, v)
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if f, ok := h.files[name]; ok && name != "index.html" {
		policy := cacheRevalidate
		if strings.HasPrefix(name, "assets/") {
			policy = cacheImmutable
		}
		h.serve(w, r, name, f, policy)
		return
	}
	if !h.spaRoute(r, name) {
		http.NotFound(w, r)
		return
	}
	index, ok := h.files["index.html"]
	if !ok {
		index = file{body: []byte(placeholder), etag: `"placeholder"`}
	}
	h.serve(w, r, "index.html", index, cacheRevalidate)
}

// spaRoute reports whether a path no file answers is one of the app's
// routes: never below assets/ (a missing script must not get HTML back) or
// a dot-segment; otherwise any page a browser navigates to, and any path
// whose last segment has no file extension.
func (h *handler) spaRoute(r *http.Request, name string) bool {
	if name == "" {
		return true
	}
	if strings.HasPrefix(name, "assets/") || hidden(name) {
		return false
	}
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		return true
	}
	return !strings.Contains(path.Base(name), ".")
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, name string, f file, policy string) {
	w.Header().Set("Cache-Control", policy)
	w.Header().Set("ETag", f.etag)
	// ServeContent sets Content-Type from the extension and answers
	// If-None-Match and Range; embedded files have no modification time.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}

// placeholder is index.html for a binary built without the UI.
const placeholder = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>DocuVault</title></head>
<body>
<h1>DocuVault is running</h1>
<p>WebDAV clients can connect to <code>/dav/</code> now.</p>
<p>This binary was built without the web interface. To include it, build the UI and then the server:</p>
<pre>cd ui &amp;&amp; npm ci &amp;&amp; npm run build &amp;&amp; cd ..
go build ./cmd/docuvault</pre>
<p>or run <code>make run</code>, which builds the UI when it is missing.</p>
</body>
</html>
`
