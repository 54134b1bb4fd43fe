// Package drivefake is an in-process fake of the Google Drive v3 endpoints
// the gdrive driver uses, written from the public API documentation:
//
//	GET    /drive/v3/about?fields=storageQuota          quota (fields required)
//	GET    /drive/v3/files?q=…&pageSize&pageToken        files.list, paged
//	POST   /drive/v3/files                               files.create, metadata only (folders)
//	GET    /drive/v3/files/{id}                          files.get; alt=media with Range
//	PATCH  /drive/v3/files/{id}?addParents&removeParents files.update: name, modifiedTime, trashed
//	DELETE /drive/v3/files/{id}                          permanent delete, with descendants
//	POST   /upload/drive/v3/files?uploadType=resumable   new resumable session (metadata body)
//	PATCH  /upload/drive/v3/files/{id}?uploadType=resumable  session replacing a file's content
//	PUT    {session URI}                                 chunk, or status query (Content-Range bytes */…)
//	DELETE {session URI}                                 cancel (499)
//
// What it enforces, as Drive does: Authorization: Bearer with the current
// token (401 authError otherwise, also on session URIs); error bodies
// {"error":{"errors":[{"domain","reason","message"}],"code","message"}};
// opaque ids, one parent per file, "root" as an alias of the root folder's
// id; same-name siblings; trashed files and descendants of trashed folders
// listed only when asked for; partial responses (a resource carries only
// the fields asked for, v3's defaults otherwise: id, name, mimeType, kind);
// pages of at most PageSize entries; resumable sessions whose chunks are
// multiples of 256 KiB except the last, contiguous, with a total that never
// changes, answered 308 with a Range header until complete; the content
// replaced only when the last byte arrives; Google Docs files that
// alt=media refuses (403 fileNotDownloadable); storage quota (403
// storageQuotaExceeded) and about.storageQuota.
//
// Where Drive is lenient the fake is stricter, so a driver that passes here
// stays on the safe side: the q parameter takes only the forms listed in
// parseQuery (anything else is 400), unknown query parameters are 400,
// overlapping or out-of-order chunks are 400 rather than tolerated, only
// uploadType=resumable exists, and chunks go by PUT only.
//
// File content lives in files below the fake's directory, never in memory.
// Knobs: SetToken, ExpireToken, Inject (rate limits, 5xx), PageSize,
// SetQuota; AddFile, AddFolder, Rename and Remove act as another client.
package drivefake

import (
	"crypto/rand"
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

// ChunkUnit divides every chunk of a resumable upload but the last.
const ChunkUnit = 256 << 10

// FolderType is the MIME type of folders.
const FolderType = "application/vnd.google-apps.folder"

// DocType is the MIME type of a native Google Docs file.
const DocType = "application/vnd.google-apps.document"

// Fake is a running fake Drive service.
type Fake struct {
	// URL replaces https://www.googleapis.com: the API lives below
	// URL+"/drive/v3", uploads below URL+"/upload/drive/v3".
	URL string
	// RootID is the id of the root folder ("My Drive"), which the API
	// also accepts as "root".
	RootID string

	srv *httptest.Server
	dir string

	mu       sync.Mutex
	token    string
	expired  bool
	files    map[string]*file
	sessions map[string]*session
	faults   []Fault
	pageSize int
	quota    int64
	counts   map[string]int
}

type file struct {
	id, name, mime string
	parent         string // "" for the root
	size           int64
	md5            string
	version        int64
	created        time.Time
	modified       time.Time
	trashed        bool // explicitly; descendants of a trashed folder are trashed too
	blob           string
}

func (f *file) isDir() bool { return f.mime == FolderType }

// native reports a Google Workspace file (Docs, Sheets, shortcuts…):
// no binary content.
func (f *file) native() bool {
	return strings.HasPrefix(f.mime, "application/vnd.google-apps.") && !f.isDir()
}

// Fault is a failure injected into upcoming requests.
type Fault struct {
	// Op limits the fault to one kind of request (see Count); "" is any.
	Op         string
	Status     int    // 403, 429, 500, 503…
	Reason     string // e.g. "userRateLimitExceeded"; default from Status
	RetryAfter time.Duration
}

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
	for _, d := range []string{"blobs", "sessions"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	now := stamp(time.Now())
	f := &Fake{
		dir:      dir,
		token:    "fake-access-token",
		files:    map[string]*file{},
		sessions: map[string]*session{},
		pageSize: 100,
		quota:    15 << 30,
		counts:   map[string]int{},
	}
	root := &file{id: newID(), name: "My Drive", mime: FolderType, version: 1, created: now, modified: now}
	f.files[root.id] = root
	f.RootID = root.id
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	return f, nil
}

// Close stops the server.
func (f *Fake) Close() { f.srv.Close() }

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

// ExpireToken makes the API refuse the current token (401) until SetToken.
func (f *Fake) ExpireToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired = true
}

// Inject makes the next n requests that ft.Op matches fail as ft says.
func (f *Fake) Inject(n int, ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.faults = append(f.faults, ft)
	}
}

// Pending is the number of injected faults not yet used.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.faults)
}

// PageSize sets the most files one page of files.list returns (default 100,
// Drive's default; Drive itself allows up to 1000).
func (f *Fake) PageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pageSize = max(n, 1)
}

// SetQuota sets the storage limit in bytes (default 15 GiB).
func (f *Fake) SetQuota(limit int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.quota = limit
}

// Count is the number of requests of one kind served so far: "about.get",
// "files.list", "files.get", "files.download", "files.create",
// "files.update", "files.delete", "upload.start", "upload.chunk",
// "upload.status" (a PUT without bytes) or "upload.cancel"; "" counts all.
func (f *Fake) Count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if op == "" {
		n := 0
		for _, c := range f.counts {
			n += c
		}
		return n
	}
	return f.counts[op]
}

// Sessions is the number of resumable sessions neither completed nor
// cancelled.
func (f *Fake) Sessions() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.sessions {
		if !s.done {
			n++
		}
	}
	return n
}

// File is a snapshot of a file's metadata.
type File struct {
	ID, Name, MimeType string
	Parent             string
	Size, Version      int64
	Created, Modified  time.Time
	Trashed            bool // explicitly or through a trashed folder
}

func (f *Fake) snapshot(x *file) File {
	return File{ID: x.id, Name: x.name, MimeType: x.mime, Parent: x.parent, Size: x.size, Version: x.version,
		Created: x.created, Modified: x.modified, Trashed: f.isTrashed(x)}
}

// Get returns the metadata of file id.
func (f *Fake) Get(id string) (File, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x := f.files[f.alias(id)]
	if x == nil {
		return File{}, false
	}
	return f.snapshot(x), true
}

// Children returns the files in folder id named name (all names when name
// is ""), trashed ones included, in no particular order.
func (f *Fake) Children(id, name string) []File {
	f.mu.Lock()
	defer f.mu.Unlock()
	id = f.alias(id)
	var out []File
	for _, x := range f.files {
		if x.parent == id && (name == "" || x.name == name) {
			out = append(out, f.snapshot(x))
		}
	}
	return out
}

// Content returns the content of file id.
func (f *Fake) Content(id string) ([]byte, error) {
	f.mu.Lock()
	x := f.files[f.alias(id)]
	f.mu.Unlock()
	if x == nil {
		return nil, os.ErrNotExist
	}
	if x.blob == "" {
		return nil, nil
	}
	return os.ReadFile(x.blob)
}

// AddFolder creates a folder in folder parent as another client would and
// returns its id. Same-name siblings are allowed, as in Drive.
func (f *Fake) AddFolder(parent, name string) string {
	return f.AddFile(parent, name, FolderType, nil)
}

// AddFile creates a file of MIME type mime in folder parent as another
// client would and returns its id. A native type (DocType…) makes a file
// without downloadable content.
func (f *Fake) AddFile(parent, name, mime string, content []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.files[f.alias(parent)]
	if p == nil || !p.isDir() {
		panic("drivefake: AddFile: no folder " + parent)
	}
	now := stamp(time.Now())
	x := &file{id: newID(), name: name, mime: mime, parent: p.id, version: 1, created: now, modified: now}
	if !x.isDir() && !x.native() {
		blob := f.newBlob()
		if err := os.WriteFile(blob, content, 0o600); err != nil {
			panic(err)
		}
		x.blob, x.size, x.md5 = blob, int64(len(content)), md5hex(content)
	}
	f.files[x.id] = x
	return x.id
}

// Rename renames file id as another client would.
func (f *Fake) Rename(id, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if x := f.files[f.alias(id)]; x != nil {
		x.name = name
		x.version++
	}
}

// Remove deletes file id (and what is below it) as another client would.
func (f *Fake) Remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if x := f.files[f.alias(id)]; x != nil {
		f.deleteTree(x)
	}
}

// serve routes one request.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	var (
		op string
		h  func(http.ResponseWriter, *http.Request, string) *apiErr
		id string
	)
	q := r.URL.Query()
	switch {
	case p == "/drive/v3/about" && r.Method == http.MethodGet:
		op, h = "about.get", f.about
	case p == "/drive/v3/files" && r.Method == http.MethodGet:
		op, h = "files.list", f.list
	case p == "/drive/v3/files" && r.Method == http.MethodPost:
		op, h = "files.create", f.create
	case strings.HasPrefix(p, "/drive/v3/files/") && !strings.Contains(p[len("/drive/v3/files/"):], "/"):
		id = p[len("/drive/v3/files/"):]
		switch r.Method {
		case http.MethodGet:
			op, h = "files.get", f.get
			if q.Get("alt") == "media" {
				op = "files.download"
			}
		case http.MethodPatch:
			op, h = "files.update", f.update
		case http.MethodDelete:
			op, h = "files.delete", f.delete
		}
	case (p == "/upload/drive/v3/files" || strings.HasPrefix(p, "/upload/drive/v3/files/")) && q.Has("upload_id"):
		switch r.Method {
		case http.MethodPut:
			op, h = "upload.chunk", f.chunk
			if !hasBytes(r) {
				op = "upload.status"
			}
		case http.MethodDelete:
			op, h = "upload.cancel", f.cancel
		}
	case p == "/upload/drive/v3/files" && r.Method == http.MethodPost:
		op, h = "upload.start", f.startUpload
	case strings.HasPrefix(p, "/upload/drive/v3/files/") && r.Method == http.MethodPatch:
		id = p[len("/upload/drive/v3/files/"):]
		op, h = "upload.start", f.startUpload
	}
	if h == nil {
		errorf(http.StatusNotFound, "notFound", "Not Found: %s %s", r.Method, p).write(w)
		return
	}
	if e := f.authorize(r); e != nil {
		e.write(w)
		return
	}
	if ft, ok := f.takeFault(op); ok {
		writeFault(w, ft)
		return
	}
	if e := h(w, r, id); e != nil {
		e.write(w)
	}
}

func hasBytes(r *http.Request) bool {
	cr := r.Header.Get("Content-Range")
	return r.ContentLength != 0 && !strings.HasPrefix(cr, "bytes */")
}

func (f *Fake) authorize(r *http.Request) *apiErr {
	h := r.Header.Get("Authorization")
	if h == "" {
		return &apiErr{status: 401, reason: "required", domain: "global", location: "Authorization", locationType: "header",
			msg: "Login Required."}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if h != "Bearer "+f.token || f.expired {
		return &apiErr{status: 401, reason: "authError", domain: "global", location: "Authorization", locationType: "header",
			msg: "Invalid Credentials"}
	}
	return nil
}

// takeFault counts a request and returns the next injected failure for it.
func (f *Fake) takeFault(op string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts[op]++
	for i, ft := range f.faults {
		if ft.Op == "" || ft.Op == op {
			f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
			return ft, true
		}
	}
	return Fault{}, false
}

func writeFault(w http.ResponseWriter, ft Fault) {
	if ft.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int((ft.RetryAfter+time.Second-1)/time.Second)))
	}
	e := &apiErr{status: ft.Status, reason: ft.Reason, domain: "global", msg: "injected failure"}
	switch {
	case e.reason != "":
	case ft.Status == http.StatusTooManyRequests:
		e.reason, e.domain, e.msg = "rateLimitExceeded", "usageLimits", "Rate Limit Exceeded"
	case ft.Status == http.StatusForbidden:
		e.reason, e.domain, e.msg = "userRateLimitExceeded", "usageLimits", "User Rate Limit Exceeded"
	case ft.Status >= 500:
		e.reason, e.msg = "backendError", "Backend Error"
	default:
		e.reason = "badRequest"
	}
	e.write(w)
}

// apiErr is one of Drive's error answers.
type apiErr struct {
	status                 int
	reason, domain, msg    string
	location, locationType string
}

func errorf(status int, reason, format string, args ...any) *apiErr {
	return &apiErr{status: status, reason: reason, domain: "global", msg: fmt.Sprintf(format, args...)}
}

func notFound(id string) *apiErr {
	return &apiErr{status: 404, reason: "notFound", domain: "global", location: "fileId", locationType: "parameter",
		msg: "File not found: " + id + "."}
}

func invalid(param, format string, args ...any) *apiErr {
	return &apiErr{status: 400, reason: "invalid", domain: "global", location: param, locationType: "parameter",
		msg: fmt.Sprintf(format, args...)}
}

func (e *apiErr) write(w http.ResponseWriter) {
	item := map[string]string{"domain": e.domain, "reason": e.reason, "message": e.msg}
	if e.location != "" {
		item["location"], item["locationType"] = e.location, e.locationType
	}
	writeJSON(w, e.status, map[string]any{"error": map[string]any{
		"errors": []any{item}, "code": e.status, "message": e.msg,
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Helpers below take f.mu.

// alias resolves "root".
func (f *Fake) alias(id string) string {
	if id == "root" {
		return f.RootID
	}
	return id
}

func (f *Fake) isTrashed(x *file) bool {
	for ; x != nil; x = f.files[x.parent] {
		if x.trashed {
			return true
		}
	}
	return false
}

// deleteTree removes x and everything below it.
func (f *Fake) deleteTree(x *file) {
	for _, c := range f.files {
		if c.parent == x.id {
			f.deleteTree(c)
		}
	}
	if x.blob != "" {
		os.Remove(x.blob)
	}
	delete(f.files, x.id)
}

// usage returns the bytes of all binary content, and of the trashed part.
func (f *Fake) usage() (all, trash int64) {
	for _, x := range f.files {
		all += x.size
		if f.isTrashed(x) {
			trash += x.size
		}
	}
	return all, trash
}

func (f *Fake) newBlob() string { return filepath.Join(f.dir, "blobs", newID()) }

const idChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"

// newID returns an id shaped like Drive's: 33 URL-safe characters.
func newID() string {
	b := make([]byte, 33)
	rand.Read(b)
	for i := range b {
		b[i] = idChars[int(b[i])%len(idChars)]
	}
	b[0] = '1'
	return string(b)
}

// stamp is t at Drive's precision, in UTC.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
