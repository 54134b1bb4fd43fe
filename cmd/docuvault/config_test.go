package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// dbPassword stands in for a database password that must never be printed.
const dbPassword = "hunter2hunter2"

// writeCert writes a self-signed certificate and its key as PEM files.
func writeCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestConfigErrors(t *testing.T) {
	cert, key := writeCert(t)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")
	aFile := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(aFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		args  []string
		env   map[string]string
		flag  string // the setting the error must name
		other string // a second flag the message should mention, if any
	}{
		{name: "listen without port", args: []string{"--listen", "abc"}, flag: "listen"},
		{name: "listen from env", env: map[string]string{"DOCUVAULT_LISTEN": "abc"}, flag: "listen"},
		{name: "port out of range", args: []string{"--listen", "127.0.0.1:70000"}, flag: "listen"},
		{name: "port not a number", args: []string{"--listen", "127.0.0.1:http"}, flag: "listen"},
		{name: "negative port", args: []string{"--listen", "127.0.0.1:-1"}, flag: "listen"},
		{name: "tls-cert without tls-key", args: []string{"--tls-cert", cert}, flag: "tls-key", other: "tls-cert"},
		{name: "tls-key without tls-cert", args: []string{"--tls-key", key}, flag: "tls-cert", other: "tls-key"},
		{name: "tls-cert from env without tls-key", env: map[string]string{"DOCUVAULT_TLS_CERT": cert}, flag: "tls-key", other: "tls-cert"},
		{name: "missing cert file", args: []string{"--tls-cert", missing, "--tls-key", key}, flag: "tls-cert"},
		{name: "cert is a directory", args: []string{"--tls-cert", t.TempDir(), "--tls-key", key}, flag: "tls-cert"},
		{name: "missing key file", args: []string{"--tls-cert", cert, "--tls-key", missing}, flag: "tls-key"},
		{name: "cert not PEM", args: []string{"--tls-cert", garbage, "--tls-key", key}, flag: "tls-cert"},
		{name: "key does not match", args: []string{"--tls-cert", cert, "--tls-key", garbage}, flag: "tls-cert"},
		{name: "log level", args: []string{"--log-level", "loud"}, flag: "log-level"},
		{name: "log level from env", env: map[string]string{"DOCUVAULT_LOG_LEVEL": "loud"}, flag: "log-level"},
		{name: "data dir is a file", args: []string{"--data", aFile}, flag: "data"},
		{name: "database scheme", args: []string{"--database-url", "mysql://root:" + dbPassword + "@db/docs"}, flag: "database-url"},
		{name: "database scheme from env", env: map[string]string{"DOCUVAULT_DATABASE_URL": "mysql://root:" + dbPassword + "@db/docs"}, flag: "database-url"},
		{name: "trusted proxy CIDR", args: []string{"--trusted-proxies", "10.0.0.0/8,10.1.0.0/33"}, flag: "trusted-proxies"},
		{name: "trusted proxy from env", env: map[string]string{"DOCUVAULT_TRUSTED_PROXIES": "proxy.local"}, flag: "trusted-proxies"},
		{name: "database URL unparsable", args: []string{"--database-url", "postgres://u:" + dbPassword + "@db:port/docs"}, flag: "database-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"DOCUVAULT_DATA_DIR": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			// serve and migrate share the configuration; migrate would
			// not listen, so a passing check shows up as a wrong result.
			for _, cmd := range []string{"serve", "migrate"} {
				out, errOut, err := runCLI(t, env, "", append([]string{cmd}, tc.args...)...)
				if err == nil {
					t.Fatalf("%s: no error", cmd)
				}
				msg := err.Error()
				var envName string
				for _, s := range new(config).settings() {
					if s.flag == tc.flag {
						envName = s.env
					}
				}
				if !strings.Contains(msg, "--"+tc.flag+" ") || !strings.Contains(msg, "$"+envName) {
					t.Errorf("%s: error %q does not name --%s and $%s", cmd, msg, tc.flag, envName)
				}
				if tc.other != "" && !strings.Contains(msg, "--"+tc.other) {
					t.Errorf("%s: error %q does not mention --%s", cmd, msg, tc.other)
				}
				if strings.Contains(msg, "\n") || out != "" || errOut != "" {
					t.Errorf("%s: want one error line and no output; error %q, stdout %q, stderr %q", cmd, msg, out, errOut)
				}
				if strings.Contains(msg+out+errOut, dbPassword) {
					t.Errorf("%s: the database password was printed: %q", cmd, msg)
				}
			}
		})
	}
}

func TestConfigAccepts(t *testing.T) {
	cert, key := writeCert(t)
	for _, tc := range []struct {
		name string
		c    config
	}{
		{"defaults", config{Listen: "127.0.0.1:8080", LogLevel: "info"}},
		{"any host", config{Listen: ":8080", LogLevel: "info"}},
		{"IPv6", config{Listen: "[::1]:0", LogLevel: "debug"}},
		{"host name", config{Listen: "localhost:65535", LogLevel: "error"}},
		{"TLS pair", config{Listen: "127.0.0.1:0", LogLevel: "warn", TLSCert: cert, TLSKey: key}},
		{"postgresql scheme", config{Listen: "127.0.0.1:0", LogLevel: "info", DatabaseURL: "postgresql://u@db/docs"}},
		{"postgres over a socket", config{Listen: "127.0.0.1:0", LogLevel: "info", DatabaseURL: "postgres:///docs?host=/var/run/postgresql"}},
		{"SQLite path", config{Listen: "127.0.0.1:0", LogLevel: "info", DatabaseURL: "meta.db"}},
		{"trusted proxies", config{Listen: "127.0.0.1:0", LogLevel: "info", TrustedProxies: "10.0.0.1, 172.16.0.0/12,fd00::/8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.DataDir = t.TempDir()
			if err := tc.c.validate(); err != nil {
				t.Fatal(err)
			}
			if tc.c.DatabaseURL == "" {
				t.Errorf("no SQLite default filled in")
			}
		})
	}
}

func TestDatabasePasswordNeverPrinted(t *testing.T) {
	dsn := "postgres://docuvault:" + dbPassword + "@127.0.0.1:1/docs?sslmode=disable"
	t.Run("connection failure", func(t *testing.T) {
		_, errOut, err := runCLI(t, nil, "", "migrate", "--data", t.TempDir(), "--database-url", dsn)
		if err == nil {
			t.Fatal("migrate against a closed port succeeded")
		}
		if strings.Contains(err.Error()+errOut, dbPassword) {
			t.Errorf("password printed: %v %s", err, errOut)
		}
		if !strings.Contains(err.Error(), "--database-url") {
			t.Errorf("error %q does not name --database-url", err)
		}
	})
	t.Run("driver rejects the URL", func(t *testing.T) {
		_, errOut, err := runCLI(t, nil, "", "migrate", "--data", t.TempDir(), "--database-url",
			"postgres://docuvault:"+dbPassword+"@127.0.0.1:1/docs?sslmode=bogus")
		if err == nil {
			t.Fatal("migrate with sslmode=bogus succeeded")
		}
		if strings.Contains(err.Error()+errOut, dbPassword) {
			t.Errorf("password printed: %v %s", err, errOut)
		}
	})
	// A flag error prints the usage; defaults from the environment must not
	// appear in it.
	for _, args := range [][]string{{"migrate", "--bogus"}, {"serve", "-h"}, {"user", "add", "x", "--bogus"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			env := map[string]string{"DOCUVAULT_DATABASE_URL": dsn, "DOCUVAULT_DATA_DIR": t.TempDir()}
			out, errOut, _ := runCLI(t, env, "", args...)
			if !strings.Contains(errOut, "-database-url") {
				t.Errorf("no usage printed: %q", errOut)
			}
			if strings.Contains(out+errOut, dbPassword) {
				t.Errorf("password printed in the usage:\n%s", errOut)
			}
		})
	}
}

func TestEnvironment(t *testing.T) {
	t.Run("DOCUVAULT_DATA_DIR", func(t *testing.T) {
		dir := t.TempDir()
		env := map[string]string{"DOCUVAULT_DATA_DIR": dir}
		mustCLI(t, env, "pw\n", "user", "add", "alice", "--password-stdin")
		if _, err := os.Stat(filepath.Join(dir, "docuvault.db")); err != nil {
			t.Errorf("no database in DOCUVAULT_DATA_DIR: %v", err)
		}
		if listed(t, mustCLI(t, env, "", "user", "list"))["alice"] == nil {
			t.Error("alice not listed")
		}
		t.Run("--data overrides it", func(t *testing.T) {
			other := t.TempDir()
			if listed(t, mustCLI(t, env, "", "user", "list", "--data", other))["alice"] != nil {
				t.Error("alice listed from the other data dir")
			}
			if _, err := os.Stat(filepath.Join(other, "docuvault.db")); err != nil {
				t.Errorf("no database in --data: %v", err)
			}
		})
	})
	t.Run("DOCUVAULT_DATABASE_URL", func(t *testing.T) {
		for _, d := range storetest.Dialects {
			t.Run(string(d), func(t *testing.T) {
				dir, dbURL := t.TempDir(), storetest.URL(t, d)
				env := map[string]string{"DOCUVAULT_DATA_DIR": dir, "DOCUVAULT_DATABASE_URL": dbURL}
				mustCLI(t, env, "pw\n", "user", "add", "alice", "--password-stdin")
				if _, err := os.Stat(filepath.Join(dir, "docuvault.db")); !os.IsNotExist(err) {
					t.Errorf("SQLite default used despite DOCUVAULT_DATABASE_URL: %v", err)
				}
				st, err := store.Open(t.Context(), dbURL)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				if _, err := st.UserByName(t.Context(), "alice"); err != nil {
					t.Errorf("alice not in DOCUVAULT_DATABASE_URL: %v", err)
				}
				// --database-url wins over the environment.
				other := storetest.URL(t, d)
				if listed(t, mustCLI(t, env, "", "user", "list", "--database-url", other))["alice"] != nil {
					t.Error("--database-url did not override DOCUVAULT_DATABASE_URL")
				}
			})
		}
	})
	t.Run("DOCUVAULT_LISTEN", func(t *testing.T) {
		s := startServe(t, map[string]string{"DOCUVAULT_LISTEN": "127.0.0.1:0", "DOCUVAULT_DATA_DIR": t.TempDir()})
		u, err := url.Parse(s.URL)
		if err != nil || u.Port() == "8080" || u.Port() == "0" {
			t.Errorf("serve listens on %s; want the random port DOCUVAULT_LISTEN asked for", s.URL)
		}
	})
	t.Run("flags override bad environment values", func(t *testing.T) {
		envDir, flagDir := t.TempDir(), t.TempDir()
		env := map[string]string{
			"DOCUVAULT_LISTEN":       "abc",
			"DOCUVAULT_LOG_LEVEL":    "loud",
			"DOCUVAULT_DATA_DIR":     envDir,
			"DOCUVAULT_TLS_CERT":     "/nonexistent",
			"DOCUVAULT_DATABASE_URL": "mysql://x",
		}
		s := startServe(t, env, "--listen", "127.0.0.1:0", "--log-level", "warn", "--data", flagDir,
			"--tls-cert", "", "--database-url", "")
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(flagDir, "docuvault.db")); err != nil {
			t.Errorf("no database in --data: %v", err)
		}
		if _, err := os.Stat(filepath.Join(envDir, "docuvault.db")); !os.IsNotExist(err) {
			t.Errorf("database created in DOCUVAULT_DATA_DIR: %v", err)
		}
	})
	t.Run("DOCUVAULT_LOG_LEVEL", func(t *testing.T) {
		// serve logs "shutting down" at info level.
		for _, tc := range []struct {
			env, flag string
			logged    bool
		}{
			{"", "", true},
			{"error", "", false},
			{"error", "info", true},
			{"debug", "warn", false},
		} {
			env := map[string]string{"DOCUVAULT_DATA_DIR": t.TempDir(), "DOCUVAULT_LOG_LEVEL": tc.env}
			args := []string{"--listen", "127.0.0.1:0"}
			if tc.flag != "" {
				args = append(args, "--log-level", tc.flag)
			}
			s := startServe(t, env, args...)
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(s.Stderr.String(), "shutting down"); got != tc.logged {
				t.Errorf("env %q flag %q: info logged %v, want %v; stderr:\n%s", tc.env, tc.flag, got, tc.logged, s.Stderr)
			}
		}
	})
}

func TestServeTLS(t *testing.T) {
	cert, key := writeCert(t)
	s := startServe(t, map[string]string{"DOCUVAULT_TLS_CERT": cert, "DOCUVAULT_TLS_KEY": key},
		"--listen", "127.0.0.1:0", "--data", t.TempDir())
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("serve with a certificate announced %s", s.URL)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(s.URL + "/dav/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /dav/ over TLS without credentials: %d, want 401", resp.StatusCode)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("serve returned %v after cancel", err)
	}
}
