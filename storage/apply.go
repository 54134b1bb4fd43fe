package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/store"
)

// CheckTimeout bounds Apply's connectivity check.
const CheckTimeout = 30 * time.Second

var (
	// ErrNotCounted wraps a recount failure after a change was saved (some
	// storage of the user cannot be reached): the change stands, the usage
	// is stale until the next recount.
	ErrNotCounted = errors.New("saved, but the usage could not be counted now")
	// ErrNotRevoked wraps a failure to revoke the OAuth token of a storage
	// that was removed or replaced by another kind: the change stands, the
	// token is deleted here but may stay valid at the provider until it
	// expires or the user removes the app's access there.
	ErrNotRevoked = errors.New("saved, but the provider could not be told to revoke the old token")
	// ErrHome refuses to remove the home storage.
	ErrHome = errors.New("the home storage (/) cannot be removed; set it to another kind instead")
)

// InvalidError is a spec or mount that Validate refused; nothing was saved.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// CheckError means the storage could not be opened or listed; nothing was saved.
type CheckError struct {
	Kind string
	Err  error
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("cannot use that %s storage (nothing saved): %v", e.Kind, e.Err)
}
func (e *CheckError) Unwrap() error { return e.Err }

// Apply makes spec the storage at mount of user u, as both `docuvault
// storage` and the API do: validate (*InvalidError), refuse a secret without
// an encryption key (secret.ErrNoKey), with check open it and list its root
// within CheckTimeout (*CheckError), seal its secret, save it and recount
// u's usage (ErrNotCounted, after saving). A spec without its secret keeps
// the one stored at mount when kind, endpoint, url, username and access_key
// are unchanged, so a stored secret never goes to another server. An OAuth
// storage replaced by another kind has its token revoked (ErrNotRevoked
// if that fails, after saving).
func Apply(ctx context.Context, st *store.Store, op *Opener, u store.User, mount string, spec Spec, check bool) error {
	if err := keepSecret(ctx, st, op.Keys, u.ID, mount, &spec); err != nil {
		return err
	}
	if err := spec.Validate(mount); err != nil {
		return &InvalidError{err}
	}
	if len(spec.Secrets) > 0 && op.Keys == nil {
		return secret.ErrNoKey
	}
	if check {
		if err := op.check(ctx, u.ID, spec); err != nil {
			return &CheckError{Kind: spec.Kind, Err: err}
		}
	}
	row, err := Row(u.ID, mount, spec, op.Keys)
	if err != nil {
		return err
	}
	old, err := storageAt(ctx, st, u.ID, mount)
	if err != nil {
		return err
	}
	if err := st.PutStorage(ctx, row); err != nil {
		return err
	}
	var revoked error
	if old != nil && old.Kind != spec.Kind {
		revoked = revokeAfter(ctx, op, *old)
	}
	return errors.Join(recountAfter(ctx, st, op, u), revoked)
}

// storageAt returns the row at mount, or nil.
func storageAt(ctx context.Context, st *store.Store, userID int64, mount string) (*store.Storage, error) {
	rows, err := st.Storages(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Mount == mount {
			return &r, nil
		}
	}
	return nil, nil
}

// revokeAfter revokes the token of an OAuth storage row just dropped.
func revokeAfter(ctx context.Context, op *Opener, old store.Storage) error {
	if err := op.revokeDropped(ctx, old); err != nil {
		return fmt.Errorf("%w: %w", ErrNotRevoked, err)
	}
	return nil
}

// Remove unmounts the storage at mount ("/Name") of user u, revokes its
// OAuth token if it has one, and recounts u's usage; its files stay where
// they are. It returns ErrHome for "/", *InvalidError for a malformed
// mount, store.ErrNotFound, or after removing ErrNotCounted and
// ErrNotRevoked.
func Remove(ctx context.Context, st *store.Store, op *Opener, u store.User, mount string) error {
	switch {
	case mount == "/":
		return ErrHome
	case !ValidMount(mount):
		return &InvalidError{fmt.Errorf("mount: want one top-level folder such as /Work, not %q", mount)}
	}
	old, err := storageAt(ctx, st, u.ID, mount)
	if err != nil {
		return err
	}
	if err := st.DeleteStorage(ctx, u.ID, mount); err != nil {
		return err
	}
	var revoked error
	if old != nil {
		revoked = revokeAfter(ctx, op, *old)
	}
	return errors.Join(recountAfter(ctx, st, op, u), revoked)
}

// Recount sets u's usage to what their whole namespace holds now.
func Recount(ctx context.Context, st *store.Store, op *Opener, u store.User) (int64, error) {
	b, err := op.For(ctx, u)
	if err != nil {
		return 0, err
	}
	n, err := backends.TreeSize(ctx, b, "/")
	if err != nil {
		return 0, fmt.Errorf("counting the files of %q: %w", u.Username, err)
	}
	return n, st.SetUsage(ctx, u.ID, n)
}

// recountAfter recounts after a saved change, which this process sees at
// once (the cache key has millisecond resolution).
func recountAfter(ctx context.Context, st *store.Store, op *Opener, u store.User) error {
	op.Forget(u.ID)
	if _, err := Recount(ctx, st, op, u); err != nil {
		return fmt.Errorf("%w: %w", ErrNotCounted, err)
	}
	return nil
}

// check opens spec and lists its root within CheckTimeout.
func (o *Opener) check(ctx context.Context, userID int64, spec Spec) error {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	b, err := o.OpenSpec(ctx, userID, spec)
	if err != nil {
		return err
	}
	if c, ok := b.(io.Closer); ok {
		defer c.Close()
	}
	_, err = b.List(ctx, "/")
	return err
}

// keepSecret fills a missing secret of spec from the row stored at mount
// when it points at the same account on the same server. A row whose
// secret cannot be opened is ignored: Validate then asks for the secret.
func keepSecret(ctx context.Context, st *store.Store, keys *secret.Keyring, userID int64, mount string, spec *Spec) error {
	f := SecretField(spec.Kind)
	if f == "" || spec.Secrets[f] != "" {
		return nil
	}
	rows, err := st.Storages(ctx, userID)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Mount != mount || r.Kind != spec.Kind || r.Secrets == "" {
			continue
		}
		old, err := SpecOf(r, keys)
		if err != nil || old.Endpoint != spec.Endpoint || old.URL != spec.URL ||
			old.Username != spec.Username || old.AccessKey != spec.AccessKey {
			return nil
		}
		if spec.Secrets == nil {
			spec.Secrets = map[string]string{}
		}
		spec.Secrets[f] = old.Secrets[f]
	}
	return nil
}
