// Package mount joins a user's home storage and extra storages mounted as
// top-level folders ("/Work" on S3 beside a local home) into one backend.
// Moves and copies across storages stream from one to the other.
package mount

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/docuvault/docuvault/backends"
)

// Store routes each name to the storage it lives on.
type Store struct {
	home   backends.Backend
	mounts map[string]backends.Backend // by top-level folder name
}

var (
	_ backends.Backend       = (*Store)(nil)
	_ backends.Mover         = (*Store)(nil)
	_ backends.RemoveAller   = (*Store)(nil)
	_ backends.Toucher       = (*Store)(nil)
	_ backends.SpaceReporter = (*Store)(nil)
	_ backends.Presigner     = (*Store)(nil)
	_ backends.TouchChecker  = (*Store)(nil)
)

// New mounts each backend of mounts at "/"+its key over home. A home entry
// with a mount's name is hidden.
func New(home backends.Backend, mounts map[string]backends.Backend) *Store {
	return &Store{home: home, mounts: mounts}
}

// route returns the backend holding name, the name within it, and the
// mount's folder name ("" for the home).
func (s *Store) route(name string) (backends.Backend, string, string) {
	first, rest, _ := strings.Cut(strings.TrimPrefix(name, "/"), "/")
	if b, ok := s.mounts[first]; ok && first != "" {
		return b, "/" + rest, first
	}
	return s.home, name, ""
}

// isMountPoint reports whether name is a mount's own folder.
func (s *Store) isMountPoint(name string) bool {
	_, inner, m := s.route(name)
	return m != "" && inner == "/"
}

func refuse(op, name string) error {
	return fmt.Errorf("mount: %s %q: a mounted storage's folder: %w", op, name, fs.ErrPermission)
}

func (s *Store) Stat(ctx context.Context, name string) (backends.FileInfo, error) {
	b, inner, m := s.route(name)
	fi, err := b.Stat(ctx, inner)
	if err == nil && m != "" && inner == "/" {
		fi.Name = m
	}
	return fi, err
}

func (s *Store) List(ctx context.Context, dir string) ([]backends.FileInfo, error) {
	b, inner, _ := s.route(dir)
	list, err := b.List(ctx, inner)
	if err != nil || dir != "/" || len(s.mounts) == 0 {
		return list, err
	}
	out := list[:0]
	for _, fi := range list {
		if _, shadowed := s.mounts[fi.Name]; !shadowed {
			out = append(out, fi)
		}
	}
	for name, mb := range s.mounts {
		fi, err := mb.Stat(ctx, "/")
		if err != nil {
			fi = backends.FileInfo{IsDir: true} // listed even while unreachable
		}
		fi.Name = name
		out = append(out, fi)
	}
	return out, nil
}

func (s *Store) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	b, inner, _ := s.route(name)
	return b.Open(ctx, inner, offset, length)
}

func (s *Store) Put(ctx context.Context, name string, r io.Reader, size int64) (backends.FileInfo, error) {
	if s.isMountPoint(name) {
		return backends.FileInfo{}, refuse("put", name)
	}
	b, inner, _ := s.route(name)
	return b.Put(ctx, inner, r, size)
}

func (s *Store) Delete(ctx context.Context, name string) error {
	if s.isMountPoint(name) {
		return refuse("delete", name)
	}
	b, inner, _ := s.route(name)
	return b.Delete(ctx, inner)
}

func (s *Store) Mkdir(ctx context.Context, name string) error {
	if s.isMountPoint(name) {
		return fmt.Errorf("mount: mkdir %q: %w", name, fs.ErrExist)
	}
	b, inner, _ := s.route(name)
	return b.Mkdir(ctx, inner)
}

func (s *Store) RemoveAll(ctx context.Context, name string) error {
	if s.isMountPoint(name) {
		return refuse("remove", name)
	}
	b, inner, _ := s.route(name)
	return backends.RemoveAll(ctx, b, inner)
}

// Move renames within one storage, and streams across two.
func (s *Store) Move(ctx context.Context, src, dst string) error {
	if s.isMountPoint(src) || s.isMountPoint(dst) {
		return refuse("move", src)
	}
	sb, sin, sm := s.route(src)
	db, din, dm := s.route(dst)
	if sm == dm {
		return backends.Move(ctx, sb, sin, din)
	}
	if fi, err := db.Stat(ctx, din); err == nil && fi.IsDir {
		return fmt.Errorf("mount: move %q: destination is a folder: %w", src, fs.ErrExist)
	}
	if err := backends.CopyTree(ctx, sb, sin, db, din); err != nil {
		return err
	}
	return backends.RemoveAll(ctx, sb, sin)
}

func (s *Store) Touch(ctx context.Context, name string, mtime time.Time) error {
	b, inner, _ := s.route(name)
	if t, ok := b.(backends.Toucher); ok {
		return t.Touch(ctx, inner, mtime)
	}
	return errors.ErrUnsupported
}

// CanTouch reports whether the storage holding name can set times.
func (s *Store) CanTouch(name string) bool {
	b, inner, _ := s.route(name)
	return backends.CanTouch(b, inner)
}

// Space reports nothing: one pair of numbers cannot describe storages with
// different quotas, and davfs would hold uploads to one against another's.
func (s *Store) Space(ctx context.Context) (int64, int64, error) {
	return 0, -1, errors.ErrUnsupported
}

func (s *Store) PresignGet(ctx context.Context, name string, expiry time.Duration) (*url.URL, error) {
	b, inner, _ := s.route(name)
	if p, ok := b.(backends.Presigner); ok {
		return p.PresignGet(ctx, inner, expiry)
	}
	return nil, errors.ErrUnsupported
}
