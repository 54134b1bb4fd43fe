package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
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

// bind registers the settings on fs with defaults taken from getenv.
func (c *config) bind(fs *flag.FlagSet, getenv func(string) string) {
	for _, s := range c.settings() {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(s.dst, s.flag, def, s.usage+" ($"+s.env+")")
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
		return settingError(c, &c.DataDir, "cannot create it: "+errors.Unwrap(err).Error())
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "docuvault.db")
	} else if strings.Contains(c.DatabaseURL, "://") {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return fmt.Errorf("invalid --database-url ($DOCUVAULT_DATABASE_URL): want postgres://user@host/db or a SQLite file path")
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return settingError(c, &c.TLSCert, "--tls-cert and --tls-key go together")
	}
	if c.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			return settingError(c, &c.TLSCert, "cannot load the certificate and key: "+err.Error())
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return settingError(c, &c.LogLevel, "want debug, info, warn or error")
	}
	return nil
}
