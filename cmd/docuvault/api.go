package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/docuvault/docuvault/api"
	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
)

// apiHandler builds the JSON API. It shares basic's failure limiter, so
// guesses on WebDAV and on the API count together, and the opener's
// keyring, which seals TOTP secrets; it gives basic its token verifier, so
// WebDAV accepts the web UI's access tokens.
func (e env) apiHandler(c *config, st *store.Store, hasher *auth.Hasher, basic *auth.Basic, opener *storage.Opener, log *slog.Logger) (http.Handler, error) {
	key, source, err := auth.SigningKey(e.getenv, opener.Keys)
	if err != nil {
		return nil, err
	}
	if opener.Keys == nil && e.getenv(auth.EnvJWTKey) == "" {
		log.Warn("access tokens are signed with a " + source)
	} else {
		log.Info("access tokens are signed with a key " + source)
	}
	if basic.Limiter == nil {
		basic.Limiter = auth.NewLimiter()
	}
	a, err := api.New(api.Config{
		Store: st, Hasher: hasher, SigningKey: key, Limiter: basic.Limiter, Keys: opener.Keys, Storage: opener, Logger: log,
		// As `docuvault user delete`: the home folder on local disk goes too.
		DeleteUserData: func(_ context.Context, u store.User) error {
			opener.Forget(u.ID)
			return os.RemoveAll(filepath.Join(c.DataDir, "files", strconv.FormatInt(u.ID, 10)))
		},
	})
	if err != nil {
		return nil, err
	}
	basic.Bearer = a.Bearer()
	return a, nil
}
