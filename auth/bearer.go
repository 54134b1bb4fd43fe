package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/docuvault/docuvault/store"
)

// Sessions is what Bearer needs from the store.
type Sessions interface {
	// Revoked reports whether any of ids (a token id, a session id) is revoked at now.
	Revoked(ctx context.Context, now time.Time, ids ...string) (bool, error)
	UserByID(ctx context.Context, id int64) (store.User, error)
}

// Bearer verifies the access tokens the JSON API issues, for the API and
// for WebDAV alike: signature, expiry, that neither the token nor its
// session is revoked, and that the user still exists, is enabled and has
// the AuthVersion the token was issued with. Safe for concurrent use.
type Bearer struct {
	Tokens *Tokens
	Store  Sessions
}

// Verify returns the user and claims of access token tok; ErrBadToken when
// the token is not (or no longer) valid, or a store error.
func (b *Bearer) Verify(ctx context.Context, tok string) (store.User, Claims, error) {
	claims, err := b.Tokens.ParseAccess(tok)
	if err != nil {
		return store.User{}, Claims{}, ErrBadToken
	}
	revoked, err := b.Store.Revoked(ctx, b.Tokens.now(), claims.ID, claims.Session)
	if err != nil {
		return store.User{}, Claims{}, err
	}
	if revoked {
		return store.User{}, Claims{}, ErrBadToken
	}
	u, err := b.Store.UserByID(ctx, claims.UserID())
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, Claims{}, ErrBadToken
	}
	if err != nil {
		return store.User{}, Claims{}, err
	}
	if u.Disabled || u.AuthVersion != claims.AuthVersion {
		return store.User{}, Claims{}, ErrBadToken
	}
	return u, claims, nil
}

// BearerToken returns the token of an "Authorization: Bearer …" header;
// ok is false when r carries another scheme or none.
func BearerToken(r *http.Request) (tok string, ok bool) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}
