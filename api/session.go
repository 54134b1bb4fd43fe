package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
)

// The refresh token travels only in this cookie, which browsers send only
// to the refresh endpoint.
const (
	refreshCookie = "dv_refresh"
	refreshPath   = Prefix + "/auth/refresh"
)

func setRefreshCookie(w http.ResponseWriter, token string, maxAge time.Duration) {
	c := &http.Cookie{Name: refreshCookie, Value: token, Path: refreshPath, MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode}
	if maxAge <= 0 {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// startSession begins a refresh family for u and answers with an access
// token and the refresh cookie.
func (a *API) startSession(w http.ResponseWriter, r *http.Request, u store.User, status int) error {
	now := a.now()
	refresh := auth.NewToken()
	ss := store.Session{ID: auth.NewToken(), UserID: u.ID, AuthVersion: u.AuthVersion, CreatedAt: now,
		ExpiresAt: now.Add(auth.RefreshTTL), Addr: auth.ClientAddr(r), UserAgent: truncate(r.UserAgent(), 256)}
	if err := a.st.CreateSession(r.Context(), ss, auth.HashToken(refresh)); err != nil {
		return err
	}
	return a.answerTokens(w, u, ss.ID, refresh, status)
}

func (a *API) answerTokens(w http.ResponseWriter, u store.User, session, refresh string, status int) error {
	access, _, err := a.tokens.Access(u, session)
	if err != nil {
		return err
	}
	setRefreshCookie(w, refresh, auth.RefreshTTL)
	writeJSON(w, status, tokenView{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(auth.AccessTTL.Seconds()), User: viewUser(u)})
	return nil
}

// revokeUntil is how long a revoked session or token id must be
// remembered: until every access token it could cover has expired.
func (a *API) revokeUntil() time.Time { return a.now().Add(auth.AccessTTL + time.Minute) }

// sameOrigin is the CSRF check of the cookie-authenticated refresh: a
// custom header (which a cross-site form cannot send, and which a
// cross-site script may only send after a CORS preflight this server never
// grants) or an Origin naming this host; an Origin naming another host
// refuses the request even with the header.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
	}
	return r.Header.Get("X-Requested-With") != ""
}

// refresh rotates the refresh cookie and issues a new access token. A
// refresh token presented a second time means a copy exists: the whole
// family is revoked.
func (a *API) refresh(w http.ResponseWriter, r *http.Request) error {
	if !sameOrigin(r) {
		return errorf(http.StatusForbidden, "csrf", "send X-Requested-With (or a same-origin Origin) with this request")
	}
	ctx := r.Context()
	a.maybeCleanup(ctx)
	ck, err := r.Cookie(refreshCookie)
	if err != nil || ck.Value == "" {
		return errorf(http.StatusUnauthorized, "invalid_token", "no refresh cookie; sign in")
	}
	now := a.now()
	next := auth.NewToken()
	ss, err := a.st.RotateRefresh(ctx, auth.HashToken(ck.Value), auth.HashToken(next), now, now.Add(auth.RefreshTTL), auth.ClientAddr(r))
	switch {
	case errors.Is(err, store.ErrTokenReused):
		if err := a.st.RevokeSession(ctx, ss.ID, a.revokeUntil()); err != nil {
			return err
		}
		a.audit(r, a.userOrID(ctx, ss.UserID), evRefreshReuse, "a rotated refresh token was presented again; the session was revoked")
		setRefreshCookie(w, "", 0)
		return errorf(http.StatusUnauthorized, "refresh_reused", "this refresh token was already used; the session has been ended for safety; sign in again")
	case errors.Is(err, store.ErrNotFound):
		setRefreshCookie(w, "", 0)
		return errorf(http.StatusUnauthorized, "invalid_token", "the session has expired or was ended; sign in")
	case err != nil:
		return err
	}
	u, err := a.st.UserByID(ctx, ss.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil || u.Disabled || u.AuthVersion != ss.AuthVersion {
		if err := a.st.RevokeSession(ctx, ss.ID, a.revokeUntil()); err != nil {
			return err
		}
		setRefreshCookie(w, "", 0)
		return errorf(http.StatusUnauthorized, "invalid_token", "the session has ended; sign in")
	}
	return a.answerTokens(w, u, ss.ID, next, http.StatusOK)
}

// userOrID returns the user for the audit log, or one with only the id.
func (a *API) userOrID(ctx context.Context, id int64) store.User {
	u, err := a.st.UserByID(ctx, id)
	if err != nil {
		return store.User{ID: id}
	}
	return u
}

// logout ends the caller's session and voids its access token.
func (a *API) logout(w http.ResponseWriter, r *http.Request, c *caller) error {
	ctx := r.Context()
	if err := a.st.RevokeSession(ctx, c.Claims.Session, a.revokeUntil()); err != nil {
		return err
	}
	if err := a.st.Revoke(ctx, c.Claims.ID, a.revokeUntil()); err != nil {
		return err
	}
	a.audit(r, c.User, evSignout, "")
	setRefreshCookie(w, "", 0)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// me answers the signed-in user.
func (a *API) me(w http.ResponseWriter, r *http.Request, c *caller) error {
	out := struct {
		userView
		RecoveryCodesLeft int `json:"recovery_codes_left"`
	}{userView: viewUser(c.User)}
	if c.User.TOTPEnabled {
		n, err := a.st.RecoveryCodesLeft(r.Context(), c.User.ID)
		if err != nil {
			return err
		}
		out.RecoveryCodesLeft = n
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// truncate cuts s to at most n bytes of valid UTF-8.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}
