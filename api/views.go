package api

import (
	"time"

	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
)

// The JSON shapes of responses. They are built field by field from store
// types, so a secret (password hash, TOTP secret, code or token hash,
// storage credentials) can only reach a response by being added here.

type userView struct {
	ID         int64     `json:"id"`
	Username   string    `json:"username"`
	Email      string    `json:"email,omitempty"`
	IsAdmin    bool      `json:"is_admin"`
	Disabled   bool      `json:"disabled"`
	TwoFactor  bool      `json:"two_factor_enabled"`
	CreatedAt  time.Time `json:"created_at"`
	QuotaBytes int64     `json:"quota_bytes"`
	UsedBytes  int64     `json:"used_bytes"`
}

func viewUser(u store.User) userView {
	return userView{ID: u.ID, Username: u.Username, Email: u.Email, IsAdmin: u.IsAdmin, Disabled: u.Disabled,
		TwoFactor: u.TOTPEnabled, CreatedAt: u.CreatedAt.UTC(), QuotaBytes: u.QuotaBytes, UsedBytes: u.UsedBytes}
}

// storageView names a storage without its configuration or secrets.
type storageView struct {
	Mount string `json:"mount"`
	Kind  string `json:"kind"`
}

// storageConfigView is one storage as its owner or an administrator sees
// it: every setting but a local dir (a path on the server) and the secret,
// of which only its presence shows.
type storageConfigView struct {
	Mount     string `json:"mount"`
	Kind      string `json:"kind"`
	Endpoint  string `json:"endpoint"`
	Region    string `json:"region"`
	Bucket    string `json:"bucket"`
	Prefix    string `json:"prefix"`
	AccessKey string `json:"access_key"`
	TLS       bool   `json:"tls"`
	URL       string `json:"url"`
	Username  string `json:"username"`
	Nextcloud bool   `json:"nextcloud"`
	SecretSet bool   `json:"secret_set"`
	// Space is the storage's own quota, when its provider reports one.
	Space *spaceView `json:"space,omitempty"`
}

// spaceView is a storage's own idea of its used and available bytes.
type spaceView struct {
	Used      int64 `json:"used"`
	Available int64 `json:"available"`
}

func viewStorageConfig(mount string, s storage.Spec, secretSet bool) storageConfigView {
	return storageConfigView{Mount: mount, Kind: s.Kind, Endpoint: s.Endpoint, Region: s.Region, Bucket: s.Bucket,
		Prefix: s.Prefix, AccessKey: s.AccessKey, TLS: s.UseTLS, URL: s.URL, Username: s.Username,
		Nextcloud: s.Nextcloud, SecretSet: secretSet}
}

// storagesView answers GET /storage: the home first, then the mounts.
type storagesView struct {
	Storages   []storageConfigView `json:"storages"`
	UsedBytes  int64               `json:"used_bytes"`
	QuotaBytes int64               `json:"quota_bytes"`
}

type adminUserView struct {
	userView
	RecoveryCodesLeft int           `json:"recovery_codes_left"`
	AppPasswords      int           `json:"app_passwords"`
	Storages          []storageView `json:"storages"`
}

type appPasswordView struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	ReadOnly     bool       `json:"read_only"`
	PathPrefix   string     `json:"path_prefix"`
	ExpiresAt    *time.Time `json:"expires_at"`
	CreatedAt    time.Time  `json:"created_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	LastUsedAddr string     `json:"last_used_addr"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func viewAppPassword(p store.AppPassword) appPasswordView {
	return appPasswordView{ID: p.ID, Name: p.Name, ReadOnly: p.ReadOnly, PathPrefix: p.PathPrefix,
		ExpiresAt: optTime(p.ExpiresAt), CreatedAt: p.CreatedAt.UTC(), LastUsedAt: optTime(p.LastUsedAt), LastUsedAddr: p.LastUsedAddr}
}

type inviteView struct {
	ID        int64      `json:"id"`
	CreatedBy int64      `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedBy    int64      `json:"used_by,omitempty"`
	UsedAt    *time.Time `json:"used_at"`
}

func viewInvite(i store.Invite) inviteView {
	return inviteView{ID: i.ID, CreatedBy: i.CreatedBy, CreatedAt: i.CreatedAt.UTC(), ExpiresAt: i.ExpiresAt.UTC(),
		UsedBy: i.UsedBy, UsedAt: optTime(i.UsedAt)}
}

type auditView struct {
	ID       int64     `json:"id"`
	UserID   int64     `json:"user_id,omitempty"`
	Username string    `json:"username"`
	Event    string    `json:"event"`
	Addr     string    `json:"addr"`
	Detail   string    `json:"detail"`
	Time     time.Time `json:"time"`
}

func viewAudit(e store.AuditEvent) auditView {
	return auditView{ID: e.ID, UserID: e.UserID, Username: e.Username, Event: e.Event, Addr: e.Addr, Detail: e.Detail, Time: e.Time.UTC()}
}

// tokenView answers a sign-in, refresh or password change; the refresh
// token travels only in its cookie.
type tokenView struct {
	AccessToken string   `json:"access_token"`
	TokenType   string   `json:"token_type"`
	ExpiresIn   int      `json:"expires_in"`
	User        userView `json:"user"`
}
