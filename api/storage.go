package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
)

// The storage endpoints: where a user's files live. Changes go through
// storage.Apply and storage.Remove, as `docuvault storage` does.

var errNoStorageKey = errorf(http.StatusServiceUnavailable, "no_encryption_key",
	"the server has no encryption key to protect storage credentials; an administrator must set %s "+
		"(32 random bytes in base64, e.g. `openssl rand -base64 32`) and restart", secret.EnvKey)

// storageInput is the body of PUT /storage and /admin/users/{id}/storage.
type storageInput struct {
	Mount     string `json:"mount"`
	Kind      string `json:"kind"`
	Dir       string `json:"dir"`
	Endpoint  string `json:"endpoint"`
	Region    string `json:"region"`
	Bucket    string `json:"bucket"`
	Prefix    string `json:"prefix"`
	AccessKey string `json:"access_key"`
	TLS       bool   `json:"tls"`
	URL       string `json:"url"`
	Username  string `json:"username"`
	Nextcloud bool   `json:"nextcloud"`
	Secret    string `json:"secret"` // s3: the secret key; webdav: the password
}

func (in storageInput) spec() (storage.Spec, error) {
	s := storage.Spec{Kind: in.Kind, Dir: in.Dir, Endpoint: in.Endpoint, Region: in.Region, Bucket: in.Bucket,
		Prefix: in.Prefix, AccessKey: in.AccessKey, UseTLS: in.TLS, URL: in.URL, Username: in.Username, Nextcloud: in.Nextcloud}
	if in.Secret != "" {
		f := storage.SecretField(in.Kind)
		if f == "" {
			return s, invalid("secret: %q storage takes no secret", in.Kind)
		}
		s.Secrets = map[string]string{f: in.Secret}
	}
	return s, nil
}

func (a *API) getStorage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return a.writeStorages(w, r.Context(), c.User.ID)
}

func (a *API) putStorage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return a.putStorageOf(w, r, c, c.User)
}

func (a *API) deleteStorage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return a.deleteStorageOf(w, r, c, c.User)
}

func (a *API) adminGetStorage(w http.ResponseWriter, r *http.Request, _ *caller) error {
	u, err := a.pathUser(r)
	if err != nil {
		return err
	}
	return a.writeStorages(w, r.Context(), u.ID)
}

func (a *API) adminPutStorage(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := a.pathUser(r)
	if err != nil {
		return err
	}
	return a.putStorageOf(w, r, c, u)
}

func (a *API) adminDeleteStorage(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := a.pathUser(r)
	if err != nil {
		return err
	}
	return a.deleteStorageOf(w, r, c, u)
}

// putStorageOf applies the body to u's storage on behalf of c. Only an
// administrator may name a folder on the server's disk.
func (a *API) putStorageOf(w http.ResponseWriter, r *http.Request, c *caller, u store.User) error {
	var in storageInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	spec, err := in.spec()
	if err != nil {
		return err
	}
	if storage.IsOAuth(in.Kind) {
		return invalid("kind: %s storage is connected by its owner with POST %s/storage/%s/connect", in.Kind, Prefix, in.Kind)
	}
	if in.Kind == storage.Local && in.Dir != "" && !c.User.IsAdmin {
		return errorf(http.StatusForbidden, "forbidden",
			"dir: only an administrator may put files in a folder of the server; leave dir empty for the default local storage")
	}
	ctx := r.Context()
	if err := a.storageError(ctx, u, storage.Apply(ctx, a.st, a.storage, u, in.Mount, spec, true)); err != nil {
		return err
	}
	a.auditStorage(r, c, u, evStorageChanged, evAdminStorageChanged, fmt.Sprintf("mount %s, kind %s", in.Mount, in.Kind))
	return a.writeStorages(w, ctx, u.ID)
}

func (a *API) deleteStorageOf(w http.ResponseWriter, r *http.Request, c *caller, u store.User) error {
	mount := r.URL.Query().Get("mount")
	if mount == "" {
		return invalid("mount: name the storage to remove, e.g. ?mount=/Work")
	}
	ctx := r.Context()
	err := storage.Remove(ctx, a.st, a.storage, u, mount)
	switch {
	case errors.Is(err, storage.ErrHome):
		return invalid("mount: %s", err)
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusNotFound, "not_found", "nothing is mounted at %s", mount)
	}
	if err := a.storageError(ctx, u, err); err != nil {
		return err
	}
	a.auditStorage(r, c, u, evStorageRemoved, evAdminStorageRemoved, "mount "+mount)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// storageError turns an error of storage.Apply or Remove into an answer;
// a change that is saved but not recounted is logged and succeeds.
func (a *API) storageError(ctx context.Context, u store.User, err error) error {
	var inv *storage.InvalidError
	var ce *storage.CheckError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotCounted), errors.Is(err, storage.ErrNotRevoked):
		a.log.WarnContext(ctx, "storage changed", "user", u.ID, "err", err)
		return nil
	case errors.As(err, &inv):
		return invalid("%s", strings.ReplaceAll(inv.Error(), "\n", "; "))
	case errors.Is(err, secret.ErrNoKey):
		return errNoStorageKey
	case errors.As(err, &ce):
		return errorf(http.StatusBadGateway, "storage_unreachable", "%s", ce)
	}
	return err
}

// auditStorage records a storage change of u: as event, or as the
// administrator's adminEvent when c changed another user's storage.
func (a *API) auditStorage(r *http.Request, c *caller, u store.User, event, adminEvent, detail string) {
	if c.User.ID != u.ID {
		a.audit(r, c.User, adminEvent, fmt.Sprintf("user %d %q: %s", u.ID, u.Username, detail))
		return
	}
	a.audit(r, u, event, detail)
}

// writeStorages answers the storages of user id, the home always first
// (the default local one when no row names it), with a fresh usage.
func (a *API) writeStorages(w http.ResponseWriter, ctx context.Context, id int64) error {
	u, err := a.st.UserByID(ctx, id)
	if err != nil {
		return err
	}
	rows, err := a.st.Storages(ctx, id)
	if err != nil {
		return err
	}
	out := storagesView{Storages: []storageConfigView{viewStorageConfig("/", storage.Spec{Kind: storage.Local}, false)},
		UsedBytes: u.UsedBytes, QuotaBytes: u.QuotaBytes}
	for _, row := range rows {
		spec, err := storage.ConfigOf(row)
		if err != nil {
			return err
		}
		v := viewStorageConfig(row.Mount, spec, row.Secrets != "")
		if row.Mount == "/" {
			out.Storages[0] = v
		} else {
			out.Storages = append(out.Storages, v)
		}
	}
	a.addSpace(ctx, u, out.Storages)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// spaceTimeout bounds each storage's answer to how much space it has.
const spaceTimeout = 5 * time.Second

// addSpace sets the space of each storage of u whose backend reports one,
// asking them all at once. A storage that cannot tell (unsupported,
// unreachable, unknown available bytes) is left without.
func (a *API) addSpace(ctx context.Context, u store.User, views []storageConfigView) {
	parts, err := a.storage.Parts(ctx, u)
	if err != nil {
		a.log.WarnContext(ctx, "storage space", "user", u.ID, "err", err)
		return
	}
	var wg sync.WaitGroup
	for i := range views {
		sr, ok := parts[views[i].Mount].(backends.SpaceReporter)
		if !ok {
			continue
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, spaceTimeout)
			defer cancel()
			used, avail, err := sr.Space(ctx)
			if err != nil {
				if !errors.Is(err, errors.ErrUnsupported) {
					a.log.WarnContext(ctx, "storage space", "user", u.ID, "mount", views[i].Mount, "err", err)
				}
				return
			}
			if avail >= 0 && used >= 0 {
				views[i].Space = &spaceView{Used: used, Available: avail}
			}
		})
	}
	wg.Wait()
}
