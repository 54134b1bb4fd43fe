package api

import (
	"errors"
	"net/http"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
)

// changePassword replaces the caller's password, ends every session of the
// account (other browsers must sign in again) and starts a new one here.
// App passwords stay valid.
func (a *API) changePassword(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := checkPassword("new_password", in.NewPassword); err != nil {
		return err
	}
	if err := a.confirmPassword(r, c.User, in.CurrentPassword); err != nil {
		return err
	}
	ctx := r.Context()
	hash, err := a.hasher.Hash(ctx, in.NewPassword)
	if err != nil {
		return err
	}
	if err := a.st.SetPassword(ctx, c.User.ID, hash); err != nil {
		return err
	}
	if _, err := a.st.RevokeUserSessions(ctx, c.User.ID, a.revokeUntil()); err != nil {
		return err
	}
	a.audit(r, c.User, evPasswordChanged, "every session ended")
	u, err := a.st.UserByID(ctx, c.User.ID)
	if err != nil {
		return err
	}
	return a.startSession(w, r, u, http.StatusOK)
}

// totpEnroll starts 2FA enrolment: a new secret, shown once, pending until
// totpConfirm accepts a code made with it.
func (a *API) totpEnroll(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if a.keys == nil {
		return errNoKey
	}
	if c.User.TOTPEnabled {
		return errorf(http.StatusConflict, "conflict", "two-factor authentication is already on; disable it first")
	}
	if err := a.confirmPassword(r, c.User, in.Password); err != nil {
		return err
	}
	key, err := auth.NewTOTP(a.issuer, c.User.Username)
	if err != nil {
		return err
	}
	sealed, err := a.keys.Seal([]byte(key.Secret), auth.TOTPSealContext(c.User.ID))
	if err != nil {
		return err
	}
	if err := a.st.PutPendingTOTP(r.Context(), c.User.ID, sealed, a.now()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errorf(http.StatusConflict, "conflict", "two-factor authentication is already on; disable it first")
		}
		return err
	}
	a.audit(r, c.User, ev2FAEnrollStarted, "")
	writeJSON(w, http.StatusOK, map[string]string{"secret": key.Secret, "uri": key.URI, "qr_png": key.QRPNG})
	return nil
}

// totpConfirm turns 2FA on once a code of the pending secret is right, and
// answers the recovery codes, shown only now.
func (a *API) totpConfirm(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Code == "" {
		return invalid("code is required")
	}
	ctx := r.Context()
	t, err := a.st.TOTPOf(ctx, c.User.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Enabled) {
		return errorf(http.StatusConflict, "conflict", "nothing to confirm: start with enroll")
	}
	if err != nil {
		return err
	}
	if err := a.wait(addrKey(r), codeKey(c.User)); err != nil {
		return err
	}
	secret, err := a.openTOTP(c.User.ID, t.Secret)
	if err != nil {
		return err
	}
	step, ok := auth.CheckTOTP(secret, in.Code, a.now(), t.LastStep)
	if !ok {
		a.fail(addrKey(r), codeKey(c.User))
		return errorf(http.StatusBadRequest, "invalid_code", "the code is wrong or expired; check the clock of the device")
	}
	codes := auth.NewRecoveryCodes(auth.RecoveryCodeCount)
	if err := a.st.EnableTOTP(ctx, c.User.ID, step, hashCodes(codes)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errorf(http.StatusConflict, "conflict", "nothing to confirm: start with enroll")
		}
		return err
	}
	a.limiter.Succeed(codeKey(c.User))
	a.audit(r, c.User, ev2FAEnabled, "")
	writeJSON(w, http.StatusOK, map[string][]string{"recovery_codes": codes})
	return nil
}

func hashCodes(codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = auth.HashRecoveryCode(c)
	}
	return out
}

// reauth2FA is the body of changes that need the password and a second
// factor: a current TOTP code or a recovery code.
type reauth2FA struct {
	Password     string `json:"password"`
	Code         string `json:"code"`
	RecoveryCode string `json:"recovery_code"`
}

func (a *API) confirm2FA(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in reauth2FA
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if !c.User.TOTPEnabled {
		return errorf(http.StatusConflict, "conflict", "two-factor authentication is off")
	}
	if (in.Code == "") == (in.RecoveryCode == "") {
		return invalid("send the password and either code or recovery_code")
	}
	if err := a.confirmPassword(r, c.User, in.Password); err != nil {
		return err
	}
	_, err := a.secondFactor(r, c.User, in.Code, in.RecoveryCode, http.StatusForbidden)
	return err
}

// totpDisable turns 2FA off after the password and a code.
func (a *API) totpDisable(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := a.confirm2FA(w, r, c); err != nil {
		return err
	}
	if err := a.st.DeleteTOTP(r.Context(), c.User.ID); err != nil {
		return err
	}
	a.audit(r, c.User, ev2FADisabled, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// recoveryCodes replaces the recovery codes after the password and a code,
// and answers the new ones, shown only now.
func (a *API) recoveryCodes(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := a.confirm2FA(w, r, c); err != nil {
		return err
	}
	codes := auth.NewRecoveryCodes(auth.RecoveryCodeCount)
	if err := a.st.ReplaceRecoveryCodes(r.Context(), c.User.ID, hashCodes(codes)); err != nil {
		return err
	}
	a.audit(r, c.User, ev2FARecoveryCodes, "")
	writeJSON(w, http.StatusOK, map[string][]string{"recovery_codes": codes})
	return nil
}
