package drivefake

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// session is one resumable upload.
type session struct {
	mu       sync.Mutex // serialises the session's requests
	id       string
	fileID   string // the file whose content is replaced; "" creates one
	meta     newMeta
	name     *string // a new name for fileID
	total    int64   // -1 until known
	received int64
	path     string
	fields   selection
	done     bool
	result   string // the file id once done
}

func (f *Fake) startUpload(w http.ResponseWriter, r *http.Request, id string) *apiErr {
	if e := checkParams(r, "uploadType", "ignoreDefaultVisibility", "keepRevisionForever", "addParents", "removeParents"); e != nil {
		return e
	}
	v := r.URL.Query()
	if t := v.Get("uploadType"); t != "resumable" {
		return invalid("uploadType", "The fake supports only uploadType=resumable, not %q.", t)
	}
	if v.Has("addParents") || v.Has("removeParents") {
		return invalid("addParents", "The fake does not move files in uploads.")
	}
	sel, e := fileSelection(r)
	if e != nil {
		return e
	}
	total := int64(-1)
	if s := r.Header.Get("X-Upload-Content-Length"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return errorf(http.StatusBadRequest, "badContent", "Invalid X-Upload-Content-Length")
		}
		total = n
	}
	writable := []string{"name", "mimeType", "parents", "modifiedTime", "description"}
	if id != "" {
		writable = []string{"name", "modifiedTime", "description"}
	}
	m, e := decodeMeta(r, writable...)
	if e != nil {
		return e
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	s := &session{id: newID(), total: total, fields: sel}
	if id == "" {
		meta, e := f.parseNew(m)
		if e != nil {
			return e
		}
		if strings.HasPrefix(meta.mime, "application/vnd.google-apps.") {
			return invalid("mimeType", "The fake does not convert uploads to Google Workspace types.")
		}
		s.meta = meta
	} else {
		x := f.files[f.alias(id)]
		if x == nil {
			return notFound(id)
		}
		if x.isDir() || x.native() {
			return &apiErr{status: 403, reason: "fileNotUploadable", domain: "global", msg: "The file has no binary content to replace."}
		}
		s.fileID = x.id
		upd, e := f.parseNew(m) // name and modifiedTime only
		if e != nil {
			return e
		}
		if _, ok := m["name"]; ok {
			s.name = &upd.name
		}
		s.meta.modified = upd.modified
	}
	if total >= 0 {
		if e := f.checkQuota(total - f.oldSize(s)); e != nil {
			return e
		}
	}
	s.path = filepath.Join(f.dir, "sessions", s.id)
	if err := os.WriteFile(s.path, nil, 0o600); err != nil {
		return errorf(http.StatusInternalServerError, "backendError", "Backend Error")
	}
	f.sessions[s.id] = s
	w.Header().Set("Location", f.URL+"/upload/drive/v3/files?uploadType=resumable&upload_id="+s.id)
	w.Header().Set("X-GUploader-UploadID", s.id)
	w.WriteHeader(http.StatusOK)
	return nil
}

// oldSize is the size of the content a session replaces; callers hold f.mu.
func (f *Fake) oldSize(s *session) int64 {
	if x := f.files[s.fileID]; x != nil {
		return x.size
	}
	return 0
}

// checkQuota refuses growing the stored bytes by delta past the limit;
// callers hold f.mu.
func (f *Fake) checkQuota(delta int64) *apiErr {
	if all, _ := f.usage(); f.quota >= 0 && all+delta > f.quota {
		return &apiErr{status: 403, reason: "storageQuotaExceeded", domain: "usageLimits",
			msg: "The user's Drive storage quota has been exceeded."}
	}
	return nil
}

func (f *Fake) session(r *http.Request) (*session, *apiErr) {
	id := r.URL.Query().Get("upload_id")
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.sessions[id]
	if s == nil {
		return nil, errorf(http.StatusNotFound, "notFound", "Upload session not found or expired.")
	}
	return s, nil
}

func (f *Fake) cancel(w http.ResponseWriter, r *http.Request, _ string) *apiErr {
	s, e := f.session(r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f.mu.Lock()
	delete(f.sessions, s.id)
	f.mu.Unlock()
	os.Remove(s.path)
	w.WriteHeader(499) // Client Closed Request, as Google's upload servers answer
	return nil
}

// chunk takes one PUT to a session: bytes, or a status query.
func (f *Fake) chunk(w http.ResponseWriter, r *http.Request, _ string) *apiErr {
	s, e := f.session(r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return f.answerDone(w, s)
	}
	first, last, total, e := parseContentRange(r)
	if e != nil {
		return e
	}
	if total >= 0 {
		if s.total >= 0 && total != s.total {
			return errorf(http.StatusBadRequest, "badContent", "The total size changed from %d to %d.", s.total, total)
		}
		s.total = total
	}
	if first < 0 { // no bytes: a status query, or the end of an upload whose size was unknown
		if r.ContentLength > 0 {
			return errorf(http.StatusBadRequest, "badContent", "Content-Range bytes */… with a body.")
		}
		if s.total >= 0 && s.received > s.total {
			return errorf(http.StatusBadRequest, "badContent", "Received %d bytes, more than the total %d.", s.received, s.total)
		}
		if s.total == s.received {
			return f.finish(w, s)
		}
		return incomplete(w, s)
	}
	n := last - first + 1
	switch {
	case first != s.received:
		return errorf(http.StatusBadRequest, "badContent",
			"Invalid request. According to the Content-Range header, the upload offset is %d byte(s), but %d byte(s) were received so far.",
			first, s.received)
	case r.ContentLength >= 0 && r.ContentLength != n:
		return errorf(http.StatusBadRequest, "badContent", "Content-Length %d does not match Content-Range %d-%d.", r.ContentLength, first, last)
	case s.total >= 0 && last >= s.total:
		return errorf(http.StatusBadRequest, "badContent", "Content-Range %d-%d goes past the total %d.", first, last, s.total)
	}
	final := s.total >= 0 && last+1 == s.total
	if !final && n%ChunkUnit != 0 {
		return errorf(http.StatusBadRequest, "badContent",
			"Invalid request. The number of bytes uploaded is required to be a multiple of %d, except for the final request. The received request contained %d bytes.",
			ChunkUnit, n)
	}
	if err := appendBody(s.path, s.received, r.Body, n); err != nil {
		return errorf(http.StatusBadRequest, "badContent", "Incomplete chunk: %v", err)
	}
	s.received += n
	if final {
		return f.finish(w, s)
	}
	return incomplete(w, s)
}

// appendBody writes exactly n bytes of body at off, or nothing.
func appendBody(path string, off int64, body io.Reader, n int64) error {
	fh, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer fh.Close()
	if _, err := fh.Seek(off, io.SeekStart); err != nil {
		return err
	}
	got, err := io.CopyN(fh, body, n)
	if err == nil {
		var one [1]byte
		if k, _ := body.Read(one[:]); k > 0 {
			err = fmt.Errorf("body longer than %d bytes", n)
		}
	}
	if err != nil {
		fh.Truncate(off)
		return fmt.Errorf("got %d of %d bytes: %w", got, n, err)
	}
	return nil
}

// parseContentRange reads "bytes a-b/total", "bytes a-b/*", "bytes */total"
// or "bytes */*"; first is -1 when no bytes are named. A PUT without
// Content-Range carries the whole file.
func parseContentRange(r *http.Request) (first, last, total int64, e *apiErr) {
	bad := func() (int64, int64, int64, *apiErr) {
		return 0, 0, 0, errorf(http.StatusBadRequest, "badContent", "Invalid Content-Range %q", r.Header.Get("Content-Range"))
	}
	cr := r.Header.Get("Content-Range")
	if cr == "" {
		if r.ContentLength < 0 {
			return bad()
		}
		if r.ContentLength == 0 {
			return -1, -1, 0, nil
		}
		return 0, r.ContentLength - 1, r.ContentLength, nil
	}
	spec, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return bad()
	}
	rng, tot, ok := strings.Cut(spec, "/")
	if !ok {
		return bad()
	}
	total = -1
	if tot != "*" {
		var err error
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total < 0 {
			return bad()
		}
	}
	if rng == "*" {
		return -1, -1, total, nil
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return bad()
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first < 0 || last < first {
		return bad()
	}
	return first, last, total, nil
}

// incomplete answers 308 Resume Incomplete with the bytes received.
func incomplete(w http.ResponseWriter, s *session) *apiErr {
	if s.received > 0 {
		w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", s.received-1))
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusPermanentRedirect) // 308, "Resume Incomplete" at Google
	return nil
}

// finish makes the session's content the file's, or a new file.
func (f *Fake) finish(w http.ResponseWriter, s *session) *apiErr {
	sum, err := md5file(s.path)
	if err != nil {
		return errorf(http.StatusInternalServerError, "backendError", "Backend Error")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if e := f.checkQuota(s.received - f.oldSize(s)); e != nil {
		return e
	}
	now := stamp(time.Now())
	var x *file
	if s.fileID != "" {
		if x = f.files[s.fileID]; x == nil {
			return notFound(s.fileID)
		}
		if s.name != nil {
			x.name = *s.name
		}
		x.version++
	} else {
		p := f.files[s.meta.parent]
		if p == nil {
			return notFound(s.meta.parent)
		}
		x = &file{id: newID(), name: s.meta.name, mime: s.meta.mime, parent: p.id, version: 1, created: now}
		f.files[x.id] = x
	}
	blob := f.newBlob()
	if err := os.Rename(s.path, blob); err != nil {
		return errorf(http.StatusInternalServerError, "backendError", "Backend Error")
	}
	if x.blob != "" {
		os.Remove(x.blob) // readers with the file open keep reading it
	}
	x.blob, x.size, x.md5, x.modified = blob, s.received, sum, now
	if s.meta.modified != nil {
		x.modified = *s.meta.modified
	}
	s.done, s.result = true, x.id
	writeJSON(w, http.StatusOK, f.render(x, s.fields))
	return nil
}

// answerDone repeats the outcome of a completed session.
func (f *Fake) answerDone(w http.ResponseWriter, s *session) *apiErr {
	f.mu.Lock()
	defer f.mu.Unlock()
	x := f.files[s.result]
	if x == nil {
		return notFound(s.result)
	}
	writeJSON(w, http.StatusOK, f.render(x, s.fields))
	return nil
}

func md5file(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := md5.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func md5hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}
