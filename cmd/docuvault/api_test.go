package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/internal/testserver"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// apiCall sends a JSON request to the API and returns the status, the
// decoded answer and the refresh cookie it set.
func apiCall(t *testing.T, base, method, path, token, cookie string, body any) (int, map[string]any, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+"/api/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Requested-With", "test")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "dv_refresh", Value: cookie})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	set := ""
	for _, c := range resp.Cookies() {
		if c.Name == "dv_refresh" {
			set = c.Value
		}
	}
	return resp.StatusCode, out, set
}

// TestAPIAcrossReplicas: two servers sharing the database and the
// encryption key accept each other's access tokens, refresh cookies and
// app passwords, and see a refresh token's reuse on the other replica.
func TestAPIAcrossReplicas(t *testing.T) {
	k := make([]byte, 32)
	rand.Read(k)
	o := testserver.Options{DataDir: t.TempDir(), DatabaseURL: storetest.URL(t, store.Postgres),
		Env: []string{"DOCUVAULT_ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(k)}}
	s1 := testserver.Start(t, o)
	s2 := testserver.Start(t, o)
	s1.AddUser("alice", "alice-password")

	code, out, cookie1 := apiCall(t, s1.URL, "POST", "/auth/signin", "", "", map[string]string{"login": "alice", "password": "alice-password"})
	if code != http.StatusOK || cookie1 == "" {
		t.Fatalf("sign-in on server 1: %d %v", code, out)
	}
	token, _ := out["access_token"].(string)
	if code, out, _ := apiCall(t, s2.URL, "GET", "/auth/me", token, "", nil); code != http.StatusOK || out["username"] != "alice" {
		t.Fatalf("server 2 refused server 1's access token: %d %v", code, out)
	}
	code, out, cookie2 := apiCall(t, s2.URL, "POST", "/auth/refresh", "", cookie1, nil)
	if code != http.StatusOK || cookie2 == "" || cookie2 == cookie1 {
		t.Fatalf("refresh on server 2: %d %v", code, out)
	}
	if code, out, _ := apiCall(t, s1.URL, "POST", "/auth/refresh", "", cookie1, nil); code != http.StatusUnauthorized || !strings.Contains(jsonString(out), "refresh_reused") {
		t.Fatalf("reuse on server 1: %d %v", code, out)
	}
	if code, _, _ := apiCall(t, s2.URL, "POST", "/auth/refresh", "", cookie2, nil); code != http.StatusUnauthorized {
		t.Fatalf("the family survived the reuse: %d", code)
	}

	_, out, _ = apiCall(t, s1.URL, "POST", "/auth/signin", "", "", map[string]string{"login": "alice", "password": "alice-password"})
	token, _ = out["access_token"].(string)
	code, out, _ = apiCall(t, s1.URL, "POST", "/account/app-passwords", token, "", map[string]any{"name": "sync"})
	if code != http.StatusCreated {
		t.Fatalf("app password: %d %v", code, out)
	}
	secret, _ := out["password"].(string)
	resp, err := s2.Do(t.Context(), "PROPFIND", "/dav/", "alice", secret, nil, map[string]string{"Depth": "0"})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("server 2 refused server 1's app password: %d", resp.StatusCode)
	}
	if code, out, _ := apiCall(t, s2.URL, "POST", "/account/totp/enroll", token, "", map[string]string{"password": "alice-password"}); code != http.StatusOK || out["qr_png"] == nil {
		t.Fatalf("enrolment with the encryption key set: %d %v", code, out)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
