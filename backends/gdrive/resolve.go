package gdrive

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"
)

// dirEntry is a cached folder id.
type dirEntry struct {
	id      string
	expires time.Time
}

// lookup returns the entry at name (the root folder for "/").
func (s *Store) lookup(ctx context.Context, name string) (*file, error) {
	if name == "/" {
		var f file
		u := s.api + "/files/" + url.PathEscape(s.root) + "?fields=" + fileFields
		if err := s.jsonCall(ctx, "GET", u, nil, &f); err != nil {
			return nil, err
		}
		if !f.isDir() {
			return nil, fmt.Errorf("the root is no folder: %w", fs.ErrInvalid)
		}
		return &f, nil
	}
	pid, err := s.dirID(ctx, path.Dir(name))
	if err != nil {
		return nil, err
	}
	f, err := s.child(ctx, pid, path.Base(name))
	if err == nil && f == nil {
		err = fs.ErrNotExist
	}
	return f, err
}

// dirID returns the id of folder dir, from the cache when fresh.
func (s *Store) dirID(ctx context.Context, dir string) (string, error) {
	if dir == "/" {
		return s.root, nil
	}
	if id, ok := s.cached(dir); ok {
		return id, nil
	}
	pid, err := s.dirID(ctx, path.Dir(dir))
	if err != nil {
		return "", err
	}
	f, err := s.child(ctx, pid, path.Base(dir))
	switch {
	case err != nil:
		return "", err
	case f == nil:
		return "", fmt.Errorf("no folder %q: %w", dir, fs.ErrNotExist)
	case !f.isDir():
		return "", fmt.Errorf("%q is a file: %w", dir, fs.ErrNotExist)
	}
	s.remember(dir, f.ID)
	return f.ID, nil
}

// child returns the visible entry named name in folder pid, or nil.
func (s *Store) child(ctx context.Context, pid, name string) (*file, error) {
	m, err := s.children(ctx, pid, name)
	return m[name], err
}

// children returns the visible entries of folder pid by name, only those
// named name unless it is "". Of same-name siblings the oldest wins.
func (s *Store) children(ctx context.Context, pid, name string) (map[string]*file, error) {
	q := "'" + escape(pid) + "' in parents and trashed = false"
	if name != "" {
		q += " and name = '" + escape(name) + "'"
	}
	m := map[string]*file{}
	err := s.query(ctx, q, 0, func(f *file) bool {
		if !f.hidden() && addressable(f.Name) && (name == "" || f.Name == name) {
			if old := m[f.Name]; old == nil || older(f, old) {
				m[f.Name] = f
			}
		}
		return true
	})
	return m, err
}

// addressable reports names a path can reach: Drive also allows "/" in
// names, and ".", ".." or "" as names.
func addressable(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00")
}

// older orders same-name siblings: by createdTime, then id.
func older(a, b *file) bool {
	if !a.CreatedTime.Equal(b.CreatedTime) {
		return a.CreatedTime.Before(b.CreatedTime)
	}
	return a.ID < b.ID
}

func (s *Store) cached(dir string) (string, bool) {
	if s.ttl < 0 {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.dirs[dir]
	if !ok || !s.now().Before(e.expires) {
		delete(s.dirs, dir)
		return "", false
	}
	return e.id, true
}

func (s *Store) remember(dir, id string) {
	if s.ttl < 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dirs[dir] = dirEntry{id: id, expires: s.now().Add(s.ttl)}
}

// forget drops name and everything below it from the cache.
func (s *Store) forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for d := range s.dirs {
		if d == name || strings.HasPrefix(d, name+"/") {
			delete(s.dirs, d)
		}
	}
}

// nameLock serialises the writers of one name in one folder.
type nameLock struct {
	ch   chan struct{}
	refs int
}

// lockName waits until no other call of this Store writes name in folder
// pid, and returns the function that ends the turn.
func (s *Store) lockName(ctx context.Context, pid, name string) (func(), error) {
	key := pid + "/" + name
	s.mu.Lock()
	l := s.locks[key]
	if l == nil {
		l = &nameLock{ch: make(chan struct{}, 1)}
		s.locks[key] = l
	}
	l.refs++
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.locks, key)
		}
		s.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
