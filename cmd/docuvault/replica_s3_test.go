package main

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/docuvault/docuvault/internal/miniotest"
	"github.com/docuvault/docuvault/internal/testserver"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// TestStatelessReplicasOnS3 runs two replicas as a deployment would: one
// PostgreSQL, one MinIO, one DOCUVAULT_ENCRYPTION_KEY, and nothing else in
// common (each its own data dir). Alice's home is on the bucket.
func TestStatelessReplicasOnS3(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	t.Setenv("DOCUVAULT_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString(key)) // both processes and the CLI
	dbURL := storetest.URL(t, store.Postgres)
	m := miniotest.Start(t)
	bucket := m.NewBucket(t)
	s1 := testserver.Start(t, testserver.Options{DatabaseURL: dbURL})
	s2 := testserver.Start(t, testserver.Options{DatabaseURL: dbURL})
	s1.AddUser("alice", "alice-pw")
	if out, err := s2.Run(m.SecretKey+"\n", "storage", "set", "alice", "--kind", "s3", "--endpoint", m.Endpoint,
		"--bucket", bucket, "--prefix", "users/alice", "--access-key", m.AccessKey, "--secret-stdin"); err != nil {
		t.Fatalf("storage set: %v\n%s", err, out)
	}
	const pw = "alice-pw"

	t.Run("a file written through one is read through the other", func(t *testing.T) {
		if code, _, _ := call(t, s1, "PUT", "/dav/shared.txt", pw, nil, "from replica 1"); code != http.StatusCreated {
			t.Fatalf("PUT through 1: %d", code)
		}
		if code, _, body := call(t, s2, "GET", "/dav/shared.txt", pw, nil, ""); code != 200 || body != "from replica 1" {
			t.Errorf("GET through 2: %d %q", code, body)
		}
		if _, err := m.Client().StatObject(t.Context(), bucket, "users/alice/shared.txt", minio.StatObjectOptions{}); err != nil {
			t.Errorf("not in the bucket: %v", err)
		}
	})
	t.Run("a lock taken through one blocks a PUT through the other", func(t *testing.T) {
		code, hdr, _ := call(t, s1, "LOCK", "/dav/shared.txt", pw, map[string]string{"Timeout": "Second-600"}, lockBody)
		token := hdr.Get("Lock-Token")
		if code != http.StatusOK || token == "" {
			t.Fatalf("LOCK through 1: %d", code)
		}
		if code, _, _ := call(t, s2, "PUT", "/dav/shared.txt", pw, nil, "from replica 2"); code != http.StatusLocked {
			t.Errorf("PUT through 2 without the token: %d, want 423", code)
		}
		if code, _, _ := call(t, s2, "PUT", "/dav/shared.txt", pw, map[string]string{"If": "(" + token + ")"}, "from replica 2"); code != http.StatusNoContent {
			t.Errorf("PUT through 2 with the token: %d, want 204", code)
		}
		if code, _, body := call(t, s1, "GET", "/dav/shared.txt", pw, nil, ""); code != 200 || body != "from replica 2" {
			t.Errorf("GET through 1: %d %q", code, body)
		}
		for i, s := range []*testserver.Server{s1, s2} {
			_, _, metrics := call(t, s, "GET", "/metrics", "", nil, "")
			if got := metric(metrics, "docuvault_webdav_active_locks", ""); got != 1 {
				t.Errorf("replica %d reports %v active locks, want 1", i+1, got)
			}
		}
	})
	t.Run("a session started on one works on the other", func(t *testing.T) {
		code, out, _ := apiCall(t, s1.URL, "POST", "/auth/signin", "", "", map[string]string{"login": "alice", "password": pw})
		token, _ := out["access_token"].(string)
		if code != http.StatusOK || token == "" {
			t.Fatalf("sign-in through 1: %d %v", code, out)
		}
		if code, out, _ := apiCall(t, s2.URL, "GET", "/auth/me", token, "", nil); code != 200 || out["username"] != "alice" {
			t.Errorf("/auth/me through 2: %d %v", code, out)
		}
		if code, _, _ := apiCall(t, s2.URL, "POST", "/auth/logout", token, "", nil); code != http.StatusNoContent {
			t.Fatalf("logout through 2: %d", code)
		}
		if code, _, _ := apiCall(t, s1.URL, "GET", "/auth/me", token, "", nil); code != http.StatusUnauthorized {
			t.Errorf("the token after logout through 2, on 1: %d, want 401", code)
		}
	})
	t.Run("no files on the replicas' disks", func(t *testing.T) {
		for i, s := range []*testserver.Server{s1, s2} {
			entries, _ := os.ReadDir(filepath.Join(s.DataDir, "files"))
			for _, e := range entries {
				if sub, _ := os.ReadDir(filepath.Join(s.DataDir, "files", e.Name())); len(sub) > 0 {
					t.Errorf("replica %d keeps files in %s", i+1, e.Name())
				}
			}
		}
	})
}
