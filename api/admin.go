package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
)

// adminView gathers what an administrator sees of u: counts and storage
// kinds, never a secret.
func (a *API) adminView(ctx context.Context, u store.User) (adminUserView, error) {
	v := adminUserView{userView: viewUser(u), Storages: []storageView{}}
	var err error
	if u.TOTPEnabled {
		if v.RecoveryCodesLeft, err = a.st.RecoveryCodesLeft(ctx, u.ID); err != nil {
			return v, err
		}
	}
	aps, err := a.st.AppPasswords(ctx, u.ID)
	if err != nil {
		return v, err
	}
	v.AppPasswords = len(aps)
	sts, err := a.st.Storages(ctx, u.ID)
	if err != nil {
		return v, err
	}
	for _, s := range sts {
		v.Storages = append(v.Storages, storageView{Mount: s.Mount, Kind: s.Kind})
	}
	return v, nil
}

func (a *API) adminListUsers(w http.ResponseWriter, r *http.Request, _ *caller) error {
	users, err := a.st.Users(r.Context())
	if err != nil {
		return err
	}
	out := make([]adminUserView, 0, len(users))
	for _, u := range users {
		v, err := a.adminView(r.Context(), u)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

func (a *API) adminGetUser(w http.ResponseWriter, r *http.Request, _ *caller) error {
	u, err := a.pathUser(r)
	if err != nil {
		return err
	}
	v, err := a.adminView(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) pathUser(r *http.Request) (store.User, error) {
	id, err := pathID(r)
	if err != nil {
		return store.User{}, err
	}
	return a.st.UserByID(r.Context(), id)
}

func (a *API) adminCreateUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Email    string `json:"email"`
		IsAdmin  bool   `json:"is_admin"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := checkUsername(in.Username); err != nil {
		return err
	}
	if err := checkPassword("password", in.Password); err != nil {
		return err
	}
	email, err := normalEmail(in.Email)
	if err != nil {
		return err
	}
	ctx := r.Context()
	hash, err := a.hasher.Hash(ctx, in.Password)
	if err != nil {
		return err
	}
	u, err := a.st.AddUser(ctx, store.NewUser{Username: in.Username, Email: email, PasswordHash: hash, Admin: in.IsAdmin, Now: a.now()})
	if errors.Is(err, store.ErrConflict) {
		return errorf(http.StatusConflict, "conflict", "that username or e-mail address is taken")
	}
	if err != nil {
		return err
	}
	a.audit(r, c.User, evAdminUserCreated, fmt.Sprintf("user %d %q, admin %v", u.ID, u.Username, u.IsAdmin))
	v, err := a.adminView(ctx, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// adminUpdateUser disables or enables an account (disabling ends its
// sessions and stops its app passwords at once), sets its quota or its
// administrator flag. Administrators cannot lock themselves out.
func (a *API) adminUpdateUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Disabled   *bool  `json:"disabled"`
		QuotaBytes *int64 `json:"quota_bytes"`
		IsAdmin    *bool  `json:"is_admin"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	u, err := a.pathUser(r)
	if err != nil {
		return err
	}
	switch {
	case in.Disabled == nil && in.QuotaBytes == nil && in.IsAdmin == nil:
		return invalid("send at least one of disabled, quota_bytes, is_admin")
	case in.QuotaBytes != nil && *in.QuotaBytes < 0:
		return invalid("quota_bytes: 0 for no limit, or a positive number of bytes")
	case u.ID == c.User.ID && ((in.Disabled != nil && *in.Disabled) || (in.IsAdmin != nil && !*in.IsAdmin)):
		return invalid("you cannot disable yourself or withdraw your own administration")
	}
	ctx := r.Context()
	var changes []string
	if in.QuotaBytes != nil {
		if err := a.st.SetQuota(ctx, u.ID, *in.QuotaBytes); err != nil {
			return err
		}
		changes = append(changes, "quota "+strconv.FormatInt(*in.QuotaBytes, 10))
	}
	if in.IsAdmin != nil {
		if err := a.st.SetAdmin(ctx, u.ID, *in.IsAdmin); err != nil {
			return err
		}
		changes = append(changes, fmt.Sprintf("admin %v", *in.IsAdmin))
	}
	if in.Disabled != nil {
		if err := a.st.SetDisabled(ctx, u.ID, *in.Disabled); err != nil {
			return err
		}
		if *in.Disabled {
			if _, err := a.st.RevokeUserSessions(ctx, u.ID, a.revokeUntil()); err != nil {
				return err
			}
		}
		changes = append(changes, fmt.Sprintf("disabled %v", *in.Disabled))
	}
	a.audit(r, c.User, evAdminUserUpdated, fmt.Sprintf("user %d %q: %s", u.ID, u.Username, strings.Join(changes, ", ")))
	if u, err = a.st.UserByID(ctx, u.ID); err != nil {
		return err
	}
	v, err := a.adminView(ctx, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) adminDeleteUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := a.pathUser(r)
	if err != nil {
		return err
	}
	if u.ID == c.User.ID {
		return invalid("you cannot delete yourself")
	}
	ctx := r.Context()
	if _, err := a.st.RevokeUserSessions(ctx, u.ID, a.revokeUntil()); err != nil {
		return err
	}
	if err := storage.RevokeAll(ctx, a.storage, u.ID); err != nil {
		a.log.WarnContext(ctx, "deleting a user: a cloud drive token could not be revoked", "user", u.ID, "err", err)
	}
	if err := a.st.DeleteUser(ctx, u.ID); err != nil {
		return err
	}
	a.audit(r, c.User, evAdminUserDeleted, fmt.Sprintf("user %d %q", u.ID, u.Username))
	if a.deleteData != nil {
		if err := a.deleteData(ctx, u); err != nil {
			return fmt.Errorf("user %d deleted, but removing their files failed: %w", u.ID, err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminReset2FA turns 2FA off for a user who lost their device and codes.
func (a *API) adminReset2FA(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := a.pathUser(r)
	if err != nil {
		return err
	}
	if err := a.st.DeleteTOTP(r.Context(), u.ID); err != nil {
		return err
	}
	a.audit(r, u, ev2FAReset, fmt.Sprintf("by %q", c.User.Username))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) adminGetSettings(w http.ResponseWriter, r *http.Request, _ *caller) error {
	mode, err := a.signupMode(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"signup_mode": mode})
	return nil
}

func (a *API) adminUpdateSettings(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		SignupMode string `json:"signup_mode"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	switch in.SignupMode {
	case signupOpen, signupInvite, signupClosed:
	default:
		return invalid("signup_mode: want open, invite or closed")
	}
	if err := a.st.SetSetting(r.Context(), signupSetting, in.SignupMode); err != nil {
		return err
	}
	a.audit(r, c.User, evAdminSettings, "signup_mode "+in.SignupMode)
	writeJSON(w, http.StatusOK, map[string]string{"signup_mode": in.SignupMode})
	return nil
}

// adminCreateInvite makes a single-use sign-up code, shown only now.
func (a *API) adminCreateInvite(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		ExpiresInHours int `json:"expires_in_hours"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.ExpiresInHours == 0 {
		in.ExpiresInHours = 7 * 24
	}
	if in.ExpiresInHours < 1 || in.ExpiresInHours > 90*24 {
		return invalid("expires_in_hours: 1 to 2160")
	}
	code := auth.NewToken()
	now := a.now()
	inv, err := a.st.CreateInvite(r.Context(), auth.HashToken(code), c.User.ID, now, now.Add(time.Duration(in.ExpiresInHours)*time.Hour))
	if err != nil {
		return err
	}
	a.audit(r, c.User, evAdminInvite, "invite "+strconv.FormatInt(inv.ID, 10))
	writeJSON(w, http.StatusCreated, map[string]any{"invite": viewInvite(inv), "code": code})
	return nil
}

func (a *API) adminListInvites(w http.ResponseWriter, r *http.Request, _ *caller) error {
	list, err := a.st.Invites(r.Context())
	if err != nil {
		return err
	}
	out := make([]inviteView, 0, len(list))
	for _, i := range list {
		out = append(out, viewInvite(i))
	}
	writeJSON(w, http.StatusOK, map[string]any{"invites": out})
	return nil
}

func (a *API) adminDeleteInvite(w http.ResponseWriter, r *http.Request, _ *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.st.DeleteInvite(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminAudit answers audit entries, newest first: ?user_id=, ?before=
// (an entry id, for paging) and ?limit= (at most 1000; default 100).
func (a *API) adminAudit(w http.ResponseWriter, r *http.Request, _ *caller) error {
	q := r.URL.Query()
	num := func(name string, def int64) (int64, error) {
		s := q.Get(name)
		if s == "" {
			return def, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, invalid("%s: want a non-negative integer", name)
		}
		return n, nil
	}
	var f store.AuditFilter
	var err error
	var limit int64
	if f.UserID, err = num("user_id", 0); err != nil {
		return err
	}
	if f.BeforeID, err = num("before", 0); err != nil {
		return err
	}
	if limit, err = num("limit", 100); err != nil {
		return err
	}
	f.Limit = int(min(max(limit, 1), 1000))
	events, err := a.st.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]auditView, 0, len(events))
	for _, e := range events {
		out = append(out, viewAudit(e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out})
	return nil
}
