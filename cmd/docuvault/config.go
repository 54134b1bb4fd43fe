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
)

// config is everything serve and the admin commands need. Each setting has
// a flag and a DOCUVAULT_* environment variable; the flag wins.
type config struct {
	Listen      string
	DataDir     string
	DatabaseURL string
	TLSCert     string
	TLSKey      string
	LogLevel    string
}

// setting describes one configuration value for flags, env and docs.
type setting struct {
	flag, env, def, usage string
	dst                   *string
}

func (c *config) settings() []setting {
	return []setting{
		{"listen", "DOCUVAULT_LISTEN", "127.0.0.1:8080", "address to listen on (host:port)", &c.Listen},
		{"data", "DOCUVAULT_DATA_DIR", "./data", "directory for the embedded database and local files", &c.DataDir},
		{"database-url", "DOCUVAULT_DATABASE_URL", "", "postgres://… for PostgreSQL; default: SQLite at <data>/docuvault.db", &c.DatabaseURL},
		{"tls-cert", "DOCUVAULT_TLS_CERT", "", "TLS certificate file (PEM); serve HTTPS with --tls-key", &c.TLSCert},
		{"tls-key", "DOCUVAULT_TLS_KEY", "", "TLS private key file (PEM)", &c.TLSKey},
		{"log-level", "DOCUVAULT_LOG_LEVEL", "info", "debug, info, warn or error", &c.LogLevel},
	}
}

// bind registers the settings on fs and presets them from getenv. The
// usage text shows only the built-in defaults: an environment value may hold
// a database password, and flag errors print the usage.
func (c *config) bind(fs *flag.FlagSet, getenv func(string) string) {
	for _, s := range c.settings() {
		fs.StringVar(s.dst, s.flag, s.def, s.usage+" ($"+s.env+")")
		if v := getenv(s.env); v != "" {
			*s.dst = v
		}
	}
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
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return settingError(c, &c.Listen, "want host:port, e.g. 127.0.0.1:8080")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return settingError(c, &c.Listen, "port must be a number from 0 to 65535")
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		return settingError(c, &c.Listen, "bad host")
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
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return settingError(c, &c.LogLevel, "want debug, info, warn or error")
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
