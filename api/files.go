package api

import (
	"errors"
	"io/fs"
	"net/http"
	"time"

	"github.com/docuvault/docuvault/backends"
)

// PresignExpiry is how long a download URL works.
const PresignExpiry = 5 * time.Minute

var errNotSupported = errorf(http.StatusNotFound, "not_supported",
	"the storage holding this file cannot hand out download links; download it through WebDAV")

// downloadURL answers {"url"}: a presigned URL of a file, valid for
// PresignExpiry, when the storage holding it can make one (s3). Otherwise
// 404 not_supported, and the UI downloads through WebDAV. The path is
// cleaned into the caller's own namespace; app-password scopes do not
// apply (this API takes only session tokens).
func (a *API) downloadURL(w http.ResponseWriter, r *http.Request, c *caller) error {
	name, err := cleanFilePath(r.URL.Query().Get("path"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	b, err := a.storage.For(ctx, c.User)
	if err != nil {
		return storageFailure(err)
	}
	p, ok := b.(backends.Presigner)
	if !ok {
		return errNotSupported
	}
	fi, err := b.Stat(ctx, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errorf(http.StatusNotFound, "not_found", "no such file: %s", name)
	case err != nil:
		return storageFailure(err)
	case fi.IsDir:
		return invalid("path: %s is a folder, not a file", name)
	}
	u, err := p.PresignGet(ctx, name, PresignExpiry)
	if errors.Is(err, errors.ErrUnsupported) {
		return errNotSupported
	}
	if err != nil {
		return storageFailure(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": u.String()})
	return nil
}

// storageFailure answers a storage that cannot be reached now with 502;
// anything else stays an internal error.
func storageFailure(err error) error {
	if errors.Is(err, backends.ErrUnavailable) {
		return errorf(http.StatusBadGateway, "storage_unreachable", "the storage holding that file cannot be reached now; try again later")
	}
	return err
}
