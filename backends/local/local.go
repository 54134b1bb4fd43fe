// Package local stores files on the local disk below one directory.
//
// Every access goes through an os.Root, so neither ".." nor a symbolic link
// planted in the directory can reach outside it. Symbolic links are not
// listed. Uploads are written to a hidden temporary file next to the target,
// synced, then renamed over it.
package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/docuvault/docuvault/backends"
)

// TempPrefix starts the names of in-flight uploads; such names are hidden
// from listings and davfs refuses them as user file names.
const TempPrefix = ".docuvault-upload-"

// Store is a backend rooted at one directory.
type Store struct {
	root *os.Root
}

var _ backends.Backend = (*Store)(nil)
var _ backends.Mover = (*Store)(nil)
var _ backends.RemoveAller = (*Store)(nil)
var _ backends.Toucher = (*Store)(nil)

// New opens (creating if needed) dir as a backend root.
func New(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local: create root: %w", err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("local: open root: %w", err)
	}
	return &Store{root: r}, nil
}

// Close releases the root directory handle.
func (s *Store) Close() error { return s.root.Close() }

// rel turns a cleaned absolute name into a root-relative one.
func rel(name string) string {
	n := strings.TrimPrefix(path.Clean("/"+name), "/")
	if n == "" {
		return "."
	}
	return n
}

// wrap hides the host path: errors carry only the user-visible name.
func wrap(op, name string, err error) error {
	var kind error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		kind = fs.ErrNotExist
	case errors.Is(err, fs.ErrExist):
		kind = fs.ErrExist
	case errors.Is(err, fs.ErrPermission):
		kind = fs.ErrPermission
	case isNotDir(err) || isNameTooLong(err):
		kind = fs.ErrInvalid
	case isNotEmpty(err):
		kind = fs.ErrExist
	case escapes(err):
		kind = fs.ErrNotExist // a symbolic link leading out: shown as absent
	default:
		return fmt.Errorf("local: %s %q: %w", op, name, stripPath(err))
	}
	return fmt.Errorf("local: %s %q: %w", op, name, kind)
}

// stripPath drops the host path that os errors carry.
func stripPath(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

func info(name string, fi fs.FileInfo) backends.FileInfo {
	out := backends.FileInfo{Name: fi.Name(), ModTime: fi.ModTime(), IsDir: fi.IsDir()}
	if name == "/" || name == "" {
		out.Name = "/"
	}
	if !out.IsDir {
		out.Size = fi.Size()
	}
	return out
}

func (s *Store) Stat(ctx context.Context, name string) (backends.FileInfo, error) {
	fi, err := s.root.Lstat(rel(name))
	if err != nil {
		return backends.FileInfo{}, wrap("stat", name, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 || !(fi.Mode().IsRegular() || fi.IsDir()) {
		return backends.FileInfo{}, wrap("stat", name, fs.ErrNotExist)
	}
	return info(name, fi), nil
}

func (s *Store) List(ctx context.Context, dir string) ([]backends.FileInfo, error) {
	f, err := s.root.Open(rel(dir))
	if err != nil {
		return nil, wrap("list", dir, err)
	}
	defer f.Close()
	var out []backends.FileInfo
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ents, err := f.ReadDir(1024)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), TempPrefix) || !(e.Type().IsRegular() || e.IsDir()) {
				continue
			}
			fi, ierr := e.Info()
			if ierr != nil {
				continue // removed while listing
			}
			out = append(out, info(e.Name(), fi))
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, wrap("list", dir, err)
		}
	}
}

func (s *Store) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	fi, err := s.Stat(ctx, name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir {
		return nil, fmt.Errorf("local: open %q: is a directory: %w", name, fs.ErrInvalid)
	}
	f, err := s.root.Open(rel(name))
	if err != nil {
		return nil, wrap("open", name, err)
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, wrap("seek", name, err)
		}
	}
	var r io.Reader = f
	if length >= 0 {
		r = io.LimitReader(f, length)
	}
	return &reader{r: r, f: f, name: name}, nil
}

// reader keeps the host path that *os.File errors carry out of read and
// close errors.
type reader struct {
	r    io.Reader
	f    *os.File
	name string
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = wrap("read", r.name, err)
	}
	return n, err
}

func (r *reader) Close() error {
	if err := r.f.Close(); err != nil {
		return wrap("close", r.name, err)
	}
	return nil
}

func (s *Store) Put(ctx context.Context, name string, r io.Reader, size int64) (backends.FileInfo, error) {
	target := rel(name)
	if target == "." {
		return backends.FileInfo{}, fmt.Errorf("local: put %q: %w", name, fs.ErrInvalid)
	}
	if fi, err := s.root.Lstat(target); err == nil && fi.IsDir() {
		return backends.FileInfo{}, fmt.Errorf("local: put %q: is a directory: %w", name, fs.ErrInvalid)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := path.Join(path.Dir(target), TempPrefix+hex.EncodeToString(rnd[:]))
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return backends.FileInfo{}, wrap("put", name, err)
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			s.root.Remove(tmp)
		}
	}()
	src := &bodyReader{ctx: ctx, r: r}
	n, err := io.Copy(f, src)
	if src.err != nil {
		return backends.FileInfo{}, fmt.Errorf("local: put %q: %w", name, src.err)
	}
	if err != nil {
		return backends.FileInfo{}, wrap("put", name, err) // a write error names the host path
	}
	if size >= 0 && n != size {
		return backends.FileInfo{}, fmt.Errorf("local: put %q: got %d of %d bytes: %w", name, n, size, io.ErrUnexpectedEOF)
	}
	if err := f.Sync(); err != nil {
		return backends.FileInfo{}, wrap("put", name, err)
	}
	if err := f.Close(); err != nil {
		return backends.FileInfo{}, wrap("put", name, err)
	}
	if err := ctx.Err(); err != nil {
		return backends.FileInfo{}, err
	}
	if err := s.root.Rename(tmp, target); err != nil {
		return backends.FileInfo{}, wrap("put", name, err)
	}
	committed = true
	// Make the rename itself durable: a reply means the file survives a crash.
	if d, err := s.root.Open(path.Dir(target)); err == nil {
		d.Sync()
		d.Close()
	}
	return s.Stat(ctx, name)
}

// bodyReader stops a copy once ctx is done and remembers the body's own
// error, telling it apart from a failure to write.
type bodyReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err = b.ctx.Err(); b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (s *Store) Delete(ctx context.Context, name string) error {
	if rel(name) == "." {
		return fmt.Errorf("local: delete root: %w", fs.ErrPermission)
	}
	if err := s.root.Remove(rel(name)); err != nil {
		return wrap("delete", name, err)
	}
	return nil
}

func (s *Store) Mkdir(ctx context.Context, name string) error {
	if err := s.root.Mkdir(rel(name), 0o700); err != nil {
		return wrap("mkdir", name, err)
	}
	return nil
}

func (s *Store) Move(ctx context.Context, src, dst string) error {
	if rel(src) == "." || rel(dst) == "." {
		return fmt.Errorf("local: move root: %w", fs.ErrPermission)
	}
	if _, err := s.Stat(ctx, src); err != nil {
		return err
	}
	if err := s.root.Rename(rel(src), rel(dst)); err != nil {
		return wrap("move", src, err)
	}
	return nil
}

func (s *Store) RemoveAll(ctx context.Context, name string) error {
	if rel(name) == "." {
		return fmt.Errorf("local: remove root: %w", fs.ErrPermission)
	}
	if _, err := s.Stat(ctx, name); err != nil {
		return err
	}
	// An upload landing in the folder meanwhile leaves it not empty; its
	// temporary file is gone on the next pass.
	var err error
	for range 5 {
		if err = s.root.RemoveAll(rel(name)); err == nil || !isNotEmpty(err) {
			break
		}
	}
	if err != nil {
		return wrap("remove", name, err)
	}
	return nil
}

func (s *Store) Touch(ctx context.Context, name string, mtime time.Time) error {
	if _, err := s.Stat(ctx, name); err != nil {
		return err
	}
	if err := s.root.Chtimes(rel(name), mtime, mtime); err != nil {
		return wrap("touch", name, err)
	}
	return nil
}
