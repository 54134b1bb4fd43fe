package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/internal/oauthtest"
)

func TestOAuthConfigErrors(t *testing.T) {
	const secret = "Client-Secret-Never-Printed-41f0"
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // in the error
	}{
		{"client id without secret", map[string]string{"DOCUVAULT_ONEDRIVE_CLIENT_ID": "id", "DOCUVAULT_PUBLIC_URL": "https://dav.example.com"},
			"$DOCUVAULT_ONEDRIVE_CLIENT_SECRET"},
		{"secret without client id", map[string]string{"DOCUVAULT_GDRIVE_CLIENT_SECRET": secret}, "DOCUVAULT_GDRIVE_CLIENT_ID"},
		{"client without public URL", map[string]string{"DOCUVAULT_GDRIVE_CLIENT_ID": "id", "DOCUVAULT_GDRIVE_CLIENT_SECRET": secret},
			"--public-url ($DOCUVAULT_PUBLIC_URL)"},
		{"public URL without scheme", map[string]string{"DOCUVAULT_PUBLIC_URL": "dav.example.com"}, "--public-url ($DOCUVAULT_PUBLIC_URL)"},
		{"public URL with a query", map[string]string{"DOCUVAULT_PUBLIC_URL": "https://dav.example.com/?x=1"}, "--public-url"},
		{"endpoint not a URL", map[string]string{"DOCUVAULT_GDRIVE_TOKEN_URL": "oauth2.googleapis.com/token"}, "--gdrive-token-url ($DOCUVAULT_GDRIVE_TOKEN_URL)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"DOCUVAULT_DATA_DIR": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			out, errOut, err := runCLI(t, env, "", "migrate")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
			if strings.Contains(err.Error()+out+errOut, secret) {
				t.Fatalf("the client secret was printed: %v", err)
			}
		})
	}
	t.Run("defaults and a trailing slash", func(t *testing.T) {
		env := map[string]string{"DOCUVAULT_DATA_DIR": t.TempDir(), "DOCUVAULT_PUBLIC_URL": "https://dav.example.com/",
			"DOCUVAULT_GDRIVE_CLIENT_ID": "gid", "DOCUVAULT_GDRIVE_CLIENT_SECRET": secret}
		c, _, err := env2config(t, env)
		if err != nil {
			t.Fatal(err)
		}
		ps := c.oauthProviders()
		g := ps["gdrive"]
		if len(ps) != 1 || g == nil || g.RedirectURL != "https://dav.example.com/api/v1/storage/gdrive/callback" ||
			g.ClientSecret != secret || g.TokenURL != "https://oauth2.googleapis.com/token" || g.RevokeURL == "" || g.Name != "Google Drive" {
			t.Fatalf("providers %+v", ps)
		}
	})
}

// freeAddr returns a 127.0.0.1 address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestOAuthServe wires the settings through serve: the providers offered,
// the authorization URL, the client credentials at the token endpoint,
// and no secret of the flow in the debug log.
func TestOAuthServe(t *testing.T) {
	gd := oauthtest.New(t, oauthtest.Config{ClientID: "gd-id", ClientSecret: "GD-Secret-9c1e-never-logged"})
	dir, addr := t.TempDir(), freeAddr(t)
	k := make([]byte, 32)
	rand.Read(k)
	env := map[string]string{"DOCUVAULT_DATA_DIR": dir, "DOCUVAULT_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(k),
		"DOCUVAULT_PUBLIC_URL": "http://" + addr, "DOCUVAULT_GDRIVE_CLIENT_ID": gd.ClientID(), "DOCUVAULT_GDRIVE_CLIENT_SECRET": gd.ClientSecret(),
		"DOCUVAULT_GDRIVE_AUTH_URL": gd.AuthURL, "DOCUVAULT_GDRIVE_TOKEN_URL": gd.TokenURL, "DOCUVAULT_GDRIVE_API_URL": gd.APIURL,
		"DOCUVAULT_GDRIVE_REVOKE_URL": gd.RevokeURL}
	mustCLI(t, env, "alice-password\n", "user", "add", "alice", "--password-stdin")
	s := startServe(t, env, "--listen", addr, "--log-level", "debug")

	_, out, _ := apiCall(t, s.URL, "POST", "/auth/signin", "", "", map[string]string{"login": "alice", "password": "alice-password"})
	token, _ := out["access_token"].(string)
	if code, out, _ := apiCall(t, s.URL, "GET", "/storage/providers", token, "", nil); code != 200 || jsonString(out) != `{"providers":[{"id":"gdrive","name":"Google Drive"}]}` {
		t.Fatalf("providers: %d %v", code, out)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/storage/gdrive/connect", strings.NewReader(`{"mount":"/Drive"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var started struct{ URL string }
	json.NewDecoder(resp.Body).Decode(&started)
	resp.Body.Close()
	au, _ := url.Parse(started.URL)
	if resp.StatusCode != 200 || au.Query().Get("client_id") != "gd-id" || au.Query().Get("redirect_uri") != "http://"+addr+"/api/v1/storage/gdrive/callback" {
		t.Fatalf("connect: %d %s", resp.StatusCode, started.URL)
	}
	follow := func(u string) string {
		t.Helper()
		resp, err := browser.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Location")
	}
	callback := follow(started.URL)
	landed := follow(callback)
	// The exchange must pass the fake's client check; whether the drive
	// then opens depends on the gdrive driver, which the fake's API does
	// not serve (a storage that cannot be listed is not saved).
	if errs := gd.TokenErrors(); len(errs) != 0 || (landed != "/storage?connected=gdrive" && landed != "/storage?error=storage_unreachable") {
		t.Fatalf("callback landed on %q; token endpoint errors %v", landed, errs)
	}
	s.Stop()
	logs := s.Stderr.String()
	cb, _ := url.Parse(callback)
	for _, v := range append(gd.Issued(), gd.ClientSecret(), cb.Query().Get("state"), cb.Query().Get("code")) {
		if v != "" && strings.Contains(logs, v) {
			t.Fatalf("the log holds %.8s…:\n%s", v, logs)
		}
	}
}
