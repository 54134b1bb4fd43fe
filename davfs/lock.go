package davfs

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"github.com/docuvault/docuvault/store"
)

// MaxLockTimeout is the longest lock the server grants; "Infinite" and
// longer requests get this. Clients refresh long-held locks.
const MaxLockTimeout = 7 * 24 * time.Hour

// DefaultLockTimeout applies when a LOCK has no Timeout header.
const DefaultLockTimeout = time.Hour

// parseTimeout reads a Timeout header (RFC 4918 §10.7): the first value the
// server understands, capped at MaxLockTimeout.
func parseTimeout(h string) time.Duration {
	if strings.TrimSpace(h) == "" {
		return DefaultLockTimeout
	}
	for _, v := range strings.Split(h, ",") {
		v = strings.TrimSpace(v)
		if strings.EqualFold(v, "Infinite") {
			return MaxLockTimeout
		}
		if s, ok := strings.CutPrefix(v, "Second-"); ok {
			if n, err := strconv.ParseUint(s, 10, 32); err == nil {
				return min(time.Duration(n)*time.Second, MaxLockTimeout)
			}
		}
	}
	return DefaultLockTimeout
}

// lockInfo is a LOCK request body.
type lockInfo struct {
	XMLName   xml.Name  `xml:"DAV: lockinfo"`
	Exclusive *struct{} `xml:"DAV: lockscope>exclusive"`
	Shared    *struct{} `xml:"DAV: lockscope>shared"`
	Write     *struct{} `xml:"DAV: locktype>write"`
	Owner     struct {
		InnerXML string `xml:",innerxml"`
	} `xml:"DAV: owner"`
}

// lock serves LOCK: a new exclusive or shared lock, or a refresh when the
// body is empty.
func (h *Handler) lock(rq *request) {
	w, r := rq.w, rq.r
	now := time.Now()
	timeout := parseTimeout(r.Header.Get("Timeout"))
	body, _ := io.ReadAll(r.Body) // bounded by checkXMLBody
	if len(bytes.TrimSpace(body)) == 0 {
		h.refreshLock(rq, now, timeout)
		return
	}
	var li lockInfo
	if err := xml.Unmarshal(body, &li); err != nil || (li.Exclusive == nil) == (li.Shared == nil) || li.Write == nil {
		http.Error(w, "Bad Request: want a lockinfo with one lockscope and a write locktype", http.StatusBadRequest)
		return
	}
	want := store.Lock{Root: rq.name, Shared: li.Shared != nil}
	switch d := r.Header.Get("Depth"); strings.ToLower(d) {
	case "", "infinity":
	case "0":
		want.ZeroDepth = true
	default:
		http.Error(w, "Bad Request: Depth must be 0 or infinity", http.StatusBadRequest)
		return
	}
	if !h.ifHolds(rq, rq.name) {
		return
	}
	_, err := rq.fs.stat(r.Context(), rq.name)
	created := errors.Is(err, fs.ErrNotExist)
	if err != nil && !created {
		h.storageError(rq, "stat", err)
		return
	}
	if created {
		if p, err := rq.fs.stat(r.Context(), path.Dir(rq.name)); err != nil || !p.IsDir {
			http.Error(w, "Conflict: the parent folder does not exist", http.StatusConflict)
			return
		}
	}
	l, err := rq.ls.create(now, want, li.Owner.InnerXML, timeout)
	if errors.Is(err, webdav.ErrLocked) {
		writeDAVError(w, http.StatusLocked, "<D:no-conflicting-lock/>")
		return
	}
	if err != nil {
		h.storageError(rq, "lock", err)
		return
	}
	status := http.StatusOK
	if created {
		// A lock on an unmapped name creates an empty resource (RFC 4918 §7.3).
		if _, err := rq.fs.put(r.Context(), rq.name, bytes.NewReader(nil), 0); err != nil {
			rq.ls.Unlock(now, l.Token)
			h.storageError(rq, "put", err)
			return
		}
		status = http.StatusCreated
	}
	w.Header().Set("Lock-Token", "<"+l.Token+">")
	writeLockDiscovery(w, status, l, h.Prefix)
}

func (h *Handler) refreshLock(rq *request, now time.Time, timeout time.Duration) {
	lists, err := parseIf(rq.r.Header.Get("If"))
	tokens := submittedTokens(lists)
	if err != nil || len(tokens) == 0 {
		http.Error(rq.w, "Bad Request: a lock refresh needs the lock token in an If header", http.StatusBadRequest)
		return
	}
	locks, err := rq.fs.activeLocks(rq.r.Context())
	if err != nil {
		h.storageError(rq, "locks", err)
		return
	}
	for _, l := range locks {
		if tokens[l.Token] && l.Covers(rq.name) {
			nl, err := rq.ls.refresh(now, l.Token, timeout)
			if err != nil {
				h.storageError(rq, "refresh", err)
				return
			}
			writeLockDiscovery(rq.w, http.StatusOK, nl, h.Prefix)
			return
		}
	}
	writeDAVError(rq.w, http.StatusPreconditionFailed, "<D:lock-token-matches-request-uri/>")
}

func writeLockDiscovery(w http.ResponseWriter, status int, l store.Lock, prefix string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+`<D:prop xmlns:D="DAV:"><D:lockdiscovery>%s</D:lockdiscovery></D:prop>`,
		activeLockXML(l, prefix))
}

// unlock serves UNLOCK: the token must name a lock that covers the URL.
func (h *Handler) unlock(rq *request) {
	t := strings.TrimSpace(rq.r.Header.Get("Lock-Token"))
	if len(t) < 3 || t[0] != '<' || t[len(t)-1] != '>' {
		http.Error(rq.w, "Bad Request: want Lock-Token: <token>", http.StatusBadRequest)
		return
	}
	t = t[1 : len(t)-1]
	locks, err := rq.fs.activeLocks(rq.r.Context())
	if err != nil {
		h.storageError(rq, "locks", err)
		return
	}
	for _, l := range locks {
		if l.Token == t && l.Covers(rq.name) {
			if err := rq.ls.Unlock(time.Now(), t); err != nil && !errors.Is(err, webdav.ErrNoSuchLock) {
				h.storageError(rq, "unlock", err)
				return
			}
			rq.w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeDAVError(rq.w, http.StatusConflict, "<D:lock-token-matches-request-uri/>")
}
