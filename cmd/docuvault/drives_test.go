package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/backends/gdrive/drivefake"
	"github.com/docuvault/docuvault/backends/onedrive/graphfake"
	"github.com/docuvault/docuvault/internal/oauthtest"
	"github.com/docuvault/docuvault/internal/testproc"
	"github.com/docuvault/docuvault/internal/testserver"
)

// TestLitmusOnDrives connects a user's home to OneDrive and to Google Drive
// (fakes of Graph and Drive, a fake authorization server) through the web
// flow of the real binary, then runs litmus as that user.
func TestLitmusOnDrives(t *testing.T) {
	bin := litmusBinary(t)
	for _, provider := range []string{"onedrive", "gdrive"} {
		t.Run(provider, func(t *testing.T) {
			var apiURL string
			var auth *oauthtest.Server
			if provider == "onedrive" {
				g := graphfake.New(t)
				auth, apiURL = oauthtest.New(t, oauthtest.Config{OnToken: g.SetToken}), g.URL
			} else {
				d := drivefake.New(t)
				auth, apiURL = oauthtest.New(t, oauthtest.Config{OnToken: d.SetToken}), d.URL
			}
			key := make([]byte, 32)
			rand.Read(key)
			addr := testproc.FreeAddr(t)
			p := "DOCUVAULT_" + strings.ToUpper(provider) + "_"
			s := testserver.Start(t, testserver.Options{Listen: addr, Env: []string{
				"DOCUVAULT_ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(key),
				"DOCUVAULT_PUBLIC_URL=http://" + addr,
				p + "CLIENT_ID=" + auth.ClientID(), p + "CLIENT_SECRET=" + auth.ClientSecret(),
				p + "AUTH_URL=" + auth.AuthURL, p + "TOKEN_URL=" + auth.TokenURL, p + "API_URL=" + apiURL,
			}})
			s.AddUser("ann", "ann-password")

			_, out, _ := apiCall(t, s.URL, "POST", "/auth/signin", "", "", map[string]string{"login": "ann", "password": "ann-password"})
			token, _ := out["access_token"].(string)
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			req, _ := http.NewRequest("POST", s.URL+"/api/v1/storage/"+provider+"/connect", strings.NewReader(`{"mount":"/"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := browser.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var started struct{ URL string }
			json.NewDecoder(resp.Body).Decode(&started)
			resp.Body.Close()
			follow := func(u string) string {
				t.Helper()
				resp, err := browser.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.Header.Get("Location")
			}
			if landed := follow(follow(started.URL)); landed != "/storage?connected="+provider {
				t.Fatalf("the connect flow ended at %q; server log:\n%s", landed, s.Stderr)
			}
			runLitmus(t, bin, s, "ann", "ann-password")
		})
	}
}
