// Package storage turns a user's storage rows into the backend their WebDAV
// namespace lives on: the home storage ("/"; local disk under the data
// directory by default) with extra storages mounted as top-level folders.
// Secret fields (keys, passwords, OAuth tokens) are sealed with the
// server's keyring and never stored or shown in plaintext. OneDrive and
// Google Drive are connected by OAuth 2.0 (see OAuthProvider); their
// drivers get a token source that refreshes and saves the token.
package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/local"
	"github.com/docuvault/docuvault/backends/mount"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/store"
)

// Kinds of storage.
const (
	Local  = "local"
	S3     = "s3"
	WebDAV = "webdav"
)

// Spec describes one storage. Fields apply to their kind; Secrets holds the
// secret fields (s3: "secret_key"; webdav: "password"), kept apart so they
// can be sealed.
type Spec struct {
	Kind string `json:"kind"`

	Dir string `json:"dir,omitempty"` // local: absolute directory; default <data>/files/<user id>

	Endpoint  string `json:"endpoint,omitempty"` // s3: host[:port]
	Region    string `json:"region,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Prefix    string `json:"prefix,omitempty"` // s3: key prefix
	AccessKey string `json:"access_key,omitempty"`
	UseTLS    bool   `json:"tls,omitempty"`

	URL       string `json:"url,omitempty"` // webdav
	Username  string `json:"username,omitempty"`
	Nextcloud bool   `json:"nextcloud,omitempty"`

	RootID string `json:"root_id,omitempty"` // gdrive: id of the AppFolder

	Secrets map[string]string `json:"-"`
	// TokenSource gives OAuth kinds' drivers access tokens; OpenSpec sets it.
	TokenSource oauth2.TokenSource `json:"-"`
}

// secretFields lists the secret each kind needs.
var secretFields = map[string][]string{S3: {"secret_key"}, WebDAV: {"password"}, OneDrive: {"token"}, GDrive: {"token"}}

// SecretField is the name of kind's one secret ("" for local).
func SecretField(kind string) string {
	if f := secretFields[kind]; len(f) > 0 {
		return f[0]
	}
	return ""
}

var mountName = regexp.MustCompile(`^/[^/\x00\\]{1,255}$`)

// ValidMount reports whether mount is "/" or one top-level folder "/Name".
func ValidMount(mount string) bool {
	return mount == "/" || (mountName.MatchString(mount) && mount != "/." && mount != "/..")
}

// Validate checks a spec for mount ("/" or "/Name"). Each error reads
// "field: problem", the field named as in Spec's JSON ("secret" for the
// kind's secret), as the API reports input errors. A field of another
// kind is refused rather than stored unused.
func (s *Spec) Validate(mount string) error {
	if !ValidMount(mount) {
		return fmt.Errorf("mount: want / or one top-level folder such as /Work, not %q", mount)
	}
	need := func(field, v string) error {
		if v == "" {
			return fmt.Errorf("%s: required for %s storage", field, s.Kind)
		}
		return nil
	}
	var err error
	switch s.Kind {
	case Local:
		switch {
		case s.Dir != "" && !filepath.IsAbs(s.Dir):
			err = fmt.Errorf("dir: %q is not an absolute path", s.Dir)
		case s.Dir == "" && mount != "/":
			// The default folder is the home's: mounting it again would show it twice.
			err = fmt.Errorf("dir: required for local storage mounted at %s", mount)
		}
	case S3:
		err = errors.Join(need("endpoint", s.Endpoint), need("bucket", s.Bucket), need("access_key", s.AccessKey))
		if strings.Contains(s.Endpoint, "://") {
			err = errors.Join(err, errors.New("endpoint: host[:port] without a scheme (set tls for HTTPS)"))
		}
	case WebDAV:
		err = errors.Join(need("url", s.URL), need("username", s.Username))
		if s.URL != "" && !strings.HasPrefix(s.URL, "http://") && !strings.HasPrefix(s.URL, "https://") {
			err = errors.Join(err, errors.New("url: must start with http:// or https://"))
		} else if u, perr := url.Parse(s.URL); s.URL != "" && (perr != nil || u.Host == "" || u.User != nil) {
			// Credentials in the URL would be stored and shown unsealed.
			err = errors.Join(err, errors.New("url: want http(s)://host/path without user or password (use username and secret)"))
		}
	case OneDrive:
	case GDrive:
		err = need("root_id", s.RootID)
	default:
		return fmt.Errorf("kind: want local, s3, webdav, onedrive or gdrive, not %q", s.Kind)
	}
	for _, f := range s.foreign() {
		err = errors.Join(err, fmt.Errorf("%s: does not apply to %s storage", f, s.Kind))
	}
	if f := SecretField(s.Kind); f != "" && s.Secrets[f] == "" {
		err = errors.Join(err, fmt.Errorf("secret: the %s is required for %s storage", strings.ReplaceAll(f, "_", " "), s.Kind))
	}
	for k, v := range s.Secrets {
		if k != SecretField(s.Kind) && v != "" {
			err = errors.Join(err, fmt.Errorf("secret: %s storage takes no %s", s.Kind, strings.ReplaceAll(k, "_", " ")))
		}
	}
	return err
}

// foreign names the fields set that belong to other kinds.
func (s *Spec) foreign() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
		kind string
	}{
		{"dir", s.Dir != "", Local},
		{"endpoint", s.Endpoint != "", S3}, {"region", s.Region != "", S3}, {"bucket", s.Bucket != "", S3},
		{"prefix", s.Prefix != "", S3}, {"access_key", s.AccessKey != "", S3}, {"tls", s.UseTLS, S3},
		{"url", s.URL != "", WebDAV}, {"username", s.Username != "", WebDAV}, {"nextcloud", s.Nextcloud, WebDAV},
		{"root_id", s.RootID != "", GDrive},
	} {
		if f.set && f.kind != s.Kind {
			out = append(out, f.name)
		}
	}
	return out
}

// sealContext binds a sealed secret to its row.
func sealContext(userID int64, mount string) string {
	return "storage:" + strconv.FormatInt(userID, 10) + ":" + mount
}

// Row turns a validated spec into the row stored for it, sealing secrets.
func Row(userID int64, mount string, s Spec, keys *secret.Keyring) (store.Storage, error) {
	cfg, err := json.Marshal(s)
	if err != nil {
		return store.Storage{}, err
	}
	row := store.Storage{UserID: userID, Mount: mount, Kind: s.Kind, Config: string(cfg)}
	if len(s.Secrets) > 0 {
		plain, _ := json.Marshal(s.Secrets)
		if row.Secrets, err = keys.Seal(plain, sealContext(userID, mount)); err != nil {
			return store.Storage{}, fmt.Errorf("storing the %s storage's credentials: %w", s.Kind, err)
		}
	}
	return row, nil
}

// ConfigOf reads a row back without its secrets (Secrets stays nil).
func ConfigOf(row store.Storage) (Spec, error) {
	var s Spec
	if err := json.Unmarshal([]byte(row.Config), &s); err != nil {
		return Spec{}, fmt.Errorf("storage %s: bad configuration: %w", row.Mount, err)
	}
	s.Kind = row.Kind
	return s, nil
}

// SpecOf reads a row back, opening its secrets.
func SpecOf(row store.Storage, keys *secret.Keyring) (Spec, error) {
	s, err := ConfigOf(row)
	if err != nil {
		return Spec{}, err
	}
	if row.Secrets != "" {
		plain, err := keys.Open(row.Secrets, sealContext(row.UserID, row.Mount))
		if err != nil {
			return Spec{}, fmt.Errorf("storage %s: credentials: %w", row.Mount, err)
		}
		if err := json.Unmarshal(plain, &s.Secrets); err != nil {
			return Spec{}, fmt.Errorf("storage %s: credentials: %w", row.Mount, err)
		}
	}
	return s, nil
}

// Reseal re-encrypts a row's secrets under the keyring's current key; it
// reports whether the row changed.
func Reseal(row *store.Storage, keys *secret.Keyring) (bool, error) {
	if row.Secrets == "" || secret.KeyID(row.Secrets) == keys.CurrentID() {
		return false, nil
	}
	ctx := sealContext(row.UserID, row.Mount)
	plain, err := keys.Open(row.Secrets, ctx)
	if err != nil {
		return false, fmt.Errorf("storage %d:%s: %w", row.UserID, row.Mount, err)
	}
	if row.Secrets, err = keys.Seal(plain, ctx); err != nil {
		return false, err
	}
	return true, nil
}

// Opener opens users' namespaces, reusing an open backend until the user's
// storage rows change (every request reads them, so a change made through
// any replica applies at once).
type Opener struct {
	DataDir string
	Store   *store.Store
	Keys    *secret.Keyring
	// Drivers opens remote kinds (s3, webdav, onedrive, gdrive); local is
	// built in.
	Drivers map[string]func(ctx context.Context, s Spec) (backends.Backend, error)
	// OAuth holds the configured providers by kind (OneDrive, GDrive); a
	// kind without one cannot be connected or opened.
	OAuth map[string]*OAuthProvider
	Now   func() time.Time // dates token expiry; nil: time.Now

	mu    sync.Mutex
	cache map[int64]opened
}

type opened struct {
	version string
	b       backends.Backend
	parts   map[string]backends.Backend // by mount, "/" for the home
}

// For returns user u's namespace.
func (o *Opener) For(ctx context.Context, u store.User) (backends.Backend, error) {
	c, err := o.namespace(ctx, u)
	return c.b, err
}

// Parts returns each storage of user u's namespace by its mount ("/" for
// the home, the default local one when no row names it), as For opens
// them.
func (o *Opener) Parts(ctx context.Context, u store.User) (map[string]backends.Backend, error) {
	c, err := o.namespace(ctx, u)
	return c.parts, err
}

func (o *Opener) namespace(ctx context.Context, u store.User) (opened, error) {
	rows, err := o.Store.Storages(ctx, u.ID)
	if err != nil {
		return opened{}, err
	}
	var version strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&version, "%s@%d;", r.Mount, r.UpdatedAt.UnixNano())
	}
	o.mu.Lock()
	c, ok := o.cache[u.ID]
	o.mu.Unlock()
	if ok && c.version == version.String() {
		return c, nil
	}
	c, err = o.open(ctx, u, rows)
	if err != nil {
		return opened{}, err
	}
	c.version = version.String()
	o.mu.Lock()
	if o.cache == nil {
		o.cache = map[int64]opened{}
	}
	o.cache[u.ID] = c
	o.mu.Unlock()
	return c, nil
}

func (o *Opener) open(ctx context.Context, u store.User, rows []store.Storage) (opened, error) {
	home := backends.Backend(nil)
	mounts := map[string]backends.Backend{}
	parts := map[string]backends.Backend{}
	for _, r := range rows {
		spec, err := SpecOf(r, o.Keys)
		if err != nil {
			return opened{}, err
		}
		if IsOAuth(spec.Kind) {
			if spec.TokenSource, err = o.oauthSource(u.ID, r.Mount, spec); err != nil {
				return opened{}, fmt.Errorf("storage %s: %w", r.Mount, err)
			}
		}
		b, err := o.OpenSpec(ctx, u.ID, spec)
		if err != nil {
			return opened{}, fmt.Errorf("storage %s: %w", r.Mount, err)
		}
		parts[r.Mount] = b
		if r.Mount == "/" {
			home = b
		} else {
			mounts[strings.TrimPrefix(r.Mount, "/")] = b
		}
	}
	if home == nil {
		var err error
		if home, err = o.OpenSpec(ctx, u.ID, Spec{Kind: Local}); err != nil {
			return opened{}, err
		}
		parts["/"] = home
	}
	if len(mounts) == 0 {
		return opened{b: home, parts: parts}, nil
	}
	return opened{b: mount.New(home, mounts), parts: parts}, nil
}

// OpenSpec opens one storage of user userID. An OAuth kind without a
// TokenSource gets one that uses the stored token as it is and never
// saves a refreshed one.
func (o *Opener) OpenSpec(ctx context.Context, userID int64, s Spec) (backends.Backend, error) {
	if s.Kind == Local {
		dir := s.Dir
		if dir == "" {
			dir = filepath.Join(o.DataDir, "files", strconv.FormatInt(userID, 10))
		}
		return local.New(dir)
	}
	open, ok := o.Drivers[s.Kind]
	if !ok {
		return nil, fmt.Errorf("storage kind %q is not available", s.Kind)
	}
	if IsOAuth(s.Kind) && s.TokenSource == nil {
		var err error
		if s.TokenSource, err = o.oauthSource(userID, "", s); err != nil {
			return nil, err
		}
	}
	return open(ctx, s)
}

// Forget drops a user's open backend (after deleting the user).
func (o *Opener) Forget(userID int64) {
	o.mu.Lock()
	delete(o.cache, userID)
	o.mu.Unlock()
}
