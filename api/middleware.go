package api

import (
	"errors"
	"net/http"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
)

// caller is the signed-in user of a request and its access token.
type caller struct {
	User   store.User
	Claims auth.Claims
}

// authenticate checks the bearer access token (see auth.Bearer).
func (a *API) authenticate(r *http.Request) (*caller, error) {
	tok, ok := auth.BearerToken(r)
	if !ok || tok == "" {
		return nil, errUnauthorized
	}
	u, claims, err := a.bearer.Verify(r.Context(), tok)
	if errors.Is(err, auth.ErrBadToken) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	return &caller{User: u, Claims: claims}, nil
}
