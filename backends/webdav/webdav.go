// Package webdav stores files on a remote WebDAV server: Apache mod_dav,
// another DocuVault, Nextcloud or any RFC 4918 server.
//
// Uploads stream (chunked when the size is unknown) to a hidden temporary
// name in the target's folder, then MOVE over the target with Overwrite: T;
// any failure deletes the temporary file, so the old content stays. Errors
// map to the backends kinds: 404/409 fs.ErrNotExist, 401/403/423
// fs.ErrPermission, no answer, 429 and 5xx backends.ErrUnavailable.
//
// The driver speaks HTTP itself rather than through gowebdav, whose client
// has no context, buffers non-seekable uploads in memory (WriteStream and
// the default authorizer), creates missing parents on PUT, MOVE and COPY,
// turns MKCOL 405 into success, DELETE 404 and network errors into other
// answers, and ignores XML errors, so a PROPFIND cut short reads as a
// shorter listing.
//
// In Nextcloud mode the root is remote.php/dav/files/<user>/ below the
// server URL, the password is an app password, every PUT carries
// X-OC-Mtime, and the store is a Toucher: Nextcloud sets a modification
// time on PROPPATCH of {DAV:}lastmodified (Unix seconds). Plain servers
// refuse to change DAV:getlastmodified (Apache answers 409 "read-only"), so
// there the driver is no Toucher.
package webdav

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/docuvault/docuvault/backends"
)

// TempPrefix starts the names of in-flight uploads on the remote; such
// names are hidden from listings. It differs from local.TempPrefix because
// a DocuVault remote refuses names with that prefix.
const TempPrefix = ".docuvault-dav-upload-"

// Config describes a remote server.
type Config struct {
	// URL is the WebDAV root, e.g. https://dav.example.com/files/; in
	// Nextcloud mode the server's base, e.g. https://cloud.example.com/.
	URL      string
	Username string
	Password string // in Nextcloud mode an app password
	// Nextcloud selects the Nextcloud layout; Username must then be the
	// Nextcloud user id, which names the files root.
	Nextcloud bool
	// Transport carries the requests; nil means a copy of
	// http.DefaultTransport.
	Transport http.RoundTripper
}

// Store is a backend on a remote WebDAV server.
type Store struct {
	origin    string // scheme://host[:port]
	basePath  string // decoded URL path of the root, with slashes at both ends
	user      string
	pass      string
	nextcloud bool
	hc        *http.Client
}

// Nextcloud is a Store in Nextcloud mode, which can also set modification
// times.
type Nextcloud struct{ *Store }

var (
	_ backends.Backend       = (*Store)(nil)
	_ backends.Mover         = (*Store)(nil)
	_ backends.RemoveAller   = (*Store)(nil)
	_ backends.SpaceReporter = (*Store)(nil)
	_ backends.Toucher       = (*Nextcloud)(nil)
)

// New returns a *Store, or a *Nextcloud when cfg.Nextcloud is set. It makes
// no request.
func New(cfg Config) (backends.Backend, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webdav: URL must be an absolute http or https URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("webdav: URL must not have a query or fragment")
	}
	if u.User != nil {
		// Credentials in the URL would end up in error messages and logs.
		if cfg.Username == "" {
			cfg.Username = u.User.Username()
			cfg.Password, _ = u.User.Password()
		}
		u.User = nil
	}
	s := &Store{
		origin:    u.Scheme + "://" + u.Host,
		basePath:  "/",
		user:      cfg.Username,
		pass:      cfg.Password,
		nextcloud: cfg.Nextcloud,
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		s.basePath = "/" + p + "/"
	}
	tr := cfg.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		tr = t
	}
	s.hc = &http.Client{
		Transport: tr,
		// Redirects are handled in send: following them would turn a
		// PROPFIND or MOVE into a GET.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if !cfg.Nextcloud {
		return s, nil
	}
	if cfg.Username == "" || strings.Contains(cfg.Username, "/") {
		return nil, fmt.Errorf("webdav: Nextcloud mode needs the user id as Username")
	}
	s.basePath += "remote.php/dav/files/" + cfg.Username + "/"
	return &Nextcloud{s}, nil
}

// Close releases idle connections.
func (s *Store) Close() error {
	s.hc.CloseIdleConnections()
	return nil
}

func (s *Store) Stat(ctx context.Context, name string) (backends.FileInfo, error) {
	want := path.Clean(s.remotePath(name))
	var found, first *msResponse
	err := s.propfind(ctx, "stat", name, "0", propfindInfo, func(r *msResponse) error {
		if first == nil {
			first = r
		}
		if found == nil && r.path() == want {
			found = r
		}
		return nil
	})
	if err != nil {
		return backends.FileInfo{}, err
	}
	if found == nil {
		found = first // a server that normalises names differently
	}
	if found == nil {
		return backends.FileInfo{}, fmt.Errorf("webdav: stat %q: empty answer", name)
	}
	p, ok := found.ok()
	if !ok {
		return backends.FileInfo{}, fmt.Errorf("webdav: stat %q: %w", name, fs.ErrNotExist)
	}
	return info(baseName(name), p), nil
}

func baseName(name string) string {
	if name == "/" || name == "" {
		return "/"
	}
	return path.Base(name)
}

func (s *Store) List(ctx context.Context, dir string) ([]backends.FileInfo, error) {
	want := path.Clean(s.remotePath(dir))
	var self *msResponse
	var all []*msResponse
	err := s.propfind(ctx, "list", dir, "1", propfindInfo, func(r *msResponse) error {
		if self == nil && r.path() == want {
			self = r
		} else {
			all = append(all, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if self == nil && len(all) > 0 {
		self, all = all[0], all[1:] // servers answer with the folder first
	}
	if self == nil {
		return nil, fmt.Errorf("webdav: list %q: empty answer", dir)
	}
	if p, ok := self.ok(); !ok || !info("", p).IsDir {
		return nil, fmt.Errorf("webdav: list %q: not a directory: %w", dir, fs.ErrInvalid)
	}
	out := make([]backends.FileInfo, 0, len(all))
	for _, r := range all {
		p, ok := r.ok()
		name := path.Base(r.path())
		if !ok || name == "/" || name == "." || strings.HasPrefix(name, TempPrefix) {
			continue
		}
		out = append(out, info(name, p))
	}
	return out, nil
}

func (s *Store) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	fi, err := s.Stat(ctx, name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir {
		return nil, fmt.Errorf("webdav: open %q: is a directory: %w", name, fs.ErrInvalid)
	}
	if offset < 0 {
		offset = 0
	}
	if length == 0 || offset >= fi.Size {
		return io.NopCloser(strings.NewReader("")), nil
	}
	hdr := http.Header{}
	if offset > 0 || length > 0 {
		r := fmt.Sprintf("bytes=%d-", offset)
		if length > 0 {
			r += strconv.FormatInt(offset+length-1, 10)
		}
		hdr.Set("Range", r)
	}
	resp, err := s.send(ctx, "open", http.MethodGet, name, nil, 0, hdr)
	if err != nil {
		return nil, err
	}
	var body io.Reader = resp.Body
	switch resp.StatusCode {
	case http.StatusPartialContent:
	case http.StatusOK:
		// The server ignored the range: skip to offset.
		if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
			resp.Body.Close()
			if err == io.EOF {
				return io.NopCloser(strings.NewReader("")), nil
			}
			return nil, s.transportErr(ctx, "open", name, err)
		}
	case http.StatusRequestedRangeNotSatisfiable:
		drain(resp)
		return io.NopCloser(strings.NewReader("")), nil // shrunk meanwhile
	default:
		drain(resp)
		return nil, statusErr("open", name, resp.StatusCode)
	}
	if length > 0 {
		body = io.LimitReader(body, length)
	}
	return &downloadBody{Reader: body, c: resp.Body, ctx: ctx, name: name}, nil
}

func (s *Store) Put(ctx context.Context, name string, r io.Reader, size int64) (backends.FileInfo, error) {
	if name == "/" || name == "" {
		return backends.FileInfo{}, fmt.Errorf("webdav: put %q: %w", name, fs.ErrInvalid)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := path.Join(path.Dir(name), TempPrefix+hex.EncodeToString(rnd[:]))
	committed := false
	defer func() {
		if !committed {
			s.removeTemp(ctx, tmp)
		}
	}()

	sent, err := s.upload(ctx, name, tmp, r, size)
	if err != nil {
		return backends.FileInfo{}, err
	}
	if size < 0 {
		// Some server setups mishandle chunked bodies (PHP behind FastCGI
		// has stored them empty): check before it replaces anything.
		fi, err := s.Stat(ctx, tmp)
		if err != nil {
			return backends.FileInfo{}, err
		}
		if fi.Size != sent {
			return backends.FileInfo{}, fmt.Errorf("webdav: put %q: remote stored %d of %d bytes", name, fi.Size, sent)
		}
	}
	// Checked last, right before MOVE: Overwrite: T would delete a folder.
	if fi, err := s.Stat(ctx, name); err == nil && fi.IsDir {
		return backends.FileInfo{}, fmt.Errorf("webdav: put %q: is a directory: %w", name, fs.ErrInvalid)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return backends.FileInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return backends.FileInfo{}, fmt.Errorf("webdav: put %q: %w", name, err)
	}
	if err := s.move(ctx, "put", tmp, name); err != nil {
		return backends.FileInfo{}, err
	}
	committed = true
	fi, err := s.Stat(ctx, name)
	if errors.Is(err, fs.ErrNotExist) {
		// Stored, then replaced by a concurrent MOVE, which on most servers
		// deletes the target first.
		return backends.FileInfo{Name: path.Base(name), Size: sent, ModTime: time.Now()}, nil
	}
	return fi, err
}

// upload PUTs r to tmp and returns the number of bytes sent.
func (s *Store) upload(ctx context.Context, name, tmp string, r io.Reader, size int64) (int64, error) {
	hdr := http.Header{}
	if s.nextcloud {
		hdr.Set("X-OC-Mtime", strconv.FormatInt(time.Now().Unix(), 10))
	}
	var body io.Reader
	ub := &uploadBody{ctx: ctx, r: r, size: size}
	if size == 0 {
		// Send "Content-Length: 0", but only if r really is empty.
		if err := ub.probeEnd(); err != io.EOF {
			return 0, fmt.Errorf("webdav: put %q: %w", name, err)
		}
		body = http.NoBody
	} else {
		body = ub
	}
	resp, err := s.send(ctx, "put", http.MethodPut, tmp, body, size, hdr)
	if err == nil && (ub.readErr() != nil || ctx.Err() != nil) {
		drain(resp)
	}
	n := ub.n.Load()
	switch {
	case ub.readErr() != nil:
		return n, fmt.Errorf("webdav: put %q: %w", name, ub.readErr())
	case ctx.Err() != nil:
		return n, fmt.Errorf("webdav: put %q: %w", name, ctx.Err())
	case err != nil:
		return n, err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusNoContent:
		return n, nil
	}
	return n, statusErr("put", name, resp.StatusCode)
}

// removeTemp deletes a failed upload's temporary file, also after the
// caller gave up. The name is hidden from listings if this fails too.
func (s *Store) removeTemp(ctx context.Context, tmp string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if resp, err := s.send(ctx, "delete", "DELETE", tmp, nil, 0, nil); err == nil {
		drain(resp)
	}
}

// move sends MOVE with Overwrite: T. Servers answer 423 while another
// request works on the target (golang.org/x/net/webdav's per-request locks,
// Nextcloud's file locking); a few tries ride that out.
func (s *Store) move(ctx context.Context, op, src, dst string) error {
	hdr := http.Header{"Destination": {s.url(dst)}, "Overwrite": {"T"}}
	var resp *http.Response
	for try := 0; ; try++ {
		var err error
		resp, err = s.send(ctx, op, "MOVE", src, nil, 0, hdr)
		if err != nil {
			return err
		}
		drain(resp)
		if resp.StatusCode != http.StatusLocked || try == 4 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("webdav: %s %q: %w", op, src, ctx.Err())
		case <-time.After(time.Duration(20<<try) * time.Millisecond):
		}
	}
	switch resp.StatusCode {
	case http.StatusCreated, http.StatusNoContent:
		return nil
	case http.StatusMultiStatus:
		return fmt.Errorf("webdav: %s %q: remote moved only part of it", op, src)
	}
	err := statusErr(op, src, resp.StatusCode)
	// Servers differ on a missing destination folder: Apache answers 500,
	// golang.org/x/net/webdav 403, Nextcloud 409. Ask.
	if resp.StatusCode != http.StatusUnauthorized {
		if pfi, perr := s.Stat(ctx, path.Dir(dst)); errors.Is(perr, fs.ErrNotExist) || errors.Is(perr, fs.ErrInvalid) || perr == nil && !pfi.IsDir {
			return fmt.Errorf("webdav: %s %q: no folder %q: %w", op, src, path.Dir(dst), fs.ErrNotExist)
		}
	}
	return err
}

func (s *Store) Delete(ctx context.Context, name string) error {
	if name == "/" || name == "" {
		return fmt.Errorf("webdav: delete root: %w", fs.ErrPermission)
	}
	fi, err := s.Stat(ctx, name)
	if err != nil {
		return err
	}
	if fi.IsDir {
		// DELETE of a collection is recursive; Delete only takes empty
		// ones. Leftover temporary files do not count.
		list, err := s.List(ctx, name)
		if err != nil {
			return err
		}
		if len(list) > 0 {
			return fmt.Errorf("webdav: delete %q: directory not empty: %w", name, fs.ErrExist)
		}
	}
	return s.delete(ctx, "delete", name)
}

func (s *Store) delete(ctx context.Context, op, name string) error {
	resp, err := s.send(ctx, op, "DELETE", name, nil, 0, nil)
	if err != nil {
		return err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNoContent:
		return nil
	case http.StatusMultiStatus:
		return fmt.Errorf("webdav: %s %q: remote removed only part of it", op, name)
	}
	return statusErr(op, name, resp.StatusCode)
}

func (s *Store) Mkdir(ctx context.Context, name string) error {
	if name == "/" || name == "" {
		return fmt.Errorf("webdav: mkdir root: %w", fs.ErrExist)
	}
	resp, err := s.send(ctx, "mkdir", "MKCOL", name, nil, 0, nil)
	if err != nil {
		return err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusCreated, http.StatusOK, http.StatusNoContent:
		return nil
	case http.StatusMethodNotAllowed:
		// Taken, or (golang.org/x/net/webdav, DocuVault) below a file.
		if _, err := s.Stat(ctx, name); errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
			return fmt.Errorf("webdav: mkdir %q: parent is no folder: %w", name, fs.ErrNotExist)
		}
		return fmt.Errorf("webdav: mkdir %q: %w", name, fs.ErrExist)
	}
	return statusErr("mkdir", name, resp.StatusCode)
}

func (s *Store) Move(ctx context.Context, src, dst string) error {
	if src == "/" || dst == "/" {
		return fmt.Errorf("webdav: move root: %w", fs.ErrPermission)
	}
	if strings.HasPrefix(dst, src+"/") {
		return fmt.Errorf("webdav: move %q into itself: %w", src, fs.ErrInvalid)
	}
	sfi, err := s.Stat(ctx, src)
	if err != nil {
		return err
	}
	if src == dst {
		return nil
	}
	// Overwrite: T replaces anything; the contract replaces only files.
	dfi, err := s.Stat(ctx, dst)
	switch {
	case err == nil && dfi.IsDir:
		return fmt.Errorf("webdav: move to %q: is a directory: %w", dst, fs.ErrExist)
	case err == nil && sfi.IsDir:
		return fmt.Errorf("webdav: move folder %q over file %q: %w", src, dst, fs.ErrInvalid)
	case err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid):
		return err
	}
	return s.move(ctx, "move", src, dst)
}

func (s *Store) RemoveAll(ctx context.Context, name string) error {
	if name == "/" || name == "" {
		return fmt.Errorf("webdav: remove root: %w", fs.ErrPermission)
	}
	return s.delete(ctx, "remove", name)
}

// Space reports the root's RFC 4331 quota properties. A missing property
// reads as used 0 or available -1 (Apache reports neither); Nextcloud's
// negative "unlimited" and "unknown" values become available -1 too.
func (s *Store) Space(ctx context.Context) (used, available int64, err error) {
	var p prop
	var got bool
	err = s.propfind(ctx, "space", "/", "0", propfindQuota, func(r *msResponse) error {
		if !got {
			p, got = r.ok() // 404 propstats for unknown properties are skipped
		}
		return nil
	})
	if err != nil {
		return 0, -1, err
	}
	available = -1
	if p.QuotaUsed != nil {
		used, _ = strconv.ParseInt(strings.TrimSpace(*p.QuotaUsed), 10, 64)
		used = max(used, 0)
	}
	if p.QuotaAvailable != nil {
		if v, err := strconv.ParseInt(strings.TrimSpace(*p.QuotaAvailable), 10, 64); err == nil && v >= 0 {
			available = v
		}
	}
	return used, available, nil
}

// Touch sets the modification time (whole seconds) through Nextcloud's
// {DAV:}lastmodified property.
func (n *Nextcloud) Touch(ctx context.Context, name string, mtime time.Time) error {
	body := `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:lastmodified>` +
		strconv.FormatInt(mtime.Unix(), 10) + `</D:lastmodified></D:prop></D:set></D:propertyupdate>`
	hdr := http.Header{"Content-Type": {"application/xml; charset=utf-8"}}
	resp, err := n.send(ctx, "touch", "PROPPATCH", name, strings.NewReader(body), int64(len(body)), hdr)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusMultiStatus {
		return statusErr("touch", name, resp.StatusCode)
	}
	code := 0
	err = parseMultistatus(resp.Body, func(r *msResponse) error {
		for _, ps := range r.Propstat {
			if c := statusCode(ps.Status); c != http.StatusOK && code == 0 {
				code = c
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("webdav: touch %q: reading answer: %w: %v", name, backends.ErrUnavailable, err)
	}
	if code != 0 {
		return statusErr("touch", name, code)
	}
	return nil
}
