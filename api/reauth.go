package api

import (
	"errors"
	"net/http"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
)

// confirmPassword checks the password of a signed-in user before a
// sensitive change, under the same backoff as sign-in. A wrong password is
// 403, not 401: the caller's session is fine.
func (a *API) confirmPassword(r *http.Request, u store.User, password string) error {
	if password == "" {
		return invalid("password is required")
	}
	if err := a.wait(addrKey(r), userKey(u.Username)); err != nil {
		return err
	}
	ok, err := a.hasher.Verify(r.Context(), password, u.PasswordHash)
	if err != nil && !errors.Is(err, auth.ErrBadHash) {
		return err
	}
	if !ok {
		a.fail(addrKey(r), userKey(u.Username))
		a.audit(r, u, evSigninFailure, "wrong password to confirm a change")
		return errWrongPassword
	}
	return nil
}

// secondFactor checks a TOTP code (recording its step, so it is not
// accepted again) or consumes a recovery code, under a per-account backoff
// that a correct password does not reset. A wrong code answers status with
// code invalid_code. It returns how the user proved it, for the audit log.
func (a *API) secondFactor(r *http.Request, u store.User, code, recovery string, status int) (string, error) {
	ctx := r.Context()
	if err := a.wait(addrKey(r), codeKey(u)); err != nil {
		return "", err
	}
	wrong := func() (string, error) {
		a.fail(addrKey(r), codeKey(u))
		a.audit(r, u, evSignin2FAFailure, "wrong or reused code")
		return "", errorf(status, "invalid_code", "the code is wrong, expired or already used")
	}
	if recovery != "" {
		err := a.st.UseRecoveryCode(ctx, u.ID, auth.HashRecoveryCode(recovery), a.now())
		if errors.Is(err, store.ErrNotFound) {
			return wrong()
		}
		if err != nil {
			return "", err
		}
		a.limiter.Succeed(codeKey(u))
		return "recovery code", nil
	}
	t, err := a.st.TOTPOf(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !t.Enabled) {
		return wrong()
	}
	if err != nil {
		return "", err
	}
	secret, err := a.openTOTP(u.ID, t.Secret)
	if err != nil {
		return "", err
	}
	step, ok := auth.CheckTOTP(secret, code, a.now(), t.LastStep)
	if !ok {
		return wrong()
	}
	err = a.st.AcceptTOTPStep(ctx, u.ID, step)
	if errors.Is(err, store.ErrConflict) { // a concurrent request used it first
		return wrong()
	}
	if err != nil {
		return "", err
	}
	a.limiter.Succeed(codeKey(u))
	return "totp", nil
}

func (a *API) openTOTP(userID int64, sealed string) (string, error) {
	if a.keys == nil {
		return "", errNoKey
	}
	b, err := a.keys.Open(sealed, auth.TOTPSealContext(userID))
	if err != nil {
		return "", err
	}
	return string(b), nil
}
