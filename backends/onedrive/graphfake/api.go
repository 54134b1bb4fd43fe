package graphfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiErr is an error answer.
type apiErr struct {
	status    int
	code, msg string
}

func errf(status int, code, format string, args ...any) *apiErr {
	return &apiErr{status, code, fmt.Sprintf(format, args...)}
}

func notFound() *apiErr {
	return errf(http.StatusNotFound, "itemNotFound", "The resource could not be found.")
}

func (e *apiErr) write(w http.ResponseWriter) { graphError(w, e.status, e.code, e.msg) }

const conflictParam = "@microsoft.graph.conflictBehavior"

func (f *Fake) authorized(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	tok, expired := f.token, f.expired
	f.mu.Unlock()
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	var msg string
	switch {
	case r.Header.Get("Authorization") == "":
		msg = "Access token is empty."
	case !ok || got != tok:
		msg = "IDX14100: JWT is not well formed."
	case expired:
		msg = "Lifetime validation failed, the token is expired."
	default:
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="", error="invalid_token"`)
	graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
	return false
}

func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	if ft, ok := f.takeFault(); ok {
		writeFault(w, ft)
		return
	}
	if !f.authorized(w, r) {
		return
	}
	p, ok := strings.CutPrefix(r.URL.Path, "/v1.0/me/drive")
	switch {
	case !ok:
		errf(http.StatusBadRequest, "BadRequest", "Resource not found for the segment %q.", r.URL.Path).write(w)
	case p == "" && r.Method == http.MethodGet:
		f.getDrive(w)
	default:
		f.serveItem(w, r, p)
	}
}

func (f *Fake) getDrive(w http.ResponseWriter) {
	f.mu.Lock()
	used, total := f.usedBytes(), f.quota
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "fakedrive", "driveType": "personal",
		"owner": map[string]any{"user": map[string]string{"displayName": "Fake User"}},
		"quota": map[string]any{"total": total, "used": used, "remaining": max(total-used, 0), "deleted": 0, "state": "normal"},
	})
}

// address is a parsed item URL: base item (root or by id), a path below it
// and what follows ("", "children", "content", "createUploadSession").
type address struct {
	base   *item
	rel    []string
	suffix string
}

// parse reads p, the URL path after /me/drive; callers hold f.mu.
func (f *Fake) parse(p string) (address, *apiErr) {
	var a address
	var rest string
	switch {
	case p == "/root" || strings.HasPrefix(p, "/root/") || strings.HasPrefix(p, "/root:"):
		a.base, rest = f.root, p[len("/root"):]
	case strings.HasPrefix(p, "/items/"):
		rest = p[len("/items/"):]
		i := strings.IndexAny(rest, "/:")
		if i < 0 {
			i = len(rest)
		}
		a.base, rest = f.items[rest[:i]], rest[i:]
		if a.base == nil {
			return a, notFound()
		}
	default:
		return a, errf(http.StatusBadRequest, "invalidRequest", "Invalid request")
	}
	if r, ok := strings.CutPrefix(rest, ":"); ok {
		rel, after, _ := strings.Cut(r, ":")
		for el := range strings.SplitSeq(rel, "/") {
			if el != "" {
				a.rel = append(a.rel, el)
			}
		}
		rest = after
	}
	a.suffix = strings.TrimPrefix(rest, "/")
	switch a.suffix {
	case "", "children", "content", "createUploadSession":
		return a, nil
	}
	return a, errf(http.StatusBadRequest, "invalidRequest", "Unsupported segment %q", a.suffix)
}

// walk resolves els below it.
func walk(it *item, els []string) (*item, *apiErr) {
	for _, el := range els {
		if !it.isDir() {
			return nil, notFound()
		}
		if it = it.children[fold(el)]; it == nil {
			return nil, notFound()
		}
	}
	return it, nil
}

// uploadTarget resolves the folder and name an upload goes to, creating
// missing parent folders as OneDrive does for uploads by path.
func (f *Fake) uploadTarget(a address) (*item, string, *apiErr) {
	if len(a.rel) == 0 {
		if a.base == f.root || a.base.isDir() {
			return nil, "", errf(http.StatusBadRequest, "invalidRequest", "Cannot upload content to a folder")
		}
		return a.base.parent, a.base.name, nil
	}
	dir := a.base
	for _, el := range a.rel[:len(a.rel)-1] {
		if !dir.isDir() {
			return nil, "", errf(http.StatusBadRequest, "invalidRequest", "A parent in the path is not a folder")
		}
		next := dir.children[fold(el)]
		if next == nil {
			if err := validName(el); err != nil {
				return nil, "", errf(http.StatusBadRequest, "invalidRequest", "%v", err)
			}
			next = f.newItem(dir, el, true)
		}
		dir = next
	}
	if !dir.isDir() {
		return nil, "", errf(http.StatusBadRequest, "invalidRequest", "The parent is not a folder")
	}
	name := a.rel[len(a.rel)-1]
	if err := validName(name); err != nil {
		return nil, "", errf(http.StatusBadRequest, "invalidRequest", "%v", err)
	}
	if ex := dir.children[fold(name)]; ex != nil && ex.isDir() {
		return nil, "", errf(http.StatusConflict, "nameAlreadyExists", "A folder with that name already exists")
	}
	return dir, name, nil
}

func (f *Fake) serveItem(w http.ResponseWriter, r *http.Request, p string) {
	f.mu.Lock()
	a, aerr := f.parse(p)
	f.mu.Unlock()
	if aerr != nil {
		aerr.write(w)
		return
	}
	switch {
	case a.suffix == "" && r.Method == http.MethodGet:
		f.getItem(w, a)
	case a.suffix == "" && r.Method == http.MethodPatch:
		f.patchItem(w, r, a)
	case a.suffix == "" && r.Method == http.MethodDelete:
		f.deleteItem(w, r, a)
	case a.suffix == "children" && r.Method == http.MethodGet:
		f.listChildren(w, r, a)
	case a.suffix == "children" && r.Method == http.MethodPost:
		f.createFolder(w, r, a)
	case a.suffix == "content" && r.Method == http.MethodGet:
		f.getContent(w, a)
	case a.suffix == "content" && r.Method == http.MethodPut:
		f.simpleUpload(w, r, a)
	case a.suffix == "createUploadSession" && r.Method == http.MethodPost:
		f.createSession(w, r, a)
	default:
		errf(http.StatusMethodNotAllowed, "invalidRequest", "%s not allowed here", r.Method).write(w)
	}
}

func (f *Fake) getItem(w http.ResponseWriter, a address) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, aerr := walk(a.base, a.rel)
	if aerr != nil {
		aerr.write(w)
		return
	}
	dl := ""
	if !it.isDir() {
		dl = f.mintDownload(it)
	}
	writeJSON(w, http.StatusOK, f.itemJSON(it, dl))
}

func (f *Fake) listChildren(w http.ResponseWriter, r *http.Request, a address) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, aerr := walk(a.base, a.rel)
	if aerr != nil {
		aerr.write(w)
		return
	}
	top := f.pageSize
	if n, err := strconv.Atoi(r.URL.Query().Get("$top")); err == nil && n > 0 && n < top {
		top = n
	}
	after := r.URL.Query().Get("$skiptoken")
	var keys []string
	for k := range it.children { // a file has none
		if k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	resp := map[string]any{}
	if len(keys) > top {
		keys = keys[:top]
		q := url.Values{"$top": {strconv.Itoa(top)}, "$skiptoken": {keys[top-1]}}
		resp["@odata.nextLink"] = f.URL + "/me/drive/items/" + url.PathEscape(it.id) + "/children?" + q.Encode()
	}
	value := make([]any, 0, len(keys))
	for _, k := range keys {
		value = append(value, f.itemJSON(it.children[k], ""))
	}
	resp["value"] = value
	writeJSON(w, http.StatusOK, resp)
}

func (f *Fake) createFolder(w http.ResponseWriter, r *http.Request, a address) {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		errf(http.StatusBadRequest, "invalidRequest", "Invalid request body").write(w)
		return
	}
	var name, conflict string
	json.Unmarshal(body["name"], &name)
	json.Unmarshal(body[conflictParam], &conflict)
	if q := r.URL.Query().Get(conflictParam); q != "" {
		conflict = q
	}
	if _, ok := body["folder"]; !ok {
		errf(http.StatusBadRequest, "invalidRequest", "Only folders can be created here").write(w)
		return
	}
	if err := validName(name); err != nil {
		errf(http.StatusBadRequest, "invalidRequest", "%v", err).write(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	dir, aerr := walk(a.base, a.rel)
	if aerr != nil {
		aerr.write(w)
		return
	}
	if !dir.isDir() {
		errf(http.StatusBadRequest, "invalidRequest", "The parent is not a folder").write(w)
		return
	}
	if ex := dir.children[fold(name)]; ex != nil {
		switch {
		case conflict == "rename":
			name = freeName(dir, name)
		case conflict == "replace" && ex.isDir():
			writeJSON(w, http.StatusOK, f.itemJSON(ex, ""))
			return
		case conflict == "replace":
			f.remove(ex)
		default:
			errf(http.StatusConflict, "nameAlreadyExists", "An item with the name %q already exists.", name).write(w)
			return
		}
	}
	it := f.newItem(dir, name, true)
	writeJSON(w, http.StatusCreated, f.itemJSON(it, ""))
}

// freeName appends " 1", " 2"… to name until it is free in dir.
func freeName(dir *item, name string) string {
	for i := 1; ; i++ {
		n := fmt.Sprintf("%s %d", name, i)
		if dir.children[fold(n)] == nil {
			return n
		}
	}
}

// ifMatch checks an If-Match header against it's eTag and cTag.
func ifMatch(r *http.Request, it *item) *apiErr {
	v := r.Header.Get("If-Match")
	if v == "" || v == "*" {
		return nil
	}
	etag := fmt.Sprintf(`"{%s},%d"`, it.id, it.version)
	ctag := fmt.Sprintf(`"c:{%s},%d"`, it.id, it.cversion)
	if v == etag || v == ctag {
		return nil
	}
	return errf(http.StatusPreconditionFailed, "resourceModified", "ETag does not match current item's value")
}

func (f *Fake) patchItem(w http.ResponseWriter, r *http.Request, a address) {
	var body struct {
		Name            *string `json:"name"`
		ParentReference *struct {
			ID string `json:"id"`
		} `json:"parentReference"`
		FileSystemInfo *struct {
			LastModified *string `json:"lastModifiedDateTime"`
		} `json:"fileSystemInfo"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		errf(http.StatusBadRequest, "invalidRequest", "Invalid request body").write(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	it, aerr := walk(a.base, a.rel)
	if aerr == nil {
		aerr = ifMatch(r, it)
	}
	if aerr != nil {
		aerr.write(w)
		return
	}
	var mtime time.Time
	if body.FileSystemInfo != nil && body.FileSystemInfo.LastModified != nil {
		t, err := time.Parse(time.RFC3339, *body.FileSystemInfo.LastModified)
		if err != nil {
			errf(http.StatusBadRequest, "invalidRequest", "Invalid lastModifiedDateTime").write(w)
			return
		}
		mtime = t.UTC().Truncate(time.Second)
	}
	if body.Name != nil || body.ParentReference != nil {
		if it == f.root {
			errf(http.StatusBadRequest, "invalidRequest", "The root cannot be renamed or moved").write(w)
			return
		}
		if aerr := f.move(r, it, body.Name, body.ParentReference); aerr != nil {
			aerr.write(w)
			return
		}
	}
	if !mtime.IsZero() {
		it.fsMod = mtime
	}
	touch(it, false)
	writeJSON(w, http.StatusOK, f.itemJSON(it, ""))
}

// move renames and/or reparents it; callers hold f.mu.
func (f *Fake) move(r *http.Request, it *item, name *string, parent *struct {
	ID string `json:"id"`
}) *apiErr {
	newName, dst := it.name, it.parent
	if name != nil {
		if err := validName(*name); err != nil {
			return errf(http.StatusBadRequest, "invalidRequest", "%v", err)
		}
		newName = *name
	}
	if parent != nil {
		if dst = f.items[parent.ID]; dst == nil {
			return notFound()
		}
		if !dst.isDir() {
			return errf(http.StatusBadRequest, "invalidRequest", "The destination is not a folder")
		}
		if isAncestor(it, dst) {
			return errf(http.StatusBadRequest, "invalidRequest", "Cannot move a folder into itself")
		}
	}
	if ex := dst.children[fold(newName)]; ex != nil && ex != it {
		if r.URL.Query().Get(conflictParam) != "replace" || ex.isDir() || it.isDir() {
			return errf(http.StatusConflict, "nameAlreadyExists", "An item with the name %q already exists.", newName)
		}
		f.remove(ex)
	}
	delete(it.parent.children, fold(it.name))
	childrenChanged(it.parent)
	it.name, it.parent = newName, dst
	dst.children[fold(newName)] = it
	childrenChanged(dst)
	return nil
}

func (f *Fake) deleteItem(w http.ResponseWriter, r *http.Request, a address) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, aerr := walk(a.base, a.rel)
	if aerr == nil {
		aerr = ifMatch(r, it)
	}
	if aerr == nil && it == f.root {
		aerr = errf(http.StatusForbidden, "accessDenied", "The root cannot be deleted")
	}
	if aerr != nil {
		aerr.write(w)
		return
	}
	f.remove(it)
	w.WriteHeader(http.StatusNoContent)
}

// Downloads.

type download struct {
	blob    string
	modTime time.Time
	expires time.Time
}

// downloadLifetime is how long a download URL works.
const downloadLifetime = time.Hour

// mintDownload returns a preauthenticated URL of it's current content;
// callers hold f.mu.
func (f *Fake) mintDownload(it *item) string {
	now := time.Now()
	for len(f.dlQueue) > 0 && now.After(f.downloads[f.dlQueue[0]].expires) {
		delete(f.downloads, f.dlQueue[0])
		f.dlQueue = f.dlQueue[1:]
	}
	tok := randomID()
	f.downloads[tok] = download{blob: it.blob, modTime: it.fsMod, expires: now.Add(downloadLifetime)}
	f.dlQueue = append(f.dlQueue, tok)
	return f.files.URL + "/download/" + tok
}

func (f *Fake) getContent(w http.ResponseWriter, a address) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, aerr := walk(a.base, a.rel)
	if aerr == nil && it.isDir() {
		aerr = errf(http.StatusBadRequest, "invalidRequest", "Cannot download a folder")
	}
	if aerr != nil {
		aerr.write(w)
		return
	}
	w.Header().Set("Location", f.mintDownload(it))
	w.WriteHeader(http.StatusFound)
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Simple upload.

func (f *Fake) simpleUpload(w http.ResponseWriter, r *http.Request, a address) {
	switch {
	case r.ContentLength < 0:
		errf(http.StatusBadRequest, "invalidRequest", "The size of the provided stream is not known. Make sure the request is not chunked, and the Content-Length header is specified").write(w)
		return
	case r.ContentLength > SimpleUploadLimit:
		errf(http.StatusRequestEntityTooLarge, "requestTooLarge", "Simple upload takes at most %d bytes; use an upload session", SimpleUploadLimit).write(w)
		return
	}
	conflict := r.URL.Query().Get(conflictParam)
	if conflict == "" {
		conflict = "replace"
	}
	tmp, err := os.CreateTemp(filepath.Join(f.dir, "tmp"), "put-")
	if err != nil {
		errf(http.StatusInternalServerError, "generalException", "%v", err).write(w)
		return
	}
	n, err := io.Copy(tmp, io.LimitReader(r.Body, r.ContentLength))
	tmp.Close()
	if err != nil || n != r.ContentLength {
		os.Remove(tmp.Name())
		errf(http.StatusBadRequest, "invalidRequest", "The request body ended after %d of %d bytes", n, r.ContentLength).write(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	dir, name, aerr := f.uploadTarget(a)
	var it *item
	status := http.StatusOK
	if aerr == nil {
		it, status, aerr = f.commit(dir, name, conflict, tmp.Name(), n)
	}
	if aerr != nil {
		os.Remove(tmp.Name())
		aerr.write(w)
		return
	}
	writeJSON(w, status, f.itemJSON(it, ""))
}

// commit stores the content file blob as name in dir; callers hold f.mu.
// It answers 201 for a new item, 200 for a replaced one.
func (f *Fake) commit(dir *item, name, conflict, blob string, size int64) (*item, int, *apiErr) {
	ex := dir.children[fold(name)]
	if ex != nil && ex.isDir() {
		return nil, 0, errf(http.StatusConflict, "nameAlreadyExists", "A folder with the name %q already exists.", name)
	}
	if ex != nil && conflict == "fail" {
		return nil, 0, errf(http.StatusConflict, "nameAlreadyExists", "An item with the name %q already exists.", name)
	}
	if ex != nil && conflict == "rename" {
		name, ex = freeName(dir, name), nil
	}
	var old int64
	if ex != nil {
		old = ex.size
	}
	if f.usedBytes()-old+size > f.quota {
		return nil, 0, errf(http.StatusInsufficientStorage, "quotaLimitReached", "Insufficient Space Available")
	}
	final := filepath.Join(f.dir, "blobs", randomID())
	if err := os.Rename(blob, final); err != nil {
		return nil, 0, errf(http.StatusInternalServerError, "generalException", "%v", err)
	}
	status := http.StatusOK
	it := ex
	if it == nil {
		it, status = f.newItem(dir, name, false), http.StatusCreated
	} else {
		os.Remove(it.blob)
	}
	it.blob, it.size = final, size
	touch(it, true)
	return it, status, nil
}

func (f *Fake) usedBytes() int64 {
	var n int64
	for _, it := range f.items {
		n += it.size
	}
	return n
}
