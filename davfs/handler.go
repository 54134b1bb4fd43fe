package davfs

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/webdav"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/store"
)

// Allowed lists the methods served under the prefix.
const Allowed = "OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, LOCK, UNLOCK, PROPFIND, PROPPATCH"

// Handler serves WebDAV under Prefix for authenticated users. Each request
// gets its own FS and LockSystem bound to the user.
type Handler struct {
	Prefix string // e.g. "/dav", without trailing slash
	Store  *store.Store
	// Auth checks Basic credentials, and access tokens when Auth.Bearer is set.
	Auth *auth.Basic
	// Backend returns the storage of a user.
	Backend func(ctx context.Context, u store.User) (backends.Backend, error)
	Logger  *slog.Logger

	spaces spaceCache
}

// request carries one request's bound state.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	fs   *FS
	ls   *LockSystem
	name string // cleaned request path within the user's namespace
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		// Finder and Windows probe before they send credentials.
		w.Header().Set("DAV", "1, 2")
		w.Header().Set("MS-Author-Via", "DAV")
		w.Header().Set("Allow", Allowed)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	u, scope, err := h.Auth.Authenticate(r)
	if err != nil {
		h.authError(w, r, err)
		return
	}
	rel, ok := h.strip(r.URL.Path)
	if !ok {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	name, err := cleanName(rel)
	if err != nil {
		http.Error(w, "Invalid file name", http.StatusBadRequest)
		return
	}
	// An app password may be read-only or confined to a folder.
	if !scope.Permits(r.Method) || !scope.Covers(name) {
		outOfScope(w)
		return
	}
	b, err := h.Backend(r.Context(), u)
	if err != nil {
		h.log().ErrorContext(r.Context(), "opening storage", "user", u.Username, "err", err)
		if errors.Is(err, backends.ErrUnavailable) {
			unavailable(w)
			return
		}
		http.Error(w, "Bad Gateway: the storage of this account could not be opened; ask your administrator", http.StatusBadGateway)
		return
	}
	fsys := NewFS(u, b, h.Store, h.Prefix)
	fsys.spaces = &h.spaces
	rq := &request{w: w, r: r, fs: fsys, ls: NewLockSystem(r.Context(), fsys), name: name}

	switch r.Method {
	case "PROPFIND", "PROPPATCH", "LOCK":
		if !checkXMLBody(w, r) {
			return
		}
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.get(rq)
		return
	case http.MethodPut:
		h.put(rq)
		return
	case "PROPFIND":
		// An unbounded walk of a whole tree is refused (RFC 4918 §9.1).
		if d := r.Header.Get("Depth"); d == "" || strings.EqualFold(d, "infinity") {
			writeDAVError(w, http.StatusForbidden, "<D:propfind-finite-depth/>")
			return
		}
	case "DELETE":
		if !h.allowed(rq, name, lockTarget{name: name, tree: true, member: true}) {
			return
		}
	case "MKCOL":
		if !h.allowed(rq, name, lockTarget{name: name, member: true}) {
			return
		}
	case "PROPPATCH":
		if !h.allowed(rq, name, lockTarget{name: name}) {
			return
		}
	case "COPY", "MOVE":
		if r.Method == "MOVE" && r.Header.Get("Overwrite") == "" {
			r.Header.Set("Overwrite", "T") // RFC 4918 §10.6: absent means T
		}
		dst, status := h.destination(r)
		if status != 0 {
			http.Error(w, http.StatusText(status)+": unusable Destination", status)
			return
		}
		if !scope.Covers(dst) {
			outOfScope(w)
			return
		}
		// webdav.Handler compares the raw paths only; a Destination spelled
		// differently ("/a/", "/./a") or a relative of the source would be
		// deleted as the overwritten destination, and the source with it.
		if dst == name || store.IsBelow(dst, name) || store.IsBelow(name, dst) {
			http.Error(w, "Forbidden: the Destination overlaps the source", http.StatusForbidden)
			return
		}
		targets := []lockTarget{{name: dst, tree: true, member: true}}
		ifResource := dst // as webdav.Handler evaluates untagged If lists of a COPY
		if r.Method == "MOVE" {
			targets = append(targets, lockTarget{name: name, tree: true, member: true})
			ifResource = name
		}
		if !h.allowed(rq, ifResource, targets...) {
			return
		}
	case "LOCK":
		h.lock(rq)
		return
	case "UNLOCK":
		h.unlock(rq)
		return
	case "POST":
		w.Header().Set("Allow", Allowed)
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	// The If header and locks are judged above, once: webdav.Handler would
	// judge the If header again by its own rules (it skips tagged lists
	// without a host, which RFC 4918 allows), so it sees neither.
	r.Header.Del("If")
	dav := &webdav.Handler{
		Prefix:     h.Prefix,
		FileSystem: fsys,
		LockSystem: checkedLocks{},
		Logger: func(r *http.Request, err error) {
			if err != nil {
				h.log().DebugContext(r.Context(), "webdav", "method", r.Method, "path", r.URL.Path, "err", err)
			}
		},
	}
	dav.ServeHTTP(&failureWriter{ResponseWriter: w, fs: fsys}, r)
}

func (h *Handler) strip(p string) (string, bool) {
	if p == h.Prefix {
		return "/", true
	}
	rest, ok := strings.CutPrefix(p, h.Prefix+"/")
	return "/" + rest, ok
}

// destination returns the cleaned name a COPY or MOVE writes to, or the
// status refusing its Destination header: 400 when missing or malformed, 502
// when it names another server or a URL outside the prefix (RFC 4918
// §9.8.5: "another server, repository, or URL namespace").
func (h *Handler) destination(r *http.Request) (string, int) {
	hdr := r.Header.Get("Destination")
	u, err := url.Parse(hdr)
	if hdr == "" || err != nil {
		return "", http.StatusBadRequest
	}
	if u.Host != "" && u.Host != r.Host {
		return "", http.StatusBadGateway
	}
	rel, ok := h.strip(u.Path)
	if !ok {
		return "", http.StatusBadGateway
	}
	n, err := cleanName(rel)
	if err != nil {
		return "", http.StatusBadRequest
	}
	return n, 0
}

// checkedLocks is the webdav.LockSystem of requests whose If header and
// locks davfs has already checked: it confirms and grants everything.
// webdav.Handler calls it only for its per-request locks; davfs serves
// LOCK and UNLOCK itself.
type checkedLocks struct{}

func (checkedLocks) Confirm(time.Time, string, string, ...webdav.Condition) (func(), error) {
	return func() {}, nil
}

func (checkedLocks) Create(time.Time, webdav.LockDetails) (string, error) {
	return "urn:docuvault:checked", nil
}

func (checkedLocks) Refresh(time.Time, string, time.Duration) (webdav.LockDetails, error) {
	return webdav.LockDetails{}, webdav.ErrNoSuchLock
}

func (checkedLocks) Unlock(time.Time, string) error { return nil }

func (h *Handler) authError(w http.ResponseWriter, r *http.Request, err error) {
	var te *auth.ThrottledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(te.RetryAfter.Seconds()))))
		http.Error(w, "Too many failed sign-ins; try again later", http.StatusTooManyRequests)
	case errors.Is(err, auth.ErrNoCredentials), errors.Is(err, auth.ErrBadCredentials):
		w.Header().Set("WWW-Authenticate", `Basic realm="DocuVault", charset="UTF-8"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
	case errors.Is(err, auth.ErrBadToken):
		// The web UI sent this: a Basic challenge would pop the browser's own
		// login box over the app, which refreshes its token instead.
		w.Header().Set("WWW-Authenticate", `Bearer realm="DocuVault", error="invalid_token"`)
		http.Error(w, "Unauthorized: the access token is invalid, expired or revoked", http.StatusUnauthorized)
	case errors.Is(err, auth.ErrAppPasswordRequired):
		w.Header().Set("WWW-Authenticate", `Basic realm="DocuVault", charset="UTF-8"`)
		http.Error(w, "Unauthorized: this account uses two-factor authentication, so WebDAV needs an app password; "+
			"create one in the web interface (Account, App passwords) and use it instead of your password", http.StatusUnauthorized)
	default:
		h.log().ErrorContext(r.Context(), "authentication failed", "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
	}
}

// outOfScope refuses a request its app password does not allow.
func outOfScope(w http.ResponseWriter) {
	http.Error(w, "Forbidden: the app password used does not allow this (read-only or limited to another folder)", http.StatusForbidden)
}

// MaxXMLBody bounds the XML request bodies of PROPFIND, PROPPATCH and LOCK.
const MaxXMLBody = 1 << 20

// checkXMLBody reads an XML request body (bounded), refuses it with 413 when
// too large and with 400 when it declares an empty namespace prefix, which
// XML Namespaces 1.0 forbids and encoding/xml accepts; it then puts the body
// back for webdav.Handler.
func checkXMLBody(w http.ResponseWriter, r *http.Request) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxXMLBody+1))
	if err != nil {
		http.Error(w, "Bad Request: could not read the body", http.StatusBadRequest)
		return false
	}
	if len(body) > MaxXMLBody {
		http.Error(w, "Request Entity Too Large", http.StatusRequestEntityTooLarge)
		return false
	}
	if r.Method == "PROPPATCH" {
		body = renameLastModified(body) // see mtimeSpace
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return true // well-formedness is webdav.Handler's to judge
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Space == "xmlns" && a.Value == "" {
					http.Error(w, "Bad Request: empty namespace prefix declaration", http.StatusBadRequest)
					return false
				}
			}
		}
	}
}

func writeDAVError(w http.ResponseWriter, status int, inner string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+`<D:error xmlns:D="DAV:">%s</D:error>`, inner)
}

// storageError answers for a failed backend operation without leaking detail.
func (h *Handler) storageError(rq *request, op string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		http.Error(rq.w, "Not Found", http.StatusNotFound)
	case errors.Is(err, fs.ErrPermission):
		http.Error(rq.w, "Forbidden", http.StatusForbidden)
	case errors.Is(err, ErrQuotaExceeded):
		writeDAVError(rq.w, http.StatusInsufficientStorage, "<D:quota-not-exceeded/>")
	case errors.Is(err, syscall.ENOSPC):
		http.Error(rq.w, "Insufficient Storage", http.StatusInsufficientStorage)
	case errors.Is(err, backends.ErrUnavailable):
		unavailable(rq.w)
	default:
		h.log().ErrorContext(rq.r.Context(), "storage error", "op", op, "user", rq.fs.user.Username, "path", rq.name, "err", err)
		http.Error(rq.w, "Storage error", http.StatusInternalServerError)
	}
}

// unavailable answers for a storage that cannot be reached right now.
func unavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "10")
	http.Error(w, "Service Unavailable: the storage of this account cannot be reached; try again shortly", http.StatusServiceUnavailable)
}

// failureWriter replaces webdav.Handler's generic error answer when the
// request failed for a reason it cannot tell (storage unreachable: 503,
// quota: 507).
type failureWriter struct {
	http.ResponseWriter
	fs       *FS
	replaced bool
}

func (fw *failureWriter) WriteHeader(code int) {
	err := fw.fs.Failure()
	if code < 400 || err == nil {
		fw.ResponseWriter.WriteHeader(code)
		return
	}
	fw.replaced = true
	fw.Header().Del("Content-Type")
	if errors.Is(err, ErrQuotaExceeded) {
		writeDAVError(fw.ResponseWriter, http.StatusInsufficientStorage, "<D:quota-not-exceeded/>")
		return
	}
	unavailable(fw.ResponseWriter)
}

func (fw *failureWriter) Write(p []byte) (int, error) {
	if fw.replaced {
		return len(p), nil // webdav.Handler's own text for the replaced status
	}
	return fw.ResponseWriter.Write(p)
}

// lockTarget is something a request changes: name itself, with tree its
// descendants too, and with member the membership of its parent folder.
type lockTarget struct {
	name         string
	tree, member bool
}

// allowed checks a modifying request's preconditions in RFC 4918 order and
// answers when they fail: 400 for a malformed If header, 412 when no If list
// holds (untagged lists apply to ifResource), then 423 when a lock blocks a
// target: an exclusive lock whose token is not submitted, or shared locks
// none of whose tokens is.
func (h *Handler) allowed(rq *request, ifResource string, targets ...lockTarget) bool {
	if !h.ifHolds(rq, ifResource) {
		return false
	}
	submitted := map[string]bool{}
	if lists, err := parseIf(rq.r.Header.Get("If")); err == nil {
		submitted = submittedTokens(lists)
	}
	locks, err := rq.fs.activeLocks(rq.r.Context())
	if err != nil {
		h.storageError(rq, "locks", err)
		return false
	}
	for _, t := range targets {
		blocker, sharedBlocker, sharedHeld := "", "", false
		for _, l := range locks {
			switch {
			case !t.blockedBy(l):
			case submitted[l.Token]:
				sharedHeld = sharedHeld || l.Shared
			case l.Shared:
				sharedBlocker = l.Root
			default:
				blocker = l.Root
			}
		}
		if blocker == "" && !sharedHeld {
			blocker = sharedBlocker
		}
		if blocker != "" {
			writeDAVError(rq.w, http.StatusLocked,
				"<D:lock-token-submitted><D:href>"+xmlEscape(h.href(blocker))+"</D:href></D:lock-token-submitted>")
			return false
		}
	}
	return true
}

// blockedBy reports whether lock l restricts changing t.
func (t lockTarget) blockedBy(l store.Lock) bool {
	return l.Covers(t.name) ||
		(t.tree && store.IsBelow(l.Root, t.name)) ||
		(t.member && t.name != "/" && l.Root == path.Dir(t.name))
}

// href turns a name into the escaped URL path clients use.
func (h *Handler) href(name string) string {
	return (&url.URL{Path: h.Prefix + name}).EscapedPath()
}

// ifHolds evaluates the If header: true when it is absent or any of its
// lists holds; otherwise it answers 400 or 412 and returns false. Untagged
// lists apply to resource.
func (h *Handler) ifHolds(rq *request, resource string) bool {
	hdr := rq.r.Header.Get("If")
	if hdr == "" {
		return true
	}
	lists, err := parseIf(hdr)
	if err != nil {
		http.Error(rq.w, "Bad Request: malformed If header", http.StatusBadRequest)
		return false
	}
	for _, l := range lists {
		name := resource
		if l.Resource != "" {
			u, err := url.Parse(l.Resource)
			if err != nil || (u.Host != "" && u.Host != rq.r.Host) {
				continue
			}
			rel, ok := h.strip(u.Path)
			if !ok {
				continue
			}
			if name, err = cleanName(rel); err != nil {
				continue
			}
		}
		ok, err := rq.ls.listTrue(name, l.Conditions)
		if err != nil {
			h.storageError(rq, "if", err)
			return false
		}
		if ok {
			return true
		}
	}
	http.Error(rq.w, "Precondition Failed", http.StatusPreconditionFailed)
	return false
}

func (h *Handler) get(rq *request) {
	fi, err := rq.fs.stat(rq.r.Context(), rq.name)
	if err != nil {
		h.storageError(rq, "stat", err)
		return
	}
	if fi.IsDir {
		rq.w.Header().Set("Allow", Allowed)
		http.Error(rq.w, "Method Not Allowed: this is a folder; use PROPFIND to list it", http.StatusMethodNotAllowed)
		return
	}
	f := &file{fs: rq.fs, ctx: rq.r.Context(), name: rq.name, info: fi}
	defer f.Close()
	rq.w.Header().Set("ETag", etag(fi))
	rq.w.Header().Set("Content-Type", contentType(fi.Name))
	http.ServeContent(rq.w, rq.r, fi.Name, fi.ModTime, f)
}

// bodyReader remembers whether reading the request body failed, to tell a
// client's broken upload (400) from a storage failure (500).
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// matchETag reports whether a comma-separated If-Match/If-None-Match value
// names tag ("*" names any existing resource).
func matchETag(header, tag string, exists bool) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimSpace(v)
		if v == "*" && exists {
			return true
		}
		if exists && strings.TrimPrefix(v, "W/") == tag {
			return true
		}
	}
	return false
}

// put streams the body into an atomic backend Put: an interrupted or failed
// upload leaves the previous content and no partial file.
func (h *Handler) put(rq *request) {
	ctx, r, w := rq.r.Context(), rq.r, rq.w
	if rq.name == "/" {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	fi, err := rq.fs.stat(ctx, rq.name)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) {
		h.storageError(rq, "stat", err)
		return
	}
	if exists && fi.IsDir {
		w.Header().Set("Allow", Allowed)
		http.Error(w, "Method Not Allowed: a folder has this name", http.StatusMethodNotAllowed)
		return
	}
	if p, err := rq.fs.stat(ctx, path.Dir(rq.name)); err != nil || !p.IsDir {
		http.Error(w, "Conflict: the parent folder does not exist", http.StatusConflict)
		return
	}
	tag := etag(fi)
	if v := r.Header.Get("If-Match"); v != "" && !matchETag(v, tag, exists) {
		http.Error(w, "Precondition Failed", http.StatusPreconditionFailed)
		return
	}
	if v := r.Header.Get("If-None-Match"); v != "" && matchETag(v, tag, exists) {
		http.Error(w, "Precondition Failed", http.StatusPreconditionFailed)
		return
	}
	if !h.allowed(rq, rq.name, lockTarget{name: rq.name, member: !exists}) {
		return
	}
	body := &bodyReader{r: r.Body}
	// Finder sends chunked bodies with the size as a hint.
	hint := r.ContentLength
	if v, err := strconv.ParseInt(r.Header.Get("X-Expected-Entity-Length"), 10, 64); err == nil && hint < 0 {
		hint = v
	}
	if allowed := rq.fs.allowance(ctx, fi.Size); allowed >= 0 && hint > allowed {
		h.storageError(rq, "put", ErrQuotaExceeded)
		return
	}
	nfi, err := rq.fs.put(ctx, rq.name, body, r.ContentLength)
	if err != nil {
		if errors.Is(err, ErrQuotaExceeded) {
			h.storageError(rq, "put", err)
			return
		}
		if body.err != nil || errors.Is(err, io.ErrUnexpectedEOF) || ctx.Err() != nil {
			h.log().InfoContext(ctx, "upload aborted", "user", rq.fs.user.Username, "path", rq.name, "err", err)
			http.Error(w, "Bad Request: the upload was incomplete; nothing was changed", http.StatusBadRequest)
			return
		}
		h.storageError(rq, "put", err)
		return
	}
	if v := r.Header.Get("X-OC-Mtime"); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			if err := rq.fs.touch(ctx, rq.name, time.Unix(secs, 0)); err == nil {
				if nfi, err = rq.fs.stat(ctx, rq.name); err == nil {
					w.Header().Set("X-OC-Mtime", "accepted")
				}
			}
		}
	}
	w.Header().Set("ETag", etag(nfi))
	if exists {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.WriteHeader(http.StatusCreated)
}
