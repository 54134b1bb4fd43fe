package drivefake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// standard parameters every method takes.
var standardParams = []string{"fields", "alt", "prettyPrint", "quotaUser", "supportsAllDrives", "supportsTeamDrives"}

// checkParams refuses query parameters the fake does not know.
func checkParams(r *http.Request, allowed ...string) *apiErr {
	for k := range r.URL.Query() {
		if !slices.Contains(standardParams, k) && !slices.Contains(allowed, k) {
			return invalid(k, "The fake does not support the parameter %s.", k)
		}
	}
	if alt := r.URL.Query().Get("alt"); alt != "" && alt != "json" && alt != "media" {
		return invalid("alt", "Invalid value for alt: %s", alt)
	}
	return nil
}

// fileSelection is the fields parameter of a method returning a file.
func fileSelection(r *http.Request) (selection, *apiErr) {
	s := r.URL.Query().Get("fields")
	if s == "" {
		return defaultFile, nil
	}
	sel, err := parseFields(s)
	if err == nil {
		err = sel.check(fileFields, nil)
	}
	if err != nil {
		return nil, invalid("fields", "Invalid field selection %s", s)
	}
	return sel, nil
}

func (f *Fake) about(w http.ResponseWriter, r *http.Request, _ string) *apiErr {
	if e := checkParams(r); e != nil {
		return e
	}
	s := r.URL.Query().Get("fields")
	if s == "" {
		return &apiErr{status: 400, reason: "required", domain: "global", location: "fields", locationType: "parameter",
			msg: "The 'fields' parameter is required for this method."}
	}
	sel, err := parseFields(s)
	if err == nil {
		err = sel.check(aboutFields, map[string]map[string]bool{"storageQuota": quotaFields})
	}
	if err != nil {
		return invalid("fields", "Invalid field selection %s", s)
	}
	f.mu.Lock()
	all, trash := f.usage()
	quota := map[string]any{
		"usage": strconv.FormatInt(all, 10), "usageInDrive": strconv.FormatInt(all, 10),
		"usageInDriveTrash": strconv.FormatInt(trash, 10),
	}
	if f.quota >= 0 {
		quota["limit"] = strconv.FormatInt(f.quota, 10)
	}
	f.mu.Unlock()
	out := map[string]any{}
	if _, ok := sel.has("kind"); ok {
		out["kind"] = "drive#about"
	}
	if sub, ok := sel.has("storageQuota"); ok {
		if sub != nil {
			for k := range quota {
				if _, ok := sub.has(k); !ok {
					delete(quota, k)
				}
			}
		}
		out["storageQuota"] = quota
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (f *Fake) list(w http.ResponseWriter, r *http.Request, _ string) *apiErr {
	if e := checkParams(r, "q", "pageSize", "pageToken", "spaces", "corpora", "includeItemsFromAllDrives"); e != nil {
		return e
	}
	v := r.URL.Query()
	if s := v.Get("spaces"); s != "" && s != "drive" {
		return invalid("spaces", "The fake knows only the drive space.")
	}
	if c := v.Get("corpora"); c != "" && c != "user" {
		return invalid("corpora", "The fake knows only the user corpus.")
	}
	sel := defaultList
	if s := v.Get("fields"); s != "" {
		var err error
		sel, err = parseFields(s)
		if err == nil {
			err = sel.check(listFields, map[string]map[string]bool{"files": fileFields})
		}
		if err != nil {
			return invalid("fields", "Invalid field selection %s", s)
		}
	}
	q, err := parseQuery(v.Get("q"))
	if err != nil {
		return invalid("q", "Invalid Value: %v", err)
	}
	size := 100
	if s := v.Get("pageSize"); s != "" {
		if size, err = strconv.Atoi(s); err != nil || size < 1 || size > 1000 {
			return invalid("pageSize", "Invalid value for pageSize: %s", s)
		}
	}
	after := ""
	if tok := v.Get("pageToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || !bytes.HasPrefix(b, []byte("after:")) {
			return invalid("pageToken", "Invalid Value")
		}
		after = string(b[len("after:"):])
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	parent := f.alias(q.parent)
	var hits []*file
	for _, x := range f.files {
		if x.parent == parent && x.id > after && q.match(x, f.isTrashed(x)) {
			hits = append(hits, x)
		}
	}
	slices.SortFunc(hits, func(a, b *file) int { return strings.Compare(a.id, b.id) })
	out := map[string]any{}
	if n := min(size, f.pageSize); len(hits) > n {
		hits = hits[:n]
		if _, ok := sel.has("nextPageToken"); ok {
			out["nextPageToken"] = base64.RawURLEncoding.EncodeToString([]byte("after:" + hits[n-1].id))
		}
	}
	if _, ok := sel.has("kind"); ok {
		out["kind"] = "drive#fileList"
	}
	if _, ok := sel.has("incompleteSearch"); ok {
		out["incompleteSearch"] = false
	}
	if fs, ok := sel.has("files"); ok {
		list := make([]any, len(hits))
		for i, x := range hits {
			list[i] = f.render(x, fs)
		}
		out["files"] = list
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (f *Fake) get(w http.ResponseWriter, r *http.Request, id string) *apiErr {
	if e := checkParams(r, "acknowledgeAbuse"); e != nil {
		return e
	}
	sel, e := fileSelection(r)
	if e != nil {
		return e
	}
	f.mu.Lock()
	x := f.files[f.alias(id)]
	if x == nil {
		f.mu.Unlock()
		return notFound(id)
	}
	if r.URL.Query().Get("alt") != "media" {
		out := f.render(x, sel)
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	if x.isDir() || x.native() {
		f.mu.Unlock()
		return &apiErr{status: 403, reason: "fileNotDownloadable", domain: "global", location: "alt", locationType: "parameter",
			msg: "Only files with binary content can be downloaded. Use Export with Docs Editors files."}
	}
	blob, mime := x.blob, x.mime
	f.mu.Unlock()
	// An open file keeps its content even if an upload replaces it now.
	fh, err := os.Open(blob)
	if err != nil {
		return errorf(http.StatusInternalServerError, "backendError", "Backend Error")
	}
	defer fh.Close()
	w.Header().Set("Content-Type", mime)
	http.ServeContent(w, r, "", time.Time{}, fh)
	return nil
}

// decodeMeta reads a JSON body of file metadata, refusing fields not in
// writable.
func decodeMeta(r *http.Request, writable ...string) (map[string]json.RawMessage, *apiErr) {
	m := map[string]json.RawMessage{}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, errorf(http.StatusBadRequest, "parseError", "Parse Error")
		}
	}
	for k := range m {
		if !slices.Contains(writable, k) {
			return nil, &apiErr{status: 403, reason: "fieldNotWritable", domain: "global", location: k, locationType: "other",
				msg: "The resource body includes fields which are not directly writable."}
		}
	}
	return m, nil
}

// newMeta is the metadata of a file being created.
type newMeta struct {
	name, mime, parent string
	modified           *time.Time
}

// parseNew reads the metadata of a new file; callers hold f.mu.
func (f *Fake) parseNew(m map[string]json.RawMessage) (newMeta, *apiErr) {
	var (
		meta    = newMeta{name: "Untitled", mime: "application/octet-stream", parent: f.RootID}
		parents []string
		mod     string
	)
	for k, dst := range map[string]any{"name": &meta.name, "mimeType": &meta.mime, "parents": &parents, "modifiedTime": &mod} {
		if raw, ok := m[k]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return meta, invalid(k, "Invalid value for %s", k)
			}
		}
	}
	switch len(parents) {
	case 0:
	case 1:
		meta.parent = parents[0]
	default:
		return meta, &apiErr{status: 403, reason: "cannotAddParent", domain: "global", msg: "A file must have exactly one parent."}
	}
	p := f.files[f.alias(meta.parent)]
	if p == nil || !p.isDir() {
		return meta, notFound(meta.parent)
	}
	meta.parent = p.id
	if mod != "" {
		t, err := parseTime(mod)
		if err != nil {
			return meta, invalid("modifiedTime", "Invalid value for modifiedTime: %s", mod)
		}
		meta.modified = &t
	}
	return meta, nil
}

func (f *Fake) create(w http.ResponseWriter, r *http.Request, _ string) *apiErr {
	if e := checkParams(r, "ignoreDefaultVisibility", "keepRevisionForever"); e != nil {
		return e
	}
	sel, e := fileSelection(r)
	if e != nil {
		return e
	}
	m, e := decodeMeta(r, "name", "mimeType", "parents", "modifiedTime", "description")
	if e != nil {
		return e
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	meta, e := f.parseNew(m)
	if e != nil {
		return e
	}
	now := stamp(time.Now())
	x := &file{id: newID(), name: meta.name, mime: meta.mime, parent: meta.parent, version: 1, created: now, modified: now}
	if meta.modified != nil {
		x.modified = *meta.modified
	}
	if !x.isDir() && !x.native() {
		blob := f.newBlob()
		if err := os.WriteFile(blob, nil, 0o600); err != nil {
			return errorf(http.StatusInternalServerError, "backendError", "Backend Error")
		}
		x.blob, x.md5 = blob, md5hex(nil)
	}
	f.files[x.id] = x
	writeJSON(w, http.StatusOK, f.render(x, sel))
	return nil
}

func (f *Fake) update(w http.ResponseWriter, r *http.Request, id string) *apiErr {
	if e := checkParams(r, "addParents", "removeParents", "keepRevisionForever"); e != nil {
		return e
	}
	sel, e := fileSelection(r)
	if e != nil {
		return e
	}
	m, e := decodeMeta(r, "name", "modifiedTime", "trashed", "description")
	if e != nil {
		return e
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	x := f.files[f.alias(id)]
	if x == nil {
		return notFound(id)
	}
	var (
		name    *string
		mod     *time.Time
		trashed *bool
	)
	if raw, ok := m["name"]; ok {
		if err := json.Unmarshal(raw, &name); err != nil || name == nil || *name == "" {
			return invalid("name", "Invalid value for name")
		}
	}
	if raw, ok := m["modifiedTime"]; ok {
		var s string
		t, err := time.Time{}, json.Unmarshal(raw, &s)
		if err == nil {
			t, err = parseTime(s)
		}
		if err != nil {
			return invalid("modifiedTime", "Invalid value for modifiedTime")
		}
		mod = &t
	}
	if raw, ok := m["trashed"]; ok {
		if err := json.Unmarshal(raw, &trashed); err != nil || trashed == nil {
			return invalid("trashed", "Invalid value for trashed")
		}
	}
	parent := x.parent
	v := r.URL.Query()
	if rm := v.Get("removeParents"); rm != "" {
		for _, p := range strings.Split(rm, ",") {
			if f.alias(p) == parent {
				parent = ""
			}
		}
	}
	if add := v.Get("addParents"); add != "" {
		if strings.Contains(add, ",") || parent != "" {
			return &apiErr{status: 403, reason: "cannotAddParent", domain: "global", msg: "Increasing the number of parents is not allowed."}
		}
		p := f.files[f.alias(add)]
		if p == nil || !p.isDir() {
			return notFound(add)
		}
		for a := p; a != nil; a = f.files[a.parent] {
			if a == x {
				return invalid("addParents", "A folder cannot be moved into itself or its descendants.")
			}
		}
		parent = p.id
	}
	if parent == "" && x.parent != "" {
		return invalid("removeParents", "A file must keep one parent.")
	}
	if x.id == f.RootID && (parent != x.parent || trashed != nil) {
		return &apiErr{status: 403, reason: "insufficientFilePermissions", domain: "global",
			msg: "The user does not have sufficient permissions for this file."}
	}
	x.parent = parent
	if name != nil {
		x.name = *name
	}
	if mod != nil {
		x.modified = *mod
	}
	if trashed != nil {
		x.trashed = *trashed
	}
	x.version++
	writeJSON(w, http.StatusOK, f.render(x, sel))
	return nil
}

func (f *Fake) delete(w http.ResponseWriter, r *http.Request, id string) *apiErr {
	if e := checkParams(r); e != nil {
		return e
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	x := f.files[f.alias(id)]
	if x == nil {
		return notFound(id)
	}
	if x.id == f.RootID {
		return &apiErr{status: 403, reason: "insufficientFilePermissions", domain: "global",
			msg: "The user does not have sufficient permissions for this file."}
	}
	f.deleteTree(x)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
