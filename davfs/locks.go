package davfs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"github.com/docuvault/docuvault/store"
)

// LockSystem is a webdav.LockSystem over the database, bound to one user
// and one request. Tokens of another user are unknown to it. Because the
// state lives in the database, every replica sees every lock. A lock is gone
// for every method once the now it is given reaches the lock's expiry.
// davfs/locktest states the whole contract.
type LockSystem struct {
	ctx context.Context
	fs  *FS
}

var _ webdav.LockSystem = (*LockSystem)(nil)

// NewLockSystem binds the lock system to fs's user and the request context.
func NewLockSystem(ctx context.Context, fs *FS) *LockSystem {
	return &LockSystem{ctx: ctx, fs: fs}
}

// newToken returns a fresh opaque lock token URI.
func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// locksAt returns the user's locks unexpired at now. The request's cache
// holds the locks unexpired when it was loaded; a later now drops more.
func (ls *LockSystem) locksAt(now time.Time) ([]store.Lock, error) {
	all, err := ls.fs.activeLocks(ls.ctx)
	if err != nil {
		return nil, err
	}
	var out []store.Lock
	for _, l := range all {
		if l.Expires.IsZero() || l.Expires.After(now) {
			out = append(out, l)
		}
	}
	return out, nil
}

// condTrue evaluates one If-header condition against resource name. A
// condition with neither a token nor an ETag never holds, even negated.
func (ls *LockSystem) condTrue(now time.Time, name string, c webdav.Condition) (bool, error) {
	var v bool
	switch {
	case c.Token != "":
		locks, err := ls.locksAt(now)
		if err != nil {
			return false, err
		}
		for _, l := range locks {
			if l.Token == c.Token && l.Covers(name) {
				v = true
			}
		}
	case c.ETag != "":
		fi, err := ls.fs.stat(ls.ctx, name)
		v = err == nil && etag(fi) == c.ETag
	default:
		return false, nil
	}
	return v != c.Not, nil
}

// listTrue reports whether every condition of one list holds for name now.
func (ls *LockSystem) listTrue(name string, conds []webdav.Condition) (bool, error) {
	return ls.listTrueAt(time.Now(), name, conds)
}

func (ls *LockSystem) listTrueAt(now time.Time, name string, conds []webdav.Condition) (bool, error) {
	for _, c := range conds {
		ok, err := ls.condTrue(now, name, c)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// Confirm implements webdav.LockSystem: the condition list (one list of the
// If header) must hold for the resource it applies to. That no lock blocks
// the request is checked before webdav.Handler runs (see Handler.allowed).
func (ls *LockSystem) Confirm(now time.Time, name0, name1 string, conditions ...webdav.Condition) (func(), error) {
	name := name0
	if name == "" {
		name = name1
	}
	n, err := cleanName(name)
	if err != nil {
		return nil, webdav.ErrConfirmationFailed
	}
	ok, err := ls.listTrueAt(now, n, conditions)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, webdav.ErrConfirmationFailed
	}
	return func() {}, nil
}

// requestTokenPrefix marks the tokens of webdav.Handler's per-request locks.
const requestTokenPrefix = "urn:docuvault:request:"

// Create implements webdav.LockSystem. davfs serves LOCK itself, so the
// only caller is webdav.Handler taking its per-request lock (infinite
// duration) for a write without an If header. Such a lock is checked
// against the stored locks but not stored: it lives as long as the request,
// and a crash cannot leave it behind.
func (ls *LockSystem) Create(now time.Time, d webdav.LockDetails) (string, error) {
	root, err := cleanName(d.Root)
	if err != nil {
		return "", err
	}
	want := store.Lock{Root: root, ZeroDepth: d.ZeroDepth}
	if d.Duration >= 0 {
		l, err := ls.create(now, want, d.OwnerXML, d.Duration)
		return l.Token, err
	}
	locks, err := ls.locksAt(now)
	if err != nil {
		return "", err
	}
	for _, l := range locks {
		if l.Conflicts(want) {
			return "", webdav.ErrLocked
		}
	}
	return requestTokenPrefix + newToken(), nil
}

// create stores a new lock, or returns webdav.ErrLocked on a conflict.
func (ls *LockSystem) create(now time.Time, l store.Lock, owner string, timeout time.Duration) (store.Lock, error) {
	l.Token, l.UserID, l.OwnerXML, l.Timeout, l.Expires = newToken(), ls.fs.user.ID, owner, timeout, now.Add(timeout)
	err := ls.fs.store.CreateLock(ls.ctx, l, now)
	ls.fs.forget()
	if errors.Is(err, store.ErrLocked) {
		return store.Lock{}, webdav.ErrLocked
	}
	return l, err
}

// Refresh implements webdav.LockSystem.
func (ls *LockSystem) Refresh(now time.Time, token string, d time.Duration) (webdav.LockDetails, error) {
	l, err := ls.refresh(now, token, d)
	if err != nil {
		return webdav.LockDetails{}, err
	}
	return webdav.LockDetails{Root: l.Root, Duration: l.Timeout, OwnerXML: l.OwnerXML, ZeroDepth: l.ZeroDepth}, nil
}

func (ls *LockSystem) refresh(now time.Time, token string, d time.Duration) (store.Lock, error) {
	l, err := ls.fs.store.RefreshLock(ls.ctx, ls.fs.user.ID, token, d, now)
	ls.fs.forget()
	if errors.Is(err, store.ErrNotFound) {
		return store.Lock{}, webdav.ErrNoSuchLock
	}
	return l, err
}

// Unlock implements webdav.LockSystem.
func (ls *LockSystem) Unlock(now time.Time, token string) error {
	if strings.HasPrefix(token, requestTokenPrefix) {
		return nil
	}
	err := ls.fs.store.DeleteLock(ls.ctx, ls.fs.user.ID, token, now)
	ls.fs.forget()
	if errors.Is(err, store.ErrNotFound) {
		return webdav.ErrNoSuchLock
	}
	return err
}
