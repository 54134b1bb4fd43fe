package graphfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// session is an upload session.
type session struct {
	mu       sync.Mutex // serialises fragments
	id       string
	parentID string
	name     string
	conflict string
	file     string
	total    int64 // -1 until the first fragment declares it
	next     int64
	expires  time.Time
	done     bool
}

const sessionLifetime = 15 * time.Minute

func (s *session) status() map[string]any {
	return map[string]any{
		"expirationDateTime": s.expires.UTC().Format(time.RFC3339),
		"nextExpectedRanges": []string{fmt.Sprintf("%d-", s.next)},
	}
}

func (f *Fake) createSession(w http.ResponseWriter, r *http.Request, a address) {
	var body struct {
		Item map[string]json.RawMessage `json:"item"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
			errf(http.StatusBadRequest, "invalidRequest", "Invalid request body").write(w)
			return
		}
	}
	conflict := "replace"
	if raw, ok := body.Item[conflictParam]; ok {
		json.Unmarshal(raw, &conflict)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	dir, name, aerr := f.uploadTarget(a)
	if aerr == nil && conflict == "fail" && dir.children[fold(name)] != nil {
		aerr = errf(http.StatusConflict, "nameAlreadyExists", "An item with the name %q already exists.", name)
	}
	if aerr != nil {
		aerr.write(w)
		return
	}
	s := &session{id: randomID(), parentID: dir.id, name: name, conflict: conflict, total: -1,
		expires: time.Now().Add(sessionLifetime)}
	s.file = filepath.Join(f.dir, "sessions", s.id)
	if err := os.WriteFile(s.file, nil, 0o600); err != nil {
		errf(http.StatusInternalServerError, "generalException", "%v", err).write(w)
		return
	}
	f.sessions[s.id] = s
	st := s.status()
	st["uploadUrl"] = f.files.URL + "/upload/" + s.id
	writeJSON(w, http.StatusOK, st)
}

// serveFiles answers the preauthenticated upload and download URLs.
func (f *Fake) serveFiles(w http.ResponseWriter, r *http.Request) {
	if ft, ok := f.takeFault(); ok {
		writeFault(w, ft)
		return
	}
	if r.Header.Get("Authorization") != "" {
		graphError(w, http.StatusUnauthorized, "unauthenticated", "Preauthenticated URLs take no Authorization header")
		return
	}
	if tok, ok := strings.CutPrefix(r.URL.Path, "/download/"); ok {
		f.serveDownload(w, r, tok)
		return
	}
	id, ok := strings.CutPrefix(r.URL.Path, "/upload/")
	f.mu.Lock()
	s := f.sessions[id]
	f.mu.Unlock()
	if !ok || s == nil {
		errf(http.StatusNotFound, "itemNotFound", "The upload session was not found").write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		errf(http.StatusNotFound, "itemNotFound", "The upload session was not found").write(w)
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.status())
	case http.MethodDelete:
		f.endSession(s)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPut:
		f.putFragment(w, r, s)
	default:
		errf(http.StatusMethodNotAllowed, "invalidRequest", "%s not allowed here", r.Method).write(w)
	}
}

func (f *Fake) serveDownload(w http.ResponseWriter, r *http.Request, tok string) {
	f.mu.Lock()
	d, ok := f.downloads[tok]
	f.mu.Unlock()
	if !ok || time.Now().After(d.expires) {
		errf(http.StatusNotFound, "itemNotFound", "The download URL is unknown or expired").write(w)
		return
	}
	fh, err := os.Open(d.blob)
	if err != nil { // replaced or deleted since
		errf(http.StatusNotFound, "itemNotFound", "The item has changed").write(w)
		return
	}
	defer fh.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", d.modTime, fh)
}

// endSession forgets s and its bytes; callers hold s.mu.
func (f *Fake) endSession(s *session) {
	s.done = true
	f.mu.Lock()
	delete(f.sessions, s.id)
	f.mu.Unlock()
	os.Remove(s.file)
}

var contentRange = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+)$`)

// putFragment takes one fragment; callers hold s.mu.
func (f *Fake) putFragment(w http.ResponseWriter, r *http.Request, s *session) {
	m := contentRange.FindStringSubmatch(r.Header.Get("Content-Range"))
	if m == nil {
		errf(http.StatusBadRequest, "invalidRequest", "The Content-Range header is missing or malformed.").write(w)
		return
	}
	start, _ := strconv.ParseInt(m[1], 10, 64)
	end, _ := strconv.ParseInt(m[2], 10, 64)
	total, _ := strconv.ParseInt(m[3], 10, 64)
	length := end - start + 1
	switch {
	case end < start || end >= total:
		errf(http.StatusBadRequest, "invalidRequest", "The Content-Range header is missing or malformed.").write(w)
	case r.ContentLength != length:
		errf(http.StatusBadRequest, "invalidRequest", "The Content-Range header length does not match the provided number of bytes.").write(w)
	case s.total >= 0 && total != s.total:
		errf(http.StatusBadRequest, "invalidRequest", "The current upload session is for %d total bytes, but the current fragment declares a total of %d", s.total, total).write(w)
	case length > MaxFragment:
		errf(http.StatusBadRequest, "invalidRequest", "Fragments are at most %d bytes", MaxFragment).write(w)
	case start < s.next:
		errf(http.StatusRequestedRangeNotSatisfiable, "invalidRange", "The uploaded fragment overlaps with data that has already been received.").write(w)
	case start > s.next:
		errf(http.StatusRequestedRangeNotSatisfiable, "invalidRange", "The fragment starts at %d; the next expected byte is %d", start, s.next).write(w)
	case end != total-1 && length%FragmentUnit != 0:
		errf(http.StatusBadRequest, "invalidRequest", "Fragment sizes must be multiples of 320 KiB, except the last (got %d)", length).write(w)
	default:
		f.writeFragment(w, r, s, start, end, total)
	}
}

func (f *Fake) writeFragment(w http.ResponseWriter, r *http.Request, s *session, start, end, total int64) {
	if s.total < 0 {
		f.mu.Lock()
		full := f.usedBytes()+total > f.quota
		f.mu.Unlock()
		if full {
			errf(http.StatusInsufficientStorage, "quotaLimitReached", "Insufficient Space Available").write(w)
			return
		}
		s.total = total
	}
	fh, err := os.OpenFile(s.file, os.O_WRONLY, 0)
	if err != nil {
		errf(http.StatusInternalServerError, "generalException", "%v", err).write(w)
		return
	}
	_, err = fh.Seek(start, io.SeekStart)
	if err == nil {
		_, err = io.CopyN(fh, r.Body, end-start+1)
	}
	if err != nil {
		fh.Truncate(start)
		fh.Close()
		errf(http.StatusBadRequest, "invalidRequest", "The fragment body ended early: %v", err).write(w)
		return
	}
	if err := fh.Close(); err != nil {
		errf(http.StatusInternalServerError, "generalException", "%v", err).write(w)
		return
	}
	s.next = end + 1
	s.expires = time.Now().Add(sessionLifetime)
	if s.next < total {
		st := s.status()
		st["nextExpectedRanges"] = []string{fmt.Sprintf("%d-%d", s.next, total-1)}
		writeJSON(w, http.StatusAccepted, st)
		return
	}
	// The last byte is in: the item appears or is replaced now.
	f.mu.Lock()
	var it *item
	var status int
	aerr := notFound()
	if dir := f.items[s.parentID]; dir != nil && dir.isDir() {
		it, status, aerr = f.commit(dir, s.name, s.conflict, s.file, total)
	}
	var resp map[string]any
	if aerr == nil {
		resp = f.itemJSON(it, "")
	}
	f.mu.Unlock()
	f.endSession(s)
	if aerr != nil {
		aerr.write(w)
		return
	}
	writeJSON(w, status, resp)
}
