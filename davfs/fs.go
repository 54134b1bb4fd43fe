// Package davfs is the WebDAV side of DocuVault: a golang.org/x/net/webdav
// FileSystem and LockSystem built per request and bound to the signed-in
// user, and the Handler that wraps webdav.Handler where it falls short
// (atomic conditional PUT, finite-depth PROPFIND, lock semantics, OPTIONS
// without credentials).
package davfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/webdav"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/local"
	"github.com/docuvault/docuvault/store"
)

// MaxNameBytes is the longest path element accepted.
const MaxNameBytes = 255

// errBadName means a path cannot name a file in a user's namespace.
var errBadName = errors.New("davfs: invalid file name")

// cleanName turns a request path into the canonical absolute name used by
// backends, the props table and locks. It refuses NUL bytes, backslashes,
// overlong elements and the names of in-flight uploads. ".." cannot climb
// above "/": the result always stays inside the user's namespace.
func cleanName(name string) (string, error) {
	if strings.ContainsAny(name, "\x00\\") {
		return "", errBadName
	}
	p := path.Clean("/" + name)
	for _, el := range strings.Split(p, "/") {
		if len(el) > MaxNameBytes || strings.HasPrefix(el, local.TempPrefix) {
			return "", errBadName
		}
	}
	return p, nil
}

// FS is one user's namespace for the duration of one request. It remembers
// what it has listed, so a PROPFIND answers from one List and one property
// query per folder, and never opens a file.
type FS struct {
	prefix  string // URL path the namespace is served under, for hrefs
	user    store.User
	backend backends.Backend
	store   *store.Store

	mu          sync.Mutex
	infos       map[string]backends.FileInfo // by name, from List and Stat
	listed      map[string]bool              // folders whose children are in infos
	props       map[string][]store.Prop      // by name
	propsLoaded map[string]bool              // folders whose children's props are loaded
	locks       []store.Lock
	locksLoaded bool
	failure     error       // see fail
	spaces      *spaceCache // shared by the handler's requests; nil: ask every time
	spaceLoaded bool
	spaceUsed   int64
	spaceAvail  int64
}

var _ webdav.FileSystem = (*FS)(nil)

// NewFS binds a user to their backend and the metadata store; prefix is the
// URL path the namespace is served under.
func NewFS(u store.User, b backends.Backend, st *store.Store, prefix string) *FS {
	return &FS{user: u, backend: b, store: st, prefix: prefix}
}

// forget drops cached state after a change.
func (f *FS) forget() {
	f.mu.Lock()
	f.infos, f.listed, f.props, f.propsLoaded, f.locksLoaded = nil, nil, nil, nil, false
	f.mu.Unlock()
}

// osErr maps backend errors to the os errors webdav.Handler tests with
// os.IsNotExist and os.IsExist, without any host detail.
func osErr(op, name string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errBadName):
		return &os.PathError{Op: op, Path: name, Err: os.ErrInvalid}
	case errors.Is(err, fs.ErrNotExist):
		return &os.PathError{Op: op, Path: name, Err: os.ErrNotExist}
	case errors.Is(err, fs.ErrExist):
		return &os.PathError{Op: op, Path: name, Err: os.ErrExist}
	case errors.Is(err, fs.ErrPermission):
		return &os.PathError{Op: op, Path: name, Err: os.ErrPermission}
	}
	return err
}

// stat describes a cleaned name, from the request cache when possible.
func (f *FS) stat(ctx context.Context, name string) (backends.FileInfo, error) {
	f.mu.Lock()
	fi, ok := f.infos[name]
	listed := f.listed[path.Dir(name)]
	f.mu.Unlock()
	if ok {
		return fi, nil
	}
	if listed && name != "/" {
		return backends.FileInfo{}, fmt.Errorf("davfs: stat %q: %w", name, fs.ErrNotExist)
	}
	fi, err := f.backend.Stat(ctx, name)
	if errors.Is(err, fs.ErrInvalid) {
		// A path through a file ("/a.txt/b"): no such resource.
		return fi, fmt.Errorf("davfs: stat %q: %w", name, fs.ErrNotExist)
	}
	if err != nil {
		return fi, err
	}
	if name == "/" {
		fi.Name = "/"
	}
	f.mu.Lock()
	if f.infos == nil {
		f.infos = map[string]backends.FileInfo{}
	}
	f.infos[name] = fi
	f.mu.Unlock()
	return fi, nil
}

func (f *FS) list(ctx context.Context, dir string) ([]backends.FileInfo, error) {
	list, err := f.backend.List(ctx, dir)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.infos == nil {
		f.infos, f.listed = map[string]backends.FileInfo{}, map[string]bool{}
	}
	if f.listed == nil {
		f.listed = map[string]bool{}
	}
	for _, fi := range list {
		f.infos[path.Join(dir, fi.Name)] = fi
	}
	f.listed[dir] = true
	f.mu.Unlock()
	return list, nil
}

// Stat implements webdav.FileSystem.
func (f *FS) Stat(ctx context.Context, name string) (os.FileInfo, error) {
	n, err := cleanName(name)
	if err != nil {
		return nil, f.fail("stat", name, err)
	}
	fi, err := f.stat(ctx, n)
	if err != nil {
		return nil, f.fail("stat", name, err)
	}
	return fileInfo{fi}, nil
}

// Mkdir implements webdav.FileSystem.
func (f *FS) Mkdir(ctx context.Context, name string, _ os.FileMode) error {
	n, err := cleanName(name)
	if err != nil {
		return f.fail("mkdir", name, err)
	}
	defer f.forget()
	return f.fail("mkdir", name, f.backend.Mkdir(ctx, n))
}

// RemoveAll implements webdav.FileSystem; it also drops the properties and
// locks of everything removed, and the bytes it held from the user's usage.
func (f *FS) RemoveAll(ctx context.Context, name string) error {
	n, err := cleanName(name)
	if err != nil {
		return f.fail("remove", name, err)
	}
	if n == "/" {
		return f.fail("remove", name, fs.ErrPermission)
	}
	defer f.forget()
	size, err := backends.TreeSize(ctx, f.backend, n)
	if err != nil {
		return f.fail("remove", name, err)
	}
	if err := backends.RemoveAll(ctx, f.backend, n); err != nil {
		return f.fail("remove", name, err)
	}
	return errors.Join(f.addUsage(ctx, -size),
		f.store.DeleteProps(ctx, f.user.ID, n), f.store.DeleteLocksAt(ctx, f.user.ID, n))
}

// Rename implements webdav.FileSystem. webdav.Handler has already removed an
// overwritten destination. Properties move with the resource; locks on the
// source are released (RFC 4918 §7.5: locks do not move).
func (f *FS) Rename(ctx context.Context, oldName, newName string) error {
	src, err1 := cleanName(oldName)
	dst, err2 := cleanName(newName)
	if err := errors.Join(err1, err2); err != nil {
		return f.fail("rename", oldName, err)
	}
	if src == "/" || dst == "/" || strings.HasPrefix(dst, src+"/") {
		return f.fail("rename", oldName, fs.ErrPermission)
	}
	defer f.forget()
	if err := backends.Move(ctx, f.backend, src, dst); err != nil {
		return f.fail("rename", oldName, err)
	}
	return errors.Join(f.store.MoveProps(ctx, f.user.ID, src, dst), f.store.DeleteLocksAt(ctx, f.user.ID, src))
}

// OpenFile implements webdav.FileSystem. Opening never touches file
// content: reads open the backend lazily, and O_CREATE/O_TRUNC return a
// writer that streams into an atomic Put.
func (f *FS) OpenFile(ctx context.Context, name string, flag int, _ os.FileMode) (webdav.File, error) {
	n, err := cleanName(name)
	if err != nil {
		return nil, f.fail("open", name, err)
	}
	if flag&(os.O_CREATE|os.O_TRUNC) != 0 && flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		if n == "/" {
			return nil, f.fail("open", name, fs.ErrPermission)
		}
		parent, err := f.stat(ctx, path.Dir(n))
		if err != nil {
			return nil, f.fail("open", name, err)
		}
		if !parent.IsDir {
			return nil, f.fail("open", name, fs.ErrNotExist)
		}
		if fi, err := f.stat(ctx, n); err == nil && fi.IsDir {
			return nil, f.fail("open", name, fs.ErrExist)
		}
		return f.newWriter(ctx, n), nil
	}
	fi, err := f.stat(ctx, n)
	if err != nil {
		return nil, f.fail("open", name, err)
	}
	return &file{fs: f, ctx: ctx, name: n, info: fi}, nil
}

// ErrQuotaExceeded means a write would take the user past their quota;
// the handler answers 507 Insufficient Storage.
var ErrQuotaExceeded = errors.New("davfs: quota exceeded")

// allowance returns how many bytes a write replacing oldSize bytes may store
// (-1: no limit known), by the user's quota or the storage's own.
func (f *FS) allowance(ctx context.Context, oldSize int64) int64 {
	if _, a := f.quota(ctx); a >= 0 {
		return max(a+oldSize, 0)
	}
	return -1
}

// quotaReader fails a stream once it goes past the allowance.
type quotaReader struct {
	r    io.Reader
	left int64
}

func (q *quotaReader) Read(p []byte) (int, error) {
	n, err := q.r.Read(p)
	if q.left -= int64(n); q.left < 0 {
		return 0, ErrQuotaExceeded
	}
	return n, err
}

// addUsage records a change of the user's stored bytes.
func (f *FS) addUsage(ctx context.Context, delta int64) error {
	if err := f.store.AddUsage(ctx, f.user.ID, delta); err != nil {
		return err
	}
	f.user.UsedBytes += delta
	return nil
}

// put stores r at name atomically, within the user's quota: a known size
// over it is refused before any byte is stored, an unknown one is aborted
// at the limit. Usage changes only once the upload has committed.
//
// A derived ETag changes only with the modification time or size, and
// file systems stamp times from a coarse clock (Linux: a few ms), so a quick
// replacement can keep the previous version's time. put then sets the time
// just past it: versions get strictly increasing times and distinct ETags.
func (f *FS) put(ctx context.Context, name string, r io.Reader, size int64) (backends.FileInfo, error) {
	defer f.forget()
	old, oldErr := f.stat(ctx, name)
	if allowed := f.allowance(ctx, old.Size); allowed >= 0 {
		if size > allowed {
			return backends.FileInfo{}, ErrQuotaExceeded
		}
		if size < 0 {
			r = &quotaReader{r: r, left: allowed}
		}
	}
	fi, err := f.backend.Put(ctx, name, r, size)
	if err != nil {
		if errors.Is(err, ErrQuotaExceeded) {
			err = ErrQuotaExceeded
		}
		return fi, f.fail("put", name, err)
	}
	if err := f.addUsage(ctx, fi.Size-old.Size); err != nil {
		return fi, err
	}
	tc, ok := f.backend.(backends.Toucher)
	if oldErr != nil || old.IsDir || fi.ETag != "" || fi.ModTime.After(old.ModTime) || !ok {
		return fi, nil
	}
	if tc.Touch(ctx, name, old.ModTime.Add(time.Microsecond)) == nil {
		if nfi, err := f.backend.Stat(ctx, name); err == nil {
			return nfi, nil
		}
	}
	return fi, nil // stored; only the ETag may repeat
}

// touch sets a modification time; errors.ErrUnsupported when the storage
// keeps its own times.
func (f *FS) touch(ctx context.Context, name string, t time.Time) error {
	if !f.canTouch(name) {
		return errors.ErrUnsupported
	}
	defer f.forget()
	return f.backend.(backends.Toucher).Touch(ctx, name, t)
}

// canTouch reports whether the storage of name can set modification times.
func (f *FS) canTouch(name string) bool {
	return backends.CanTouch(f.backend, name)
}

// fail remembers a failure webdav.Handler would answer with a generic status
// (storage unreachable, quota), so the handler can answer 503 or 507
// instead, and returns err for webdav.Handler.
func (f *FS) fail(op, name string, err error) error {
	if errors.Is(err, backends.ErrUnavailable) || errors.Is(err, ErrQuotaExceeded) {
		f.mu.Lock()
		if f.failure == nil {
			f.failure = err
		}
		f.mu.Unlock()
	}
	return osErr(op, name, err)
}

// Failure returns the first storage-unavailable or quota error of the
// request, if any.
func (f *FS) Failure() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failure
}

// quota returns the bytes used and still available (-1: unknown): from the
// user's DocuVault quota when one is set, else from the storage's own
// numbers (a drive's quota, see spaceCache), else DocuVault's count
// of used bytes with nothing known available.
func (f *FS) quota(ctx context.Context) (used, available int64) {
	if a := f.user.Available(); a >= 0 {
		return f.user.UsedBytes, a
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.spaceLoaded {
		f.spaceLoaded = true
		f.spaceUsed, f.spaceAvail = f.spaces.get(ctx, f.user.ID, f.backend)
	}
	if f.spaceAvail >= 0 {
		return f.spaceUsed, f.spaceAvail
	}
	return f.user.UsedBytes, -1
}

// activeLocks returns the user's unexpired locks, loaded once per request.
func (f *FS) activeLocks(ctx context.Context) ([]store.Lock, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.locksLoaded {
		return f.locks, nil
	}
	ls, err := f.store.Locks(ctx, f.user.ID, time.Now())
	if err != nil {
		return nil, err
	}
	f.locks, f.locksLoaded = ls, true
	return ls, nil
}

// deadProps returns the stored properties of name, loading a whole listed
// folder's properties in one query.
func (f *FS) deadProps(ctx context.Context, name string) ([]store.Prop, error) {
	dir := path.Dir(name)
	f.mu.Lock()
	if f.propsLoaded[dir] && name != "/" {
		p := f.props[name]
		f.mu.Unlock()
		return p, nil
	}
	listed := f.listed[dir] && name != "/"
	f.mu.Unlock()
	if !listed {
		return f.store.Props(ctx, f.user.ID, name)
	}
	m, err := f.store.PropsIn(ctx, f.user.ID, dir)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.props == nil {
		f.props, f.propsLoaded = map[string][]store.Prop{}, map[string]bool{}
	}
	for k, v := range m {
		f.props[k] = v
	}
	f.propsLoaded[dir] = true
	f.mu.Unlock()
	return m[name], nil
}
