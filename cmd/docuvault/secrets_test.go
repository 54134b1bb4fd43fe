package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/docuvault/docuvault/internal/miniotest"
	"github.com/docuvault/docuvault/internal/testserver"
)

// TestNoSecretsInLogs runs a full scenario at debug level with known
// secrets (passwords right and wrong, the encryption key, the S3 secret
// key, the database password, API tokens, an app password) and searches
// everything the server and the admin commands printed for them.
func TestNoSecretsInLogs(t *testing.T) {
	const (
		alicePW = "alice-Secret-Pw-7Q2x"
		wrongPW = "wrong-Guess-Pw-93Kz"
		dbPW    = "db-Secret-Pw-4LmN8"
	)
	keyBytes := make([]byte, 32)
	rand.Read(keyBytes)
	encKey := base64.StdEncoding.EncodeToString(keyBytes)
	t.Setenv("DOCUVAULT_ENCRYPTION_KEY", encKey)
	secrets := map[string]string{
		"alice's password": alicePW, "a wrong password": wrongPW, "the encryption key": encKey,
		"alice's Basic header": base64.StdEncoding.EncodeToString([]byte("alice:" + alicePW)),
		"a wrong Basic header": base64.StdEncoding.EncodeToString([]byte("alice:" + wrongPW)),
	}

	o := testserver.Options{Env: []string{"DOCUVAULT_LOG_LEVEL=debug", "DOCUVAULT_LOG_FORMAT=json"}}
	if os.Getenv("TEST_DATABASE_URL") != "" || os.Getenv("CI") == "true" {
		o.DatabaseURL = roleURL(t, "dvsecret_"+randomHex(4), dbPW)
		secrets["the database password"] = dbPW
	}
	m := miniotest.Start(t)
	secrets["the S3 secret key"] = m.SecretKey
	bucket := m.NewBucket(t)
	s := testserver.Start(t, o)
	var cliOut strings.Builder
	cli := func(stdin string, args ...string) {
		t.Helper()
		out, err := s.Run(stdin, args...)
		cliOut.WriteString(out)
		if err != nil {
			t.Fatalf("%s: %v", strings.Join(args, " "), err)
		}
	}
	cli(alicePW+"\n", "user", "add", "alice", "--password-stdin")
	cli(m.SecretKey+"\n", "storage", "set", "alice", "--kind", "s3", "--endpoint", m.Endpoint,
		"--bucket", bucket, "--prefix", "users/alice", "--access-key", m.AccessKey, "--secret-stdin")
	cli("", "storage", "show", "alice")
	cli("", "user", "list")

	dav := func(method, path, pass string, hdr map[string]string, body string) (int, http.Header) {
		t.Helper()
		var rd *bytes.Reader
		if body != "" {
			rd = bytes.NewReader([]byte(body))
		}
		resp, err := s.Do(t.Context(), method, path, "alice", pass, rd, hdr)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	t.Run("WebDAV", func(t *testing.T) {
		dav("MKCOL", "/dav/docs", alicePW, nil, "")
		dav("PUT", "/dav/docs/a.txt", alicePW, nil, "content")
		dav("GET", "/dav/docs/a.txt", alicePW, nil, "")
		dav("PROPFIND", "/dav/docs/", alicePW, map[string]string{"Depth": "1"}, "")
		code, hdr := dav("LOCK", "/dav/docs/a.txt", alicePW, nil, lockBody)
		if code != 200 {
			t.Fatalf("LOCK: %d", code)
		}
		lock := hdr.Get("Lock-Token")
		dav("PUT", "/dav/docs/a.txt", alicePW, nil, "blocked")
		dav("PUT", "/dav/docs/a.txt", alicePW, map[string]string{"If": "(" + lock + ")"}, "v2")
		dav("UNLOCK", "/dav/docs/a.txt", alicePW, map[string]string{"Lock-Token": lock}, "")
		for range 3 {
			if code, _ := dav("PROPFIND", "/dav/", wrongPW, map[string]string{"Depth": "0"}, ""); code != 401 && code != 429 {
				t.Errorf("wrong password: %d", code)
			}
		}
	})
	t.Run("API", func(t *testing.T) {
		apiCall(t, s.URL, "POST", "/auth/signin", "", "", map[string]string{"login": "alice", "password": wrongPW})
		code, out, refresh := apiCall(t, s.URL, "POST", "/auth/signin", "", "", map[string]string{"login": "alice", "password": alicePW})
		token, _ := out["access_token"].(string)
		if code != 200 || token == "" || refresh == "" {
			t.Fatalf("sign-in: %d %v", code, out)
		}
		secrets["an access token"], secrets["a refresh token"] = token, refresh
		apiCall(t, s.URL, "GET", "/auth/me", token, "", nil)
		code, out, _ = apiCall(t, s.URL, "POST", "/account/app-passwords", token, "", map[string]string{"name": "laptop"})
		appPW, _ := out["password"].(string)
		if code != 201 || appPW == "" {
			t.Fatalf("app password: %d %v", code, out)
		}
		secrets["an app password"] = appPW
		secrets["the app password's Basic header"] = base64.StdEncoding.EncodeToString([]byte("alice:" + appPW))
		if code, _ := dav("PUT", "/dav/docs/b.txt", appPW, nil, "via app password"); code != 201 {
			t.Errorf("PUT with the app password: %d", code)
		}
		code, out, refresh2 := apiCall(t, s.URL, "POST", "/auth/refresh", "", refresh, nil)
		token2, _ := out["access_token"].(string)
		if code != 200 || token2 == "" {
			t.Fatalf("refresh: %d %v", code, out)
		}
		secrets["a refreshed access token"], secrets["a rotated refresh token"] = token2, refresh2
		apiCall(t, s.URL, "POST", "/auth/refresh", "", refresh, nil) // reuse: ends the session
		apiCall(t, s.URL, "POST", "/auth/logout", token2, "", nil)
		apiCall(t, s.URL, "GET", "/auth/me", token2, "", nil)
	})
	t.Run("storage down", func(t *testing.T) {
		m.Stop()
		if code, _ := dav("GET", "/dav/docs/a.txt", alicePW, nil, ""); code != http.StatusServiceUnavailable {
			t.Errorf("GET with MinIO down: %d", code)
		}
		dav("PUT", "/dav/docs/c.txt", alicePW, nil, "c")
	})

	get(t, nil, s.URL+"/healthz") // logged at debug only
	s.Cmd.Process.Signal(syscall.SIGTERM)
	exited(t, s)
	logs := s.Stderr.String()
	lines := jsonLines(t, logs)
	if len(lines) < 20 {
		t.Fatalf("only %d log lines: the scenario did not run", len(lines))
	}
	var debug bool
	for _, l := range lines {
		debug = debug || l["level"] == "DEBUG"
	}
	if !debug {
		t.Error("no debug line: the log level was not applied")
	}
	for what, secret := range secrets {
		for where, text := range map[string]string{"the server's log": logs, "the server's output": s.Stdout.String(), "the admin commands' output": cliOut.String()} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds %s", where, what)
			}
		}
	}
}
