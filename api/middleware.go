package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
)

// caller is the signed-in user of a request and its access token.
type caller struct {
	User   store.User
	Claims auth.Claims
}

// authenticate checks the bearer access token: signature, expiry, that
// neither it nor its session is revoked, and that the user still exists,
// is enabled and has not changed password since it was issued.
func (a *API) authenticate(r *http.Request) (*caller, error) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, errUnauthorized
	}
	claims, err := a.tokens.ParseAccess(strings.TrimSpace(tok))
	if err != nil {
		return nil, errInvalidToken
	}
	ctx := r.Context()
	revoked, err := a.st.Revoked(ctx, a.now(), claims.ID, claims.Session)
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, errInvalidToken
	}
	u, err := a.st.UserByID(ctx, claims.UserID())
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled || u.AuthVersion != claims.AuthVersion {
		return nil, errInvalidToken
	}
	return &caller{User: u, Claims: claims}, nil
}
