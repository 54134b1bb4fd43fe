package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/backends"
	dav "github.com/docuvault/docuvault/backends/webdav"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func TestStorage(t *testing.T) {
	eachDumpable(t, func(t *testing.T, st *store.Store, dump func() string) {
		ctx := t.Context()
		s := newServer(t, st)
		annUser := s.addUser("ann", "ann-password", false)
		ann := s.signin(t, "ann", "ann-password")
		const davPassword = "Remote-DAV-Password-5e1d"
		remote := remoteDAV(t, "ann-remote", davPassword)
		cloud := map[string]any{"mount": "/Cloud", "kind": "webdav", "url": remote, "username": "ann-remote", "secret": davPassword}
		get := func(t *testing.T) map[string]map[string]any {
			t.Helper()
			return storagesOf(t, s.do(t, req{method: "GET", path: "/storage", token: ann.access}))
		}
		put := func(t *testing.T, body map[string]any) reply {
			t.Helper()
			r := s.do(t, req{method: "PUT", path: "/storage", token: ann.access, body: body})
			noSecret(t, r, davPassword)
			return r
		}
		with := func(base map[string]any, kv ...any) map[string]any {
			out := map[string]any{}
			for k, v := range base {
				out[k] = v
			}
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == nil {
					delete(out, kv[i].(string))
				} else {
					out[kv[i].(string)] = kv[i+1]
				}
			}
			return out
		}

		t.Run("the home is local by default", func(t *testing.T) {
			got := get(t)
			home := got["/"]
			if len(got) != 1 || home["kind"] != "local" || home["secret_set"] != false || home["endpoint"] != "" {
				t.Fatalf("storages %v", got)
			}
		})
		t.Run("setting the home recounts the usage", func(t *testing.T) {
			want(t, s.davAs(t, "ann", "ann-password", "PUT", "/dav/a.txt", "hello", nil), http.StatusCreated)
			if err := st.SetUsage(ctx, annUser.ID, 999); err != nil {
				t.Fatal(err)
			}
			r := put(t, map[string]any{"mount": "/", "kind": "local"})
			if storagesOf(t, r)["/"]["kind"] != "local" || r.json["used_bytes"] != 5.0 {
				t.Fatalf("PUT local home: %s", r.body)
			}
		})
		t.Run("a WebDAV folder", func(t *testing.T) {
			c := storagesOf(t, put(t, cloud))["/Cloud"]
			if c["kind"] != "webdav" || c["url"] != remote || c["username"] != "ann-remote" || c["secret_set"] != true || c["nextcloud"] != false {
				t.Fatalf("/Cloud = %v", c)
			}
			if got := get(t); len(got) != 2 {
				t.Fatalf("GET after mounting: %v", got)
			}
			want(t, s.davBearer(t, ann.access, "PUT", "/dav/Cloud/x.txt", "remote!", nil), http.StatusCreated)
			r, _ := http.NewRequest("GET", remote+"x.txt", nil)
			r.SetBasicAuth("ann-remote", davPassword)
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "remote!" {
				t.Fatalf("the file did not reach the remote server: %d %q", resp.StatusCode, b)
			}
		})
		t.Run("the secret is kept while the account is the same", func(t *testing.T) {
			c := storagesOf(t, put(t, with(cloud, "secret", nil, "nextcloud", false)))["/Cloud"]
			if c["secret_set"] != true {
				t.Fatalf("/Cloud = %v", c)
			}
			want(t, s.davBearer(t, ann.access, "GET", "/dav/Cloud/x.txt", "", nil), http.StatusOK)
			r := put(t, with(cloud, "secret", nil, "url", remote+"elsewhere/"))
			want(t, r, http.StatusBadRequest, "invalid_input")
			if !strings.HasPrefix(r.message(), "secret: ") {
				t.Fatalf("the message does not ask for the secret: %s", r.body)
			}
		})
		t.Run("the database holds no plaintext secret", func(t *testing.T) {
			d := dump()
			if !strings.Contains(d, "ann-remote") {
				t.Fatal("the dump does not contain the storages at all")
			}
			if strings.Contains(d, davPassword) {
				t.Fatal("the database dump contains the WebDAV password in plaintext")
			}
		})
		t.Run("invalid specs are refused, naming the field", func(t *testing.T) {
			s3 := map[string]any{"mount": "/X", "kind": "s3", "endpoint": "127.0.0.1:1", "bucket": "docs", "access_key": "a", "secret": "s"}
			for field, body := range map[string]map[string]any{
				"kind":       {"mount": "/", "kind": "ftp"},
				"mount":      with(cloud, "mount", "/a/b"),
				"bucket":     with(s3, "bucket", nil),
				"endpoint":   with(s3, "endpoint", "http://127.0.0.1:1"),
				"access_key": with(s3, "access_key", ""),
				"dir":        with(cloud, "dir", "/etc"),
				"secret":     {"mount": "/", "kind": "local", "secret": "p"},
				"url":        with(cloud, "url", "http://u:p@127.0.0.1:1/"),
				"tls":        with(cloud, "tls", true),
			} {
				r := put(t, body)
				// "field: …", as the UI reads it.
				if r.status != http.StatusBadRequest || r.code() != "invalid_input" || !strings.HasPrefix(r.message(), field+": ") {
					t.Errorf("%s: %d %s", field, r.status, r.body)
				}
			}
			want(t, put(t, with(cloud, "password", "p")), http.StatusBadRequest, "unknown_field")
			want(t, put(t, with(cloud, "tls", "yes")), http.StatusBadRequest, "wrong_type")
			if got := get(t); len(got) != 2 {
				t.Fatalf("an invalid spec was saved: %v", got)
			}
		})
		t.Run("a storage that cannot be used is not saved", func(t *testing.T) {
			for name, body := range map[string]map[string]any{
				"webdav refused": with(cloud, "mount", "/Down", "url", "http://127.0.0.1:1/"),
				"wrong password": with(cloud, "mount", "/Down", "secret", "wrong-password"),
				"s3 refused": {"mount": "/Down", "kind": "s3", "endpoint": "127.0.0.1:1", "bucket": "docs", "access_key": "a",
					"secret": davPassword},
			} {
				r := put(t, body)
				if r.status != http.StatusBadGateway || r.code() != "storage_unreachable" || !strings.Contains(r.message(), "nothing saved") {
					t.Errorf("%s: %d %s", name, r.status, r.body)
				}
			}
			if got := get(t); got["/Down"] != nil {
				t.Fatalf("saved anyway: %v", got)
			}
		})
		t.Run("a local folder of the server is for administrators", func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "disk.txt"), []byte("0123456789"), 0o600)
			want(t, put(t, map[string]any{"mount": "/", "kind": "local", "dir": dir}), http.StatusForbidden, "forbidden")
			want(t, put(t, map[string]any{"mount": "/Disk", "kind": "local", "dir": dir}), http.StatusForbidden, "forbidden")

			s.addUser("root", "root-password", true)
			admin := s.signin(t, "root", "root-password")
			path := "/admin/users/" + itoa(annUser.ID) + "/storage"
			r := s.do(t, req{method: "PUT", path: path, token: admin.access, body: map[string]any{"mount": "/Disk", "kind": "local", "dir": dir}})
			if d := storagesOf(t, r)["/Disk"]; d["kind"] != "local" || strings.Contains(string(r.body), dir) {
				t.Fatalf("admin PUT: %s", r.body)
			}
			noSecret(t, r, davPassword)
			if r.json["used_bytes"] != 22.0 {
				t.Fatalf("used_bytes %v, want 5 at home, 7 on /Cloud and 10 on /Disk", r.json["used_bytes"])
			}
			if got := get(t); got["/Disk"] == nil {
				t.Fatalf("ann does not see /Disk: %v", got)
			}
			if g := s.davBearer(t, ann.access, "GET", "/dav/Disk/disk.txt", "", nil); g.status != http.StatusOK || string(g.body) != "0123456789" {
				t.Fatalf("GET /dav/Disk/disk.txt: %d %s", g.status, g.body)
			}
			adminGet := s.do(t, req{method: "GET", path: path, token: admin.access})
			if len(storagesOf(t, adminGet)) != 3 {
				t.Fatalf("admin GET: %s", adminGet.body)
			}
			want(t, s.do(t, req{method: "DELETE", path: path + "?mount=/Disk", token: admin.access}), http.StatusNoContent)
			want(t, s.do(t, req{method: "PUT", path: "/admin/users/999999/storage", token: admin.access, body: cloud}), http.StatusNotFound)
		})
		t.Run("delete", func(t *testing.T) {
			want(t, s.do(t, req{method: "DELETE", path: "/storage?mount=/Cloud", token: ann.access}), http.StatusNoContent)
			if got := get(t); len(got) != 1 {
				t.Fatalf("after DELETE: %v", got)
			}
			want(t, s.do(t, req{method: "DELETE", path: "/storage?mount=/Cloud", token: ann.access}), http.StatusNotFound, "not_found")
			for _, q := range []string{"?mount=/", "", "?mount=/a/b", "?mount=Cloud"} {
				want(t, s.do(t, req{method: "DELETE", path: "/storage" + q, token: ann.access}), http.StatusBadRequest, "invalid_input")
			}
		})
	})
}

func TestStorageWithoutKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, options{noKeys: true})
		s.addUser("ann", "ann-password", false)
		ann := s.signin(t, "ann", "ann-password")
		remote := remoteDAV(t, "u", "p")
		r := s.do(t, req{method: "PUT", path: "/storage", token: ann.access,
			body: map[string]any{"mount": "/Cloud", "kind": "webdav", "url": remote, "username": "u", "secret": "p"}})
		want(t, r, http.StatusServiceUnavailable, "no_encryption_key")
		if !strings.Contains(r.message(), "DOCUVAULT_ENCRYPTION_KEY") {
			t.Fatalf("the message does not tell the administrator what to set: %s", r.body)
		}
		if got := storagesOf(t, s.do(t, req{method: "GET", path: "/storage", token: ann.access})); len(got) != 1 {
			t.Fatalf("saved without a key: %v", got)
		}
		// Nothing to seal: the default home needs no key.
		storagesOf(t, s.do(t, req{method: "PUT", path: "/storage", token: ann.access, body: map[string]any{"mount": "/", "kind": "local"}}))
	})
}

// spaceDAV is a WebDAV storage whose server reports its quota as space
// says: used and available, or an error.
type spaceDAV struct {
	backends.Backend
	used, avail int64
	err         error
}

func (b spaceDAV) Space(context.Context) (int64, int64, error) { return b.used, b.avail, b.err }

func TestStorageSpace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		// The remote account's name says what its server reports.
		reports := map[string]spaceDAV{
			"big":     {used: 1000, avail: 5000},
			"unknown": {used: 7, avail: -1},
			"down":    {err: errors.New("the server did not answer")},
		}
		s := newServer(t, st, options{drivers: map[string]func(context.Context, storage.Spec) (backends.Backend, error){
			storage.WebDAV: func(_ context.Context, sp storage.Spec) (backends.Backend, error) {
				b, err := dav.New(dav.Config{URL: sp.URL, Username: sp.Username, Password: sp.Secrets["password"]})
				if err != nil {
					return nil, err
				}
				r := reports[sp.Username]
				r.Backend = b
				return r, nil
			},
		}})
		annUser := s.addUser("ann", "ann-password", false)
		ann := s.signin(t, "ann", "ann-password")
		for mount, user := range map[string]string{"/Big": "big", "/Unknown": "unknown", "/Down": "down"} {
			storagesOf(t, s.do(t, req{method: "PUT", path: "/storage", token: ann.access,
				body: map[string]any{"mount": mount, "kind": "webdav", "url": remoteDAV(t, user, "pw"), "username": user, "secret": "pw"}}))
		}
		s.addUser("root", "root-password", true)
		admin := s.signin(t, "root", "root-password")
		for name, r := range map[string]reply{
			"own":   s.do(t, req{method: "GET", path: "/storage", token: ann.access}),
			"admin": s.do(t, req{method: "GET", path: "/admin/users/" + itoa(annUser.ID) + "/storage", token: admin.access}),
		} {
			got := storagesOf(t, r)
			if len(got) != 4 {
				t.Fatalf("%s: storages %s", name, r.body)
			}
			if sp, ok := got["/Big"]["space"].(map[string]any); !ok || sp["used"] != 1000.0 || sp["available"] != 5000.0 || len(sp) != 2 {
				t.Errorf("%s: /Big space %v, want used 1000 and available 5000", name, got["/Big"]["space"])
			}
			for _, m := range []string{"/", "/Unknown", "/Down"} {
				if sp, ok := got[m]["space"]; ok {
					t.Errorf("%s: %s has space %v, want none", name, m, sp)
				}
			}
		}
	})
}
