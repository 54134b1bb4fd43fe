package webdav_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	xdav "golang.org/x/net/webdav"
)

// fakeNextcloud is a Nextcloud-shaped WebDAV server on 127.0.0.1: it answers
// only below /remote.php/dav/files/<user>/ and only with the user's app
// password, refuses a PUT without X-OC-Mtime and applies it as the
// modification time, sets times on PROPPATCH of {DAV:}lastmodified (Unix
// seconds), reports RFC 4331 quota on folders, and gives each file version
// a random ETag as Nextcloud does. Files live in a temporary directory.
type fakeNextcloud struct {
	URL         string // server base, as configured in DocuVault
	User        string
	AppPassword string
	Dir         string
	// QuotaAvailable is reported as quota-available-bytes; Nextcloud uses
	// -3 for unlimited.
	QuotaAvailable atomic.Int64

	prefix string
	mu     sync.Mutex
	etags  map[string]string
	seen   []request
}

// request is the shape of one request the fake received.
type request struct {
	Method, Path, Destination, Overwrite, Mtime, Auth string
	ContentLength                                     int64
	Chunked                                           bool
}

// take returns and forgets the requests received so far.
func (f *fakeNextcloud) take() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.seen
	f.seen = nil
	return r
}

type mtimeKey struct{}

func newFakeNextcloud(t *testing.T) *fakeNextcloud {
	f := &fakeNextcloud{
		User:        "alice@example.com",
		AppPassword: "app-" + randHex(12),
		Dir:         t.TempDir(),
		etags:       map[string]string{},
	}
	f.QuotaAvailable.Store(10 << 30)
	f.prefix = "/remote.php/dav/files/" + f.User
	h := &xdav.Handler{
		Prefix:     f.prefix,
		FileSystem: &ncFS{dir: xdav.Dir(f.Dir), root: f.Dir, f: f},
		LockSystem: xdav.NewMemLS(),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, request{
			Method: r.Method, Path: r.URL.EscapedPath(), Destination: r.Header.Get("Destination"),
			Overwrite: r.Header.Get("Overwrite"), Mtime: r.Header.Get("X-OC-Mtime"),
			Auth: r.Header.Get("Authorization"), ContentLength: r.ContentLength,
			Chunked: len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked",
		})
		f.mu.Unlock()
		u, p, ok := r.BasicAuth()
		if !ok || u != f.User || p != f.AppPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="Nextcloud", charset="UTF-8"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.URL.Path != f.prefix && !strings.HasPrefix(r.URL.Path, f.prefix+"/") {
			http.Error(w, "not a Nextcloud files path", http.StatusNotFound)
			return
		}
		if dst := r.Header.Get("Destination"); dst != "" && !strings.Contains(dst, f.prefix+"/") {
			http.Error(w, "destination outside the files root", http.StatusBadGateway)
			return
		}
		if r.Method == http.MethodPut {
			sec, err := strconv.ParseInt(r.Header.Get("X-OC-Mtime"), 10, 64)
			if err != nil {
				http.Error(w, "X-OC-Mtime required", http.StatusBadRequest)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), mtimeKey{}, time.Unix(sec, 0)))
			w.Header().Set("X-OC-MTime", "accepted")
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/"
	return f
}

func (f *fakeNextcloud) newETag(name string) {
	f.mu.Lock()
	f.etags[name] = `"` + randHex(8) + `"`
	f.mu.Unlock()
}

func (f *fakeNextcloud) etag(name string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.etags[name]
	return e, ok
}

// renameETags moves the tags of old and everything below it to new; an
// empty new drops them.
func (f *fakeNextcloud) renameETags(old, new string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, v := range f.etags {
		if k == old || strings.HasPrefix(k, old+"/") {
			delete(f.etags, k)
			if new != "" {
				f.etags[new+strings.TrimPrefix(k, old)] = v
			}
		}
	}
}

// ncFS adds Nextcloud's behaviour to a webdav.Dir.
type ncFS struct {
	dir  xdav.Dir
	root string
	f    *fakeNextcloud
}

func clean(name string) string { return path.Clean("/" + name) }

// notDir turns "not a directory" (a path through a file) into "not found",
// as Nextcloud answers 404 or 409 for such paths.
func notDir(err error) error {
	if errors.Is(err, syscall.ENOTDIR) {
		return os.ErrNotExist
	}
	return err
}

func (n *ncFS) Mkdir(ctx context.Context, name string, perm os.FileMode) error {
	return notDir(n.dir.Mkdir(ctx, name, perm))
}

func (n *ncFS) RemoveAll(ctx context.Context, name string) error {
	n.f.renameETags(clean(name), "")
	return n.dir.RemoveAll(ctx, name)
}

func (n *ncFS) Rename(ctx context.Context, oldName, newName string) error {
	if err := n.dir.Rename(ctx, oldName, newName); err != nil {
		return err
	}
	n.f.renameETags(clean(oldName), clean(newName))
	return nil
}

func (n *ncFS) Stat(ctx context.Context, name string) (os.FileInfo, error) {
	fi, err := n.dir.Stat(ctx, name)
	if err != nil {
		return nil, notDir(err)
	}
	return ncInfo{fi, n.f, clean(name)}, nil
}

func (n *ncFS) OpenFile(ctx context.Context, name string, flag int, perm os.FileMode) (xdav.File, error) {
	// PROPPATCH opens O_RDWR, which a directory refuses.
	if flag == os.O_RDWR {
		if fi, err := n.dir.Stat(ctx, name); err == nil && fi.IsDir() {
			flag = os.O_RDONLY
		}
	}
	file, err := n.dir.OpenFile(ctx, name, flag, perm)
	if err != nil {
		return nil, notDir(err)
	}
	nf := &ncFile{File: file, fs: n, name: clean(name)}
	if flag&(os.O_CREATE|os.O_TRUNC) != 0 {
		nf.mtime, _ = ctx.Value(mtimeKey{}).(time.Time)
		nf.written = true
	}
	return nf, nil
}

func (n *ncFS) path(name string) string {
	return filepath.Join(n.root, filepath.FromSlash(clean(name)))
}

type ncFile struct {
	xdav.File
	fs      *ncFS
	name    string
	written bool
	mtime   time.Time
}

// Close applies X-OC-Mtime after an upload and gives it a new ETag.
func (f *ncFile) Close() error {
	err := f.File.Close()
	if f.written && err == nil {
		f.fs.f.newETag(f.name)
		if !f.mtime.IsZero() {
			err = os.Chtimes(f.fs.path(f.name), f.mtime, f.mtime)
		}
	}
	return err
}

func (f *ncFile) Stat() (os.FileInfo, error) {
	fi, err := f.File.Stat()
	if err != nil {
		return nil, err
	}
	return ncInfo{fi, f.fs.f, f.name}, nil
}

func (f *ncFile) Readdir(count int) ([]fs.FileInfo, error) {
	list, err := f.File.Readdir(count)
	for i, fi := range list {
		list[i] = ncInfo{fi, f.fs.f, path.Join(f.name, fi.Name())}
	}
	return list, err
}

var (
	propLastModified = xml.Name{Space: "DAV:", Local: "lastmodified"}
	propQuotaUsed    = xml.Name{Space: "DAV:", Local: "quota-used-bytes"}
	propQuotaAvail   = xml.Name{Space: "DAV:", Local: "quota-available-bytes"}
)

// DeadProps reports the quota on folders.
func (f *ncFile) DeadProps() (map[xml.Name]xdav.Property, error) {
	fi, err := f.File.Stat()
	if err != nil || !fi.IsDir() {
		return nil, err
	}
	var used int64
	filepath.WalkDir(f.fs.root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if i, err := d.Info(); err == nil {
				used += i.Size()
			}
		}
		return nil
	})
	avail := f.fs.f.QuotaAvailable.Load()
	if avail >= 0 {
		avail = max(avail-used, 0)
	}
	return map[xml.Name]xdav.Property{
		propQuotaUsed:  {XMLName: propQuotaUsed, InnerXML: []byte(strconv.FormatInt(used, 10))},
		propQuotaAvail: {XMLName: propQuotaAvail, InnerXML: []byte(strconv.FormatInt(avail, 10))},
	}, nil
}

// Patch sets the modification time from {DAV:}lastmodified, in Unix
// seconds, as Nextcloud's FilesPlugin does; other properties are refused.
func (f *ncFile) Patch(patches []xdav.Proppatch) ([]xdav.Propstat, error) {
	ok := xdav.Propstat{Status: http.StatusOK}
	bad := xdav.Propstat{Status: http.StatusForbidden}
	var mtime time.Time
	for _, p := range patches {
		for _, prop := range p.Props {
			sec, err := strconv.ParseInt(strings.TrimSpace(string(prop.InnerXML)), 10, 64)
			if prop.XMLName == propLastModified && !p.Remove && err == nil {
				mtime = time.Unix(sec, 0)
				ok.Props = append(ok.Props, xdav.Property{XMLName: prop.XMLName})
			} else {
				bad.Props = append(bad.Props, xdav.Property{XMLName: prop.XMLName})
			}
		}
	}
	if len(bad.Props) > 0 {
		bad.Props = append(bad.Props, ok.Props...)
		return []xdav.Propstat{bad}, nil
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(f.fs.path(f.name), mtime, mtime); err != nil {
			return nil, err
		}
	}
	return []xdav.Propstat{ok}, nil
}

// ncInfo carries the Nextcloud-style ETag.
type ncInfo struct {
	os.FileInfo
	f    *fakeNextcloud
	name string
}

func (i ncInfo) ETag(context.Context) (string, error) {
	if e, ok := i.f.etag(i.name); ok && !i.IsDir() {
		return e, nil
	}
	return "", xdav.ErrNotImplemented
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
