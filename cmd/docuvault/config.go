package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docuvault/docuvault/obs"
)

// config is everything serve and the admin commands need. Each setting has
// a flag and a DOCUVAULT_* environment variable; the flag wins.
type config struct {
	Listen      string
	DataDir     string
	DatabaseURL string
	TLSCert     string
	TLSKey      string
	DevTLS      string // a boolean; see devTLS
	LogLevel    string
	LogFormat   string
	// MetricsListen serves /metrics on its own address; empty: on Listen.
	MetricsListen   string
	ShutdownTimeout string
	// PublicURL is the server's address as browsers reach it; OAuth
	// callbacks are registered below it.
	PublicURL string
	// TrustedProxies lists reverse proxies (IPs, CIDRs) whose
	// X-Forwarded-For gives the client address; empty: none.
	TrustedProxies string
	OneDrive       oauthSettings
	GDrive         oauthSettings

	// Parsed by validate.
	devTLS          bool
	shutdownTimeout time.Duration
	trustedProxies  obs.TrustedProxies
}

// setting describes one configuration value for flags, env and docs.
type setting struct {
	flag, env, def, usage string
	dst                   *string
	isBool                bool // given as --flag alone; the value is true or false
}

func (c *config) settings() []setting {
	str := func(flag, env, def, usage string, dst *string) setting {
		return setting{flag: flag, env: env, def: def, usage: usage, dst: dst}
	}
	return []setting{
		str("listen", "DOCUVAULT_LISTEN", "127.0.0.1:8080", "address to listen on (host:port)", &c.Listen),
		str("data", "DOCUVAULT_DATA_DIR", "./data", "directory for the embedded database and local files", &c.DataDir),
		str("database-url", "DOCUVAULT_DATABASE_URL", "", "postgres://… for PostgreSQL; default: SQLite at <data>/docuvault.db", &c.DatabaseURL),
		str("tls-cert", "DOCUVAULT_TLS_CERT", "", "TLS certificate file (PEM); serve HTTPS with --tls-key", &c.TLSCert),
		str("tls-key", "DOCUVAULT_TLS_KEY", "", "TLS private key file (PEM)", &c.TLSKey),
		{flag: "dev-tls", env: "DOCUVAULT_DEV_TLS", def: "false", dst: &c.DevTLS, isBool: true,
			usage: "serve HTTPS with a self-signed certificate for localhost, generated once under <data>/dev-tls"},
		str("log-level", "DOCUVAULT_LOG_LEVEL", "info", "debug, info, warn or error", &c.LogLevel),
		str("log-format", "DOCUVAULT_LOG_FORMAT", "text", "text or json (one object per line)", &c.LogFormat),
		str("metrics-listen", "DOCUVAULT_METRICS_LISTEN", "", "serve /metrics on this host:port instead of on --listen", &c.MetricsListen),
		str("shutdown-timeout", "DOCUVAULT_SHUTDOWN_TIMEOUT", "30s", "on SIGTERM, how long running requests may take to finish before they are aborted", &c.ShutdownTimeout),
		str("public-url", "DOCUVAULT_PUBLIC_URL", "", "the server's URL as browsers reach it (https://dav.example.com); OAuth redirect URIs are made from it", &c.PublicURL),
		str("trusted-proxies", "DOCUVAULT_TRUSTED_PROXIES", "", "comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For names the client; empty: trust none", &c.TrustedProxies),
		str("onedrive-client-id", "DOCUVAULT_ONEDRIVE_CLIENT_ID", "", "OneDrive: application (client) id registered with Microsoft; empty: OneDrive is not offered", &c.OneDrive.ClientID),
		str("onedrive-auth-url", "DOCUVAULT_ONEDRIVE_AUTH_URL", oneDriveDefaults.AuthURL, "OneDrive: authorization endpoint", &c.OneDrive.AuthURL),
		str("onedrive-token-url", "DOCUVAULT_ONEDRIVE_TOKEN_URL", oneDriveDefaults.TokenURL, "OneDrive: token endpoint", &c.OneDrive.TokenURL),
		str("onedrive-api-url", "DOCUVAULT_ONEDRIVE_API_URL", oneDriveDefaults.APIURL, "OneDrive: Microsoft Graph base URL", &c.OneDrive.APIURL),
		str("onedrive-revoke-url", "DOCUVAULT_ONEDRIVE_REVOKE_URL", oneDriveDefaults.RevokeURL, "OneDrive: token revocation endpoint (RFC 7009); Microsoft has none", &c.OneDrive.RevokeURL),
		str("gdrive-client-id", "DOCUVAULT_GDRIVE_CLIENT_ID", "", "Google Drive: OAuth client id (web application); empty: Google Drive is not offered", &c.GDrive.ClientID),
		str("gdrive-auth-url", "DOCUVAULT_GDRIVE_AUTH_URL", gDriveDefaults.AuthURL, "Google Drive: authorization endpoint", &c.GDrive.AuthURL),
		str("gdrive-token-url", "DOCUVAULT_GDRIVE_TOKEN_URL", gDriveDefaults.TokenURL, "Google Drive: token endpoint", &c.GDrive.TokenURL),
		str("gdrive-api-url", "DOCUVAULT_GDRIVE_API_URL", gDriveDefaults.APIURL, "Google Drive: API base URL", &c.GDrive.APIURL),
		str("gdrive-revoke-url", "DOCUVAULT_GDRIVE_REVOKE_URL", gDriveDefaults.RevokeURL, "Google Drive: token revocation endpoint", &c.GDrive.RevokeURL),
	}
}

// boolString is a boolean flag kept as a string, so that every setting is
// bound and reported the same way.
type boolString struct{ p *string }

func (b boolString) String() string {
	if b.p == nil {
		return "false" // the zero value, which flag's usage leaves out
	}
	return *b.p
}

func (b boolString) Set(v string) error {
	if _, err := strconv.ParseBool(v); err != nil {
		return errors.New("want true or false")
	}
	*b.p = v
	return nil
}

func (boolString) IsBoolFlag() bool { return true }

// bind registers the settings on fs and presets them from getenv. The
// usage text shows only the built-in defaults: an environment value may hold
// a database password, and flag errors print the usage.
func (c *config) bind(fs *flag.FlagSet, getenv func(string) string) {
	for _, s := range c.settings() {
		if s.isBool {
			*s.dst = s.def
			fs.Var(boolString{s.dst}, s.flag, s.usage+" ($"+s.env+")")
		} else {
			fs.StringVar(s.dst, s.flag, s.def, s.usage+" ($"+s.env+")")
		}
		if v := getenv(s.env); v != "" {
			*s.dst = v
		}
	}
	// Client secrets come from the environment only, like every secret.
	c.OneDrive.ClientSecret = getenv(envOneDriveSecret)
	c.GDrive.ClientSecret = getenv(envGDriveSecret)
}

// settingError names the setting a bad value came from.
func settingError(c *config, dst *string, why string) error {
	for _, s := range c.settings() {
		if s.dst == dst {
			return fmt.Errorf("invalid --%s ($%s) %q: %s", s.flag, s.env, *dst, why)
		}
	}
	return errors.New(why)
}

// missingError names a setting that another one requires.
func missingError(c *config, dst *string, why string) error {
	for _, s := range c.settings() {
		if s.dst == dst {
			return fmt.Errorf("missing --%s ($%s): %s", s.flag, s.env, why)
		}
	}
	return errors.New(why)
}

// validate checks every value and fills derived defaults.
func (c *config) validate() error {
	// Settings added later default when empty, as in a config built in code.
	for _, s := range c.settings() {
		if *s.dst == "" && (s.dst == &c.DevTLS || s.dst == &c.LogFormat || s.dst == &c.ShutdownTimeout) {
			*s.dst = s.def
		}
	}
	if err := checkAddr(c, &c.Listen); err != nil {
		return err
	}
	if c.MetricsListen != "" {
		if err := checkAddr(c, &c.MetricsListen); err != nil {
			return err
		}
	}
	if c.DataDir == "" {
		return settingError(c, &c.DataDir, "must not be empty")
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return settingError(c, &c.DataDir, "cannot create it: "+pathErr(err))
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "docuvault.db")
	} else if strings.Contains(c.DatabaseURL, "://") {
		u, err := url.Parse(c.DatabaseURL)
		// The value is not echoed: it may hold a password. An empty host
		// is valid (pgx then uses the host parameter or its default).
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return fmt.Errorf("invalid --database-url ($DOCUVAULT_DATABASE_URL): want postgres://user@host/db or a SQLite file path")
		}
	}
	switch {
	case c.TLSCert != "" && c.TLSKey == "":
		return missingError(c, &c.TLSKey, "--tls-cert needs its private key")
	case c.TLSKey != "" && c.TLSCert == "":
		return missingError(c, &c.TLSCert, "--tls-key needs its certificate")
	case c.TLSCert != "":
		// Read each file first so an unreadable one is named.
		cert, err := os.ReadFile(c.TLSCert)
		if err != nil {
			return settingError(c, &c.TLSCert, "cannot read it: "+pathErr(err))
		}
		key, err := os.ReadFile(c.TLSKey)
		if err != nil {
			return settingError(c, &c.TLSKey, "cannot read it: "+pathErr(err))
		}
		if _, err := tls.X509KeyPair(cert, key); err != nil {
			return settingError(c, &c.TLSCert, "no usable pair with --tls-key: "+err.Error())
		}
	}
	var err error
	if c.devTLS, err = strconv.ParseBool(c.DevTLS); err != nil {
		return settingError(c, &c.DevTLS, "want true or false")
	}
	if c.devTLS && c.TLSCert != "" {
		return settingError(c, &c.DevTLS, "--tls-cert and --tls-key give a certificate already; use one or the other")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return settingError(c, &c.LogLevel, "want debug, info, warn or error")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return settingError(c, &c.LogFormat, "want text or json")
	}
	if c.shutdownTimeout, err = time.ParseDuration(c.ShutdownTimeout); err != nil || c.shutdownTimeout < 0 {
		return settingError(c, &c.ShutdownTimeout, "want a duration such as 30s or 2m")
	}
	if c.trustedProxies, err = obs.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return settingError(c, &c.TrustedProxies, err.Error()+"; want IPs or CIDRs such as 10.0.0.0/8, separated by commas")
	}
	return c.validateOAuth()
}

// checkAddr validates a host:port setting.
func checkAddr(c *config, dst *string) error {
	host, port, err := net.SplitHostPort(*dst)
	if err != nil {
		return settingError(c, dst, "want host:port, e.g. 127.0.0.1:8080")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return settingError(c, dst, "port must be a number from 0 to 65535")
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		return settingError(c, dst, "bad host")
	}
	return nil
}

// pathErr is the reason of a file error without the path, which the
// message already names.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
