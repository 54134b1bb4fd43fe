package webdav

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docuvault/docuvault/backends"
)

// escapePath percent-encodes every element of a decoded path.
func escapePath(p string) string {
	els := strings.Split(p, "/")
	for i, el := range els {
		els[i] = url.PathEscape(el)
	}
	return strings.Join(els, "/")
}

// remotePath is the decoded URL path of a cleaned name.
func (s *Store) remotePath(name string) string {
	return s.basePath + strings.TrimPrefix(name, "/")
}

func (s *Store) url(name string) string {
	return s.origin + escapePath(s.remotePath(name))
}

// send makes one request for name. Failing to get an answer at all yields
// ctx's error or ErrUnavailable; any status comes back as a response.
// size is the body length, -1 when unknown.
func (s *Store) send(ctx context.Context, op, method, name string, body io.Reader, size int64, hdr http.Header) (*http.Response, error) {
	target := s.url(name)
	for redirected := false; ; redirected = true {
		req, err := http.NewRequestWithContext(ctx, method, target, body)
		if err != nil {
			return nil, fmt.Errorf("webdav: %s %q: %w", op, name, err)
		}
		if body != nil {
			req.ContentLength = size
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		req.Header.Set("User-Agent", "DocuVault")
		req.SetBasicAuth(s.user, s.pass)
		resp, err := s.hc.Do(req)
		if err != nil {
			return nil, s.transportErr(ctx, op, name, err)
		}
		// Servers with a directory-slash rule (Apache's mod_dir) redirect
		// collections to the name with a slash; follow that one redirect
		// when the body can be sent again.
		sr, rewindable := body.(*strings.Reader)
		if (body == nil || rewindable) && !redirected && isRedirect(resp.StatusCode) {
			if loc, err := resp.Location(); err == nil && loc.Host == req.URL.Host && loc.EscapedPath() == req.URL.EscapedPath()+"/" {
				drain(resp)
				target = loc.String()
				if rewindable {
					sr.Seek(0, io.SeekStart)
				}
				continue
			}
		}
		return resp, nil
	}
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// drain reads a little of an unwanted body so the connection can be reused.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// transportErr classifies a failure to exchange a request: the caller's
// cancellation stays itself, everything else means the remote is
// unreachable. The URL (without credentials anyway) is left out.
func (s *Store) transportErr(ctx context.Context, op, name string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("webdav: %s %q: %w", op, name, ctx.Err())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("webdav: %s %q: %w: %v", op, name, backends.ErrUnavailable, err)
}

// statusErr maps an unexpected status to the backends error kinds.
func statusErr(op, name string, code int) error {
	var kind error
	switch {
	case code == http.StatusNotFound, code == http.StatusGone, code == http.StatusConflict:
		kind = fs.ErrNotExist // 409: a missing parent
	case code == http.StatusUnauthorized, code == http.StatusForbidden, code == http.StatusLocked:
		kind = fs.ErrPermission
	case code == http.StatusBadRequest:
		kind = fs.ErrInvalid // e.g. Apache for a path through a file
	case code == http.StatusPreconditionFailed:
		kind = fs.ErrExist
	case code == http.StatusTooManyRequests,
		code >= 500 && code != http.StatusNotImplemented && code != http.StatusInsufficientStorage:
		kind = backends.ErrUnavailable
	}
	if kind == nil {
		return fmt.Errorf("webdav: %s %q: remote answered %d %s", op, name, code, http.StatusText(code))
	}
	return fmt.Errorf("webdav: %s %q: remote answered %d %s: %w", op, name, code, http.StatusText(code), kind)
}

// multistatus parsing, streamed one response at a time.

type msResponse struct {
	Href     string     `xml:"DAV: href"`
	Propstat []propstat `xml:"DAV: propstat"`
}

type propstat struct {
	Status string `xml:"DAV: status"`
	Prop   prop   `xml:"DAV: prop"`
}

type prop struct {
	ResourceType *struct {
		Collection *struct{} `xml:"DAV: collection"`
	} `xml:"DAV: resourcetype"`
	ContentLength  string  `xml:"DAV: getcontentlength"`
	LastModified   string  `xml:"DAV: getlastmodified"`
	ETag           string  `xml:"DAV: getetag"`
	QuotaUsed      *string `xml:"DAV: quota-used-bytes"`
	QuotaAvailable *string `xml:"DAV: quota-available-bytes"`
}

// statusCode parses "HTTP/1.1 200 OK".
func statusCode(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// ok returns the properties the server answered with 200.
func (r *msResponse) ok() (prop, bool) {
	for _, ps := range r.Propstat {
		if statusCode(ps.Status) == http.StatusOK {
			return ps.Prop, true
		}
	}
	return prop{}, false
}

// path returns the decoded path of the response's href, without a trailing
// slash (except for "/").
func (r *msResponse) path() string {
	h := strings.TrimSpace(r.Href)
	if i := strings.Index(h, "://"); i >= 0 {
		rest := h[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			h = rest[j:]
		} else {
			h = "/"
		}
	}
	if p, err := url.PathUnescape(h); err == nil {
		h = p
	}
	if len(h) > 1 {
		h = strings.TrimSuffix(h, "/")
	}
	return h
}

// parseMultistatus calls fn for each response. A body cut short is an
// error, never a shorter listing.
func parseMultistatus(body io.Reader, fn func(*msResponse) error) error {
	d := xml.NewDecoder(body)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Space != "DAV:" || se.Name.Local != "response" {
			continue
		}
		var r msResponse
		if err := d.DecodeElement(&r, &se); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
}

const propfindInfo = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/></D:prop></D:propfind>`

const propfindQuota = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:quota-used-bytes/><D:quota-available-bytes/></D:prop></D:propfind>`

// propfind runs PROPFIND on name and calls fn for each response.
func (s *Store) propfind(ctx context.Context, op, name, depth, body string, fn func(*msResponse) error) error {
	hdr := http.Header{"Depth": {depth}, "Content-Type": {"application/xml; charset=utf-8"}}
	resp, err := s.send(ctx, op, "PROPFIND", name, strings.NewReader(body), int64(len(body)), hdr)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusMultiStatus {
		return statusErr(op, name, resp.StatusCode)
	}
	if err := parseMultistatus(resp.Body, fn); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("webdav: %s %q: %w", op, name, ctx.Err())
		}
		var se *xml.SyntaxError
		if errors.As(err, &se) && !strings.Contains(se.Msg, "unexpected EOF") {
			return fmt.Errorf("webdav: %s %q: malformed answer: %v", op, name, err)
		}
		return fmt.Errorf("webdav: %s %q: reading answer: %w: %v", op, name, backends.ErrUnavailable, err)
	}
	return nil
}

// info builds a FileInfo from PROPFIND properties.
func info(base string, p prop) backends.FileInfo {
	fi := backends.FileInfo{Name: base}
	fi.IsDir = p.ResourceType != nil && p.ResourceType.Collection != nil
	if !fi.IsDir {
		fi.Size, _ = strconv.ParseInt(strings.TrimSpace(p.ContentLength), 10, 64)
	}
	if t, err := http.ParseTime(strings.TrimSpace(p.LastModified)); err == nil {
		fi.ModTime = t
	}
	fi.ETag = etag(p.ETag)
	return fi
}

// etag returns the opaque part of an entity tag. Apache marks every tag weak
// within a second of a change, though its value (size and microsecond
// mtime) still changes with the content, so a weak tag's value is kept.
func etag(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "W/")
	return strings.Trim(s, `"`)
}

// uploadBody feeds a PUT, counting bytes and keeping the reader's own
// failure apart from the transport's. With a known size it fails before the
// last byte goes out unless the reader ends exactly there, so the server
// never receives a complete body of the wrong length. The transport may
// still read after the request returned, hence the atomics.
type uploadBody struct {
	ctx  context.Context
	r    io.Reader
	size int64 // -1 when unknown
	n    atomic.Int64
	mu   sync.Mutex
	err  error
}

func (b *uploadBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, b.fail(err)
	}
	if b.size >= 0 {
		left := b.size - b.n.Load()
		if left <= 0 {
			return 0, b.probeEnd()
		}
		p = p[:min(int64(len(p)), left)]
	}
	n, err := b.r.Read(p)
	total := b.n.Add(int64(n))
	switch {
	case err == io.EOF && b.size >= 0 && total < b.size:
		return n, b.fail(fmt.Errorf("got %d of %d bytes: %w", total, b.size, io.ErrUnexpectedEOF))
	case err != nil && err != io.EOF:
		return n, b.fail(err)
	case b.size >= 0 && total == b.size && err == nil:
		if err := b.probeEnd(); err != io.EOF {
			return 0, err
		}
		return n, io.EOF
	}
	return n, err
}

// probeEnd checks that the reader has nothing past size.
func (b *uploadBody) probeEnd() error {
	var one [1]byte
	for range 100 {
		n, err := b.r.Read(one[:])
		if n > 0 {
			return b.fail(fmt.Errorf("more than %d bytes", b.size))
		}
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return b.fail(err)
		}
	}
	return b.fail(io.ErrNoProgress)
}

func (b *uploadBody) fail(err error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
	return b.err
}

func (b *uploadBody) readErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// downloadBody maps transport failures while reading a GET body.
type downloadBody struct {
	io.Reader
	c    io.Closer
	ctx  context.Context
	name string
}

func (d *downloadBody) Read(p []byte) (int, error) {
	n, err := d.Reader.Read(p)
	if err != nil && err != io.EOF {
		if d.ctx.Err() != nil {
			return n, fmt.Errorf("webdav: read %q: %w", d.name, d.ctx.Err())
		}
		return n, fmt.Errorf("webdav: read %q: %w: %v", d.name, backends.ErrUnavailable, err)
	}
	return n, err
}

func (d *downloadBody) Close() error { return d.c.Close() }

// cleanupTimeout bounds the removal of a failed upload's temporary file,
// which runs even when the caller's context is already cancelled.
const cleanupTimeout = 30 * time.Second
