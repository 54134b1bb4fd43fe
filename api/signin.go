package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
)

// Signup modes, set by an administrator; closed until one opens it.
const (
	signupOpen    = "open"
	signupInvite  = "invite"
	signupClosed  = "closed"
	signupSetting = "signup_mode"
)

func (a *API) signupMode(ctx context.Context) (string, error) {
	m, err := a.st.Setting(ctx, signupSetting)
	if errors.Is(err, store.ErrNotFound) {
		return signupClosed, nil
	}
	return m, err
}

// signupInfo tells the sign-in page whether to offer sign-up.
func (a *API) signupInfo(w http.ResponseWriter, r *http.Request) error {
	mode, err := a.signupMode(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"mode": mode})
	return nil
}

func (a *API) signup(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Email    string `json:"email"`
		Invite   string `json:"invite"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	mode, err := a.signupMode(ctx)
	if err != nil {
		return err
	}
	nu := store.NewUser{Username: in.Username, Now: a.now()}
	switch {
	case mode == signupClosed:
		return errorf(http.StatusForbidden, "signup_closed", "sign-up is closed; ask an administrator for an account")
	case mode == signupInvite && in.Invite == "":
		return errorf(http.StatusForbidden, "invite_required", "sign-up needs an invite code")
	case mode == signupInvite:
		nu.InviteHash = auth.HashToken(in.Invite)
	}
	if err := checkUsername(in.Username); err != nil {
		return err
	}
	if err := checkPassword("password", in.Password); err != nil {
		return err
	}
	if nu.Email, err = normalEmail(in.Email); err != nil {
		return err
	}
	if nu.PasswordHash, err = a.hasher.Hash(ctx, in.Password); err != nil {
		return err
	}
	u, err := a.st.AddUser(ctx, nu)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusForbidden, "invalid_invite", "the invite code is unknown, used or expired")
	case errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, "conflict", "that username or e-mail address is taken")
	case err != nil:
		return err
	}
	a.audit(r, u, evSignup, "mode "+mode)
	writeJSON(w, http.StatusCreated, viewUser(u))
	return nil
}

// lookup finds the account a sign-in names: an e-mail address when it has
// an @ (usernames cannot), else a username.
func (a *API) lookup(ctx context.Context, login string) (store.User, bool, error) {
	var u store.User
	var err error
	if strings.Contains(login, "@") {
		u, err = a.st.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(login)))
	} else {
		u, err = a.st.UserByName(ctx, login)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, nil
	}
	return u, err == nil, err
}

// Limiter keys, shared with auth.Basic for accounts and addresses.
func addrKey(r *http.Request) string { return "ip:" + auth.ClientAddr(r) }
func userKey(name string) string     { return "user:" + name }
func codeKey(u store.User) string    { return "totp:" + strconv.FormatInt(u.ID, 10) }

// wait returns a 429 when any of keys must still wait.
func (a *API) wait(keys ...string) error {
	now := a.now()
	var d time.Duration
	for _, k := range keys {
		d = max(d, a.limiter.Wait(k, now))
	}
	if d > 0 {
		return throttled(d)
	}
	return nil
}

func (a *API) fail(keys ...string) {
	for _, k := range keys {
		a.limiter.Fail(k, a.now())
	}
}

func (a *API) signin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Login == "" || in.Password == "" || len(in.Password) > maxPassword || len(in.Login) > 254 {
		return invalid("login and password are required")
	}
	ctx := r.Context()
	a.maybeCleanup(ctx)
	u, known, err := a.lookup(ctx, in.Login)
	if err != nil {
		return err
	}
	name := in.Login
	if known {
		name = u.Username
	}
	tried := store.User{ID: u.ID, Username: name}
	if err := a.wait(addrKey(r), userKey(name)); err != nil {
		a.audit(r, tried, evSigninThrottled, "")
		return err
	}
	hash := a.dummyHash
	if known {
		hash = u.PasswordHash
	}
	ok, err := a.hasher.Verify(ctx, in.Password, hash)
	if err != nil && !errors.Is(err, auth.ErrBadHash) {
		return err
	}
	if !ok || !known || u.Disabled {
		a.fail(addrKey(r), userKey(name))
		why := "wrong password"
		switch {
		case !known:
			why = "unknown account"
		case u.Disabled:
			why = "account disabled"
		}
		a.audit(r, tried, evSigninFailure, why)
		return errBadCredentials
	}
	a.limiter.Succeed(addrKey(r))
	a.limiter.Succeed(userKey(name))
	if u.TOTPEnabled {
		ch, _, err := a.tokens.Challenge(u)
		if err != nil {
			return err
		}
		a.audit(r, u, evSigninChallenge, "password accepted; waiting for the second factor")
		writeJSON(w, http.StatusOK, map[string]any{"two_factor_required": true, "challenge": ch,
			"expires_in": int(auth.ChallengeTTL.Seconds())})
		return nil
	}
	a.audit(r, u, evSignin, "password")
	return a.startSession(w, r, u, http.StatusOK)
}

// signin2FA completes a sign-in with a TOTP code or a recovery code and the
// challenge the password step returned. A challenge serves one sign-in.
func (a *API) signin2FA(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Challenge    string `json:"challenge"`
		Code         string `json:"code"`
		RecoveryCode string `json:"recovery_code"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Challenge == "" || (in.Code == "") == (in.RecoveryCode == "") {
		return invalid("send the challenge and either code or recovery_code")
	}
	ctx := r.Context()
	claims, err := a.tokens.ParseChallenge(in.Challenge)
	if err != nil {
		return errorf(http.StatusUnauthorized, "invalid_token", "the sign-in challenge is invalid or expired; sign in again")
	}
	if used, err := a.st.Revoked(ctx, a.now(), claims.ID); err != nil {
		return err
	} else if used {
		return errorf(http.StatusUnauthorized, "invalid_token", "the sign-in challenge was already used; sign in again")
	}
	u, err := a.st.UserByID(ctx, claims.UserID())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil || u.Disabled || u.AuthVersion != claims.AuthVersion || !u.TOTPEnabled {
		return errorf(http.StatusUnauthorized, "invalid_token", "the sign-in challenge is no longer valid; sign in again")
	}
	method, err := a.secondFactor(r, u, in.Code, in.RecoveryCode, http.StatusUnauthorized)
	if err != nil {
		return err
	}
	if err := a.st.Revoke(ctx, claims.ID, claims.ExpiresAt.Time); err != nil {
		return err
	}
	a.audit(r, u, evSignin, method)
	return a.startSession(w, r, u, http.StatusOK)
}
