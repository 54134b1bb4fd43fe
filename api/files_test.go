package api_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/internal/miniotest"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// downloadURL asks for a file's download link.
func (s *server) downloadURL(t *testing.T, token, path string) reply {
	t.Helper()
	return s.do(t, req{method: "GET", path: "/files/download-url?path=" + url.QueryEscape(path), token: token})
}

// fetch GETs a URL without credentials.
func fetch(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDownloadURLLocal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st)
		s.addUser("ann", "ann-password", false)
		ann := s.signin(t, "ann", "ann-password")
		want(t, s.davBearer(t, ann.access, "PUT", "/dav/a.txt", "local", nil), http.StatusCreated)
		want(t, s.downloadURL(t, ann.access, "/a.txt"), http.StatusNotFound, "not_supported")
		want(t, s.do(t, req{method: "GET", path: "/files/download-url?path=/a.txt"}), http.StatusUnauthorized, "unauthorized")
		for _, bad := range []string{"", "/a\x00b", `\a.txt`} {
			want(t, s.downloadURL(t, ann.access, bad), http.StatusBadRequest, "invalid_input")
		}
	})
}

// S3 storages set through the API, with a real MinIO: the view, secrets
// kept out of answers and the database, presigned download links.
func TestStorageS3(t *testing.T) {
	m := miniotest.Start(t)
	eachDumpable(t, func(t *testing.T, st *store.Store, dump func() string) {
		s := newServer(t, st)
		s.addUser("ann", "ann-password", false)
		s.addUser("bob", "bob-password", false)
		ann, bob := s.signin(t, "ann", "ann-password"), s.signin(t, "bob", "bob-password")
		bucket := m.NewBucket(t)
		s3 := func(mount, prefix string) map[string]any {
			return map[string]any{"mount": mount, "kind": "s3", "endpoint": m.Endpoint, "bucket": bucket, "prefix": prefix,
				"access_key": m.AccessKey, "secret": m.SecretKey}
		}
		put := func(t *testing.T, token string, body map[string]any) reply {
			t.Helper()
			r := s.do(t, req{method: "PUT", path: "/storage", token: token, body: body})
			noSecret(t, r, m.SecretKey)
			return r
		}
		want(t, s.davBearer(t, ann.access, "PUT", "/dav/local.txt", "on the local home", nil), http.StatusCreated)

		t.Run("an s3 home", func(t *testing.T) {
			home := storagesOf(t, put(t, ann.access, s3("/", "ann")))["/"]
			for k, v := range map[string]any{"kind": "s3", "endpoint": m.Endpoint, "bucket": bucket, "prefix": "ann",
				"access_key": m.AccessKey, "tls": false, "secret_set": true, "url": ""} {
				if home[k] != v {
					t.Errorf("%s = %v, want %v", k, home[k], v)
				}
			}
			want(t, s.davBearer(t, ann.access, "PUT", "/dav/report.txt", "quarterly numbers", nil), http.StatusCreated)
			want(t, s.davBearer(t, ann.access, "MKCOL", "/dav/folder", "", nil), http.StatusCreated)
			storagesOf(t, put(t, bob.access, s3("/", "bob")))
			want(t, s.davBearer(t, bob.access, "PUT", "/dav/secret.txt", "bob's", nil), http.StatusCreated)
		})
		t.Run("a presigned download link", func(t *testing.T) {
			r := s.downloadURL(t, ann.access, "/report.txt")
			want(t, r, http.StatusOK)
			u, err := url.Parse(r.str("url"))
			if err != nil || u.Host != m.Endpoint || u.Query().Get("X-Amz-Expires") != "300" {
				t.Fatalf("url %q: want a 5-minute link on the MinIO endpoint", r.str("url"))
			}
			if status, body := fetch(t, r.str("url")); status != http.StatusOK || body != "quarterly numbers" {
				t.Fatalf("fetching the link: %d %q", status, body)
			}
		})
		t.Run("paths stay in the caller's namespace", func(t *testing.T) {
			want(t, s.downloadURL(t, ann.access, "/nope.txt"), http.StatusNotFound, "not_found")
			want(t, s.downloadURL(t, ann.access, "/folder"), http.StatusBadRequest, "invalid_input")
			want(t, s.downloadURL(t, ann.access, "/"), http.StatusBadRequest, "invalid_input")
			// Cleaned to /bob/secret.txt of ann's own prefix.
			want(t, s.downloadURL(t, ann.access, "/../bob/secret.txt"), http.StatusNotFound, "not_found")
			r := s.downloadURL(t, ann.access, "/./folder/../report.txt")
			want(t, r, http.StatusOK)
			if !strings.Contains(r.str("url"), "/ann/report.txt") {
				t.Fatalf("url %q", r.str("url"))
			}
		})
		t.Run("a bucket mounted beside a local home", func(t *testing.T) {
			storagesOf(t, put(t, ann.access, map[string]any{"mount": "/", "kind": "local"}))
			got := storagesOf(t, put(t, ann.access, s3("/Bucket", "ann")))
			if got["/"]["kind"] != "local" || got["/Bucket"]["kind"] != "s3" {
				t.Fatalf("storages %v", got)
			}
			r := s.downloadURL(t, ann.access, "/Bucket/report.txt")
			want(t, r, http.StatusOK)
			if status, body := fetch(t, r.str("url")); status != http.StatusOK || body != "quarterly numbers" {
				t.Fatalf("fetching the link: %d %q", status, body)
			}
			want(t, s.downloadURL(t, ann.access, "/local.txt"), http.StatusNotFound, "not_supported")
		})
		t.Run("a bucket that cannot be used is not saved", func(t *testing.T) {
			for name, body := range map[string]map[string]any{
				"wrong secret": func() map[string]any { b := s3("/Other", ""); b["secret"] = "wrong-secret"; return b }(),
				"no bucket":    func() map[string]any { b := s3("/Other", ""); b["bucket"] = "missing-bucket"; return b }(),
				"refused":      func() map[string]any { b := s3("/Other", ""); b["endpoint"] = "127.0.0.1:1"; return b }(),
			} {
				if r := put(t, ann.access, body); r.status != http.StatusBadGateway || r.code() != "storage_unreachable" {
					t.Errorf("%s: %d %s", name, r.status, r.body)
				}
			}
			if got := storagesOf(t, s.do(t, req{method: "GET", path: "/storage", token: ann.access})); got["/Other"] != nil {
				t.Fatalf("saved anyway: %v", got)
			}
		})
		t.Run("the database holds no plaintext secret", func(t *testing.T) {
			d := dump()
			if !strings.Contains(d, bucket) {
				t.Fatal("the dump does not contain the storages at all")
			}
			if strings.Contains(d, m.SecretKey) {
				t.Fatal("the database dump contains the S3 secret key in plaintext")
			}
		})
	})
}
