// Package graphfake is an in-process fake of the Microsoft Graph endpoints
// the onedrive driver uses, written from the public API documentation:
//
//	GET    /me/drive                                   drive with quota
//	GET    /me/drive/root, /me/drive/items/{id}        an item
//	       …/root:/{path}, …/items/{id}:/{path}        path addressing ("…:" optional)
//	GET    {item}/children                             paged ($top, @odata.nextLink)
//	POST   {item}/children                             new folder, conflictBehavior
//	PATCH  {item}                                      rename, move, fileSystemInfo; If-Match
//	DELETE {item}                                      recursive; If-Match
//	GET    {item}/content                              302 to a preauthenticated download URL
//	PUT    {item}:/{name}:/content                     simple upload (at most 4 MiB)
//	POST   {item}:/{name}:/createUploadSession         upload session
//	PUT/GET/DELETE {uploadUrl}                         fragments, status, cancel
//
// What it enforces, as OneDrive does: Authorization: Bearer with the current
// token on the API (401 InvalidAuthenticationToken otherwise) and none on
// the preauthenticated upload and download URLs, which live on a second
// server like the real ones; error bodies {"error":{"code","message"}};
// case-insensitive, case-preserving names; OneDrive's forbidden characters,
// leading and trailing spaces, trailing dots and reserved names; eTags that
// change with every change (cTags with content); folder sizes that add up
// their contents; quota; upload fragments that are multiples of 320 KiB
// (except the last), at most 60 MiB, contiguous, with a Content-Range whose
// total is a number that stays the same for the session (416 for overlaps,
// 400 for the rest); the item replaced only when the last byte arrives;
// DELETE on the uploadUrl cancels. Where OneDrive is lenient the fake is
// stricter (fragments out of order, Authorization on download URLs): a
// driver that passes here stays on the safe side. Like OneDrive, uploads by
// path create missing parent folders, which a driver must not rely on.
//
// File content lives in files below the fake's directory, never in memory.
// Knobs: Throttle (429/503 with Retry-After), SetToken and ExpireToken,
// SetQuota, PageSize.
package graphfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// SimpleUploadLimit is the largest body PUT …/content takes.
const SimpleUploadLimit = 4 << 20

// FragmentUnit divides every upload fragment but the last.
const FragmentUnit = 320 << 10

// MaxFragment is the largest fragment an upload session takes.
const MaxFragment = 60 << 20

// Fake is a running fake Graph service.
type Fake struct {
	// URL is the API base, like https://graph.microsoft.com/v1.0.
	URL string

	api, files *httptest.Server
	dir        string

	mu        sync.Mutex
	token     string
	expired   bool
	items     map[string]*item
	root      *item
	seq       int64
	quota     int64
	pageSize  int
	faults    []fault
	sessions  map[string]*session
	downloads map[string]download
	dlQueue   []string // download tokens, oldest first
	requests  int64
}

type fault struct {
	status     int
	retryAfter time.Duration
}

type item struct {
	id       string
	name     string
	parent   *item
	children map[string]*item // by fold(name); nil for files
	blob     string           // content file; files only
	size     int64
	version  int64 // eTag
	cversion int64 // cTag
	created  time.Time
	modified time.Time // lastModifiedDateTime
	fsMod    time.Time // fileSystemInfo.lastModifiedDateTime
}

func (it *item) isDir() bool { return it.children != nil }

// New starts a fake with its content below t.TempDir, stopped at the end
// of the test.
func New(t testing.TB) *Fake {
	f, err := Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// Start starts a fake keeping its content below dir, on 127.0.0.1.
func Start(dir string) (*Fake, error) {
	for _, d := range []string{"blobs", "sessions", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	now := time.Now().UTC()
	f := &Fake{
		dir:       dir,
		token:     "fake-access-token",
		items:     map[string]*item{},
		quota:     1 << 40,
		pageSize:  20,
		sessions:  map[string]*session{},
		downloads: map[string]download{},
	}
	f.root = &item{name: "root", children: map[string]*item{}, created: now, modified: now, fsMod: now}
	f.root.id = f.newID()
	f.items[f.root.id] = f.root
	f.api = httptest.NewServer(http.HandlerFunc(f.serveAPI))
	f.files = httptest.NewServer(http.HandlerFunc(f.serveFiles))
	f.URL = f.api.URL + "/v1.0"
	return f, nil
}

// Close stops both servers.
func (f *Fake) Close() {
	f.api.Close()
	f.files.Close()
}

// Token is the access token the API accepts now.
func (f *Fake) Token() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.token
}

// SetToken makes tok the one access token the API accepts.
func (f *Fake) SetToken(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token, f.expired = tok, false
}

// ExpireToken makes the API refuse the current token as expired until
// SetToken.
func (f *Fake) ExpireToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired = true
}

// Throttle makes the next n requests (API, upload or download) fail with
// status (429, 503, 500…), with a Retry-After header when retryAfter > 0.
func (f *Fake) Throttle(n int, status int, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.faults = append(f.faults, fault{status, retryAfter})
	}
}

// SetQuota sets the drive's total bytes.
func (f *Fake) SetQuota(total int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.quota = total
}

// PageSize sets the most children one page lists (default 20).
func (f *Fake) PageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pageSize = n
}

// Sessions is the number of upload sessions neither completed nor
// cancelled.
func (f *Fake) Sessions() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sessions)
}

// Requests is the number of requests served so far.
func (f *Fake) Requests() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// takeFault counts a request and returns the next injected failure.
func (f *Fake) takeFault() (fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if len(f.faults) == 0 {
		return fault{}, false
	}
	ft := f.faults[0]
	f.faults = f.faults[1:]
	return ft, true
}

func writeFault(w http.ResponseWriter, ft fault) {
	if ft.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int((ft.retryAfter+time.Second-1)/time.Second)))
	}
	code := map[int]string{429: "activityLimitReached", 503: "serviceNotAvailable"}[ft.status]
	if code == "" {
		code = "generalException"
	}
	graphError(w, ft.status, code, "injected failure")
}

// graphError writes Graph's error body.
func graphError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]string{"date": time.Now().UTC().Format(time.RFC3339)},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Tree helpers; callers hold f.mu.

func (f *Fake) newID() string {
	f.seq++
	return fmt.Sprintf("FAKE%012X!%d", f.seq, f.seq)
}

func fold(name string) string { return strings.ToLower(name) }

// validName applies OneDrive's naming rules.
func validName(name string) error {
	lower := fold(name)
	switch {
	case name == "":
		return fmt.Errorf("empty name")
	case strings.ContainsAny(name, `"*:<>?/\|`) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 }):
		return fmt.Errorf("the name %q contains characters that aren't allowed", name)
	case strings.HasPrefix(name, " ") || strings.HasSuffix(name, " ") || strings.HasSuffix(name, "."):
		return fmt.Errorf("names can't begin or end with a space or end with a period")
	case reserved(lower) || strings.HasPrefix(lower, "~$") || strings.Contains(lower, "_vti_"):
		return fmt.Errorf("the name %q is reserved", name)
	}
	return nil
}

func reserved(lower string) bool {
	switch lower {
	case "con", "prn", "aux", "nul", ".lock", "desktop.ini":
		return true
	}
	return len(lower) == 4 && (lower[:3] == "com" || lower[:3] == "lpt") && lower[3] >= '0' && lower[3] <= '9'
}

// touch records a change of it (and of its content when content is set).
func touch(it *item, content bool) {
	now := time.Now().UTC()
	it.version++
	it.modified = now
	if content {
		it.cversion++
		it.fsMod = now
	}
}

// childrenChanged bumps a folder's eTag when its entries change.
func childrenChanged(dir *item) {
	dir.version++
	dir.cversion++
}

func (f *Fake) newItem(parent *item, name string, dir bool) *item {
	now := time.Now().UTC()
	it := &item{id: f.newID(), name: name, parent: parent, created: now, modified: now, fsMod: now, version: 1, cversion: 1}
	if dir {
		it.children = map[string]*item{}
	}
	f.items[it.id] = it
	parent.children[fold(name)] = it
	childrenChanged(parent)
	return it
}

// remove unlinks it and everything below it, deleting content files.
func (f *Fake) remove(it *item) {
	delete(it.parent.children, fold(it.name))
	childrenChanged(it.parent)
	var drop func(*item)
	drop = func(it *item) {
		delete(f.items, it.id)
		for _, c := range it.children {
			drop(c)
		}
		if it.blob != "" {
			os.Remove(it.blob)
		}
	}
	drop(it)
}

func treeSize(it *item) int64 {
	if !it.isDir() {
		return it.size
	}
	var n int64
	for _, c := range it.children {
		n += treeSize(c)
	}
	return n
}

func isAncestor(a, b *item) bool {
	for p := b; p != nil; p = p.parent {
		if p == a {
			return true
		}
	}
	return false
}

// pathOf is the parentReference.path form, "/drive/root:/a/b".
func pathOf(it *item) string {
	var els []string
	for p := it; p.parent != nil; p = p.parent {
		els = append(els, p.name)
	}
	for i, j := 0, len(els)-1; i < j; i, j = i+1, j-1 {
		els[i], els[j] = els[j], els[i]
	}
	return "/drive/root:" + strings.TrimSuffix("/"+strings.Join(els, "/"), "/")
}

// itemJSON is the driveItem resource; downloadURL is set for single-item
// GETs of files.
func (f *Fake) itemJSON(it *item, downloadURL string) map[string]any {
	m := map[string]any{
		"id":                   it.id,
		"name":                 it.name,
		"size":                 treeSize(it),
		"eTag":                 fmt.Sprintf(`"{%s},%d"`, it.id, it.version),
		"cTag":                 fmt.Sprintf(`"c:{%s},%d"`, it.id, it.cversion),
		"createdDateTime":      it.created.Format(time.RFC3339),
		"lastModifiedDateTime": it.modified.Format(time.RFC3339),
		"fileSystemInfo": map[string]string{
			"createdDateTime":      it.created.Format(time.RFC3339),
			"lastModifiedDateTime": it.fsMod.Format(time.RFC3339),
		},
	}
	if it.isDir() {
		m["folder"] = map[string]int{"childCount": len(it.children)}
	} else {
		m["file"] = map[string]string{"mimeType": "application/octet-stream"}
	}
	if it == f.root {
		m["root"] = map[string]any{}
	} else {
		parentPath := pathOf(it.parent)
		m["parentReference"] = map[string]string{"driveId": "fakedrive", "driveType": "personal", "id": it.parent.id, "path": parentPath}
	}
	if downloadURL != "" {
		m["@microsoft.graph.downloadUrl"] = downloadURL
	}
	return m
}
