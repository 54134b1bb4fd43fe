package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/webdav"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// eachDumpable runs fn once per dialect with a fresh store and a function
// returning everything the database holds, as a dump would: pg_dump for
// PostgreSQL, the raw database files for SQLite.
func eachDumpable(t *testing.T, fn func(t *testing.T, st *store.Store, dump func() string)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			url := storetest.URL(t, d)
			st, err := store.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if _, err := st.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			dump := func() string {
				t.Helper()
				if d == store.Postgres {
					_, q, _ := strings.Cut(url, "search_path=")
					schema, _, _ := strings.Cut(q, "&")
					out, err := exec.Command("pg_dump", "--no-owner", strings.Split(url, "?")[0], "-n", schema).Output()
					if err != nil {
						t.Fatalf("pg_dump: %v", err)
					}
					return string(out)
				}
				var all bytes.Buffer
				files, _ := filepath.Glob(url + "*")
				for _, f := range files {
					b, _ := os.ReadFile(f)
					all.Write(b)
				}
				return all.String()
			}
			fn(t, st, dump)
		})
	}
}

// remoteDAV is a WebDAV server in memory that admits one user and password;
// it returns the server's URL, ending in "/".
func remoteDAV(t *testing.T, user, pass string) string {
	t.Helper()
	h := &webdav.Handler{FileSystem: webdav.NewMemFS(), LockSystem: webdav.NewMemLS()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="remote"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// storageFields are the fields of each storage in GET /storage.
var storageFields = []string{"access_key", "bucket", "endpoint", "kind", "mount", "nextcloud", "prefix", "region", "secret_set", "tls", "url", "username"}

// storagesOf returns the storages of a storage list by mount, checking the
// home comes first and each has exactly the documented fields.
func storagesOf(t *testing.T, r reply) map[string]map[string]any {
	t.Helper()
	want(t, r, http.StatusOK)
	list, _ := r.json["storages"].([]any)
	if _, ok := r.json["used_bytes"].(float64); !ok || len(list) == 0 {
		t.Fatalf("not a storage list: %s", r.body)
	}
	if _, ok := r.json["quota_bytes"].(float64); !ok {
		t.Fatalf("no quota_bytes: %s", r.body)
	}
	out := map[string]map[string]any{}
	for i, x := range list {
		m := x.(map[string]any)
		var keys []string
		for k := range m {
			if k != "space" { // optional: only a storage that reports its quota has it
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		if !slices.Equal(keys, storageFields) {
			t.Errorf("storage fields %v, want %v", keys, storageFields)
		}
		if i == 0 && m["mount"] != "/" {
			t.Errorf("the first storage is %v, not the home", m["mount"])
		}
		out[m["mount"].(string)] = m
	}
	return out
}

// noSecret fails the test if r's body or headers carry any of secrets.
func noSecret(t *testing.T, r reply, secrets ...string) {
	t.Helper()
	all := string(r.body)
	for k, v := range r.header {
		all += k + ": " + strings.Join(v, ", ") + "\n"
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Fatalf("the answer carries a secret (%.6s…):\n%s", s, all)
		}
	}
}
