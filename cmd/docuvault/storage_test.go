package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func newKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// dbText returns everything the database holds, as a dump would: pg_dump
// for PostgreSQL, the raw database files for SQLite.
func dbText(t *testing.T, dialect store.Dialect, dataDir, url string) string {
	t.Helper()
	if dialect == store.Postgres {
		out, err := exec.Command("pg_dump", "--no-owner", strings.Split(url, "?")[0], "-n", schemaOf(url)).Output()
		if err != nil {
			t.Fatalf("pg_dump: %v", err)
		}
		return string(out)
	}
	var all bytes.Buffer
	files, _ := filepath.Glob(filepath.Join(dataDir, "docuvault.db*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	if all.Len() == 0 {
		t.Fatal("no database files found")
	}
	return all.String()
}

func schemaOf(url string) string {
	_, q, _ := strings.Cut(url, "search_path=")
	s, _, _ := strings.Cut(q, "&")
	return s
}

func TestStorageCommands(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			data := t.TempDir()
			url := storetest.URL(t, d)
			env := map[string]string{"DOCUVAULT_DATA_DIR": data, "DOCUVAULT_ENCRYPTION_KEY": newKey()}
			if d == store.Postgres {
				env["DOCUVAULT_DATABASE_URL"] = url
			}
			mustCLI(t, env, "pw-for-ann-123\n", "user", "add", "ann", "--password-stdin")
			const webdavSecret = "Nextcloud-App-Password-7f3a9"
			const s3Secret = "S3-Secret-Key-Do-Not-Leak-91c2"

			t.Run("a secret needs a key", func(t *testing.T) {
				noKey := map[string]string{"DOCUVAULT_DATA_DIR": data, "DOCUVAULT_DATABASE_URL": env["DOCUVAULT_DATABASE_URL"]}
				_, _, err := runCLI(t, noKey, webdavSecret+"\n", "storage", "mount", "ann", "/Cloud", "--kind", "webdav",
					"--url", "https://127.0.0.1:1/cloud/", "--username", "ann", "--secret-stdin", "--no-check")
				if err == nil || !strings.Contains(err.Error(), "DOCUVAULT_ENCRYPTION_KEY") {
					t.Fatalf("storing a secret without a key: %v", err)
				}
			})
			mustCLI(t, env, webdavSecret+"\n", "storage", "mount", "ann", "/Cloud", "--kind", "webdav",
				"--url", "https://127.0.0.1:1/cloud/", "--username", "ann", "--nextcloud", "--secret-stdin", "--no-check")
			mustCLI(t, env, s3Secret+"\n", "storage", "mount", "ann", "/Bucket", "--kind", "s3",
				"--endpoint", "127.0.0.1:1", "--bucket", "b", "--access-key", "AK", "--secret-stdin", "--no-check")

			t.Run("show hides secrets", func(t *testing.T) {
				out := mustCLI(t, env, "", "storage", "show", "ann")
				for _, want := range []string{"/Cloud", "https://127.0.0.1:1/cloud/ as ann", "/Bucket", "set (encrypted)"} {
					if !strings.Contains(out, want) {
						t.Errorf("show lacks %q:\n%s", want, out)
					}
				}
				if strings.Contains(out, webdavSecret) || strings.Contains(out, s3Secret) {
					t.Fatalf("show prints a secret:\n%s", out)
				}
			})
			t.Run("the database holds no plaintext secret", func(t *testing.T) {
				dump := dbText(t, d, data, url)
				if !strings.Contains(dump, "127.0.0.1:1/cloud/") {
					t.Fatal("the dump does not contain the storages at all")
				}
				for _, s := range []string{webdavSecret, s3Secret, "pw-for-ann-123"} {
					if strings.Contains(dump, s) {
						t.Errorf("the database dump contains %q in plaintext", s)
					}
				}
			})
			t.Run("rotate-key reseals under the new key", func(t *testing.T) {
				rotated := map[string]string{"DOCUVAULT_DATA_DIR": data, "DOCUVAULT_DATABASE_URL": env["DOCUVAULT_DATABASE_URL"],
					"DOCUVAULT_ENCRYPTION_KEY": newKey(), "DOCUVAULT_OLD_ENCRYPTION_KEYS": env["DOCUVAULT_ENCRYPTION_KEY"]}
				if out := mustCLI(t, rotated, "", "rotate-key"); !strings.Contains(out, "resealed 2 of 2 storage secrets and 0 TOTP") {
					t.Fatalf("rotate-key: %s", out)
				}
				onlyNew := map[string]string{"DOCUVAULT_DATA_DIR": data, "DOCUVAULT_DATABASE_URL": env["DOCUVAULT_DATABASE_URL"],
					"DOCUVAULT_ENCRYPTION_KEY": rotated["DOCUVAULT_ENCRYPTION_KEY"]}
				if out := mustCLI(t, onlyNew, "", "storage", "show", "ann"); strings.Contains(out, "cannot read") {
					t.Fatalf("after rotation the new key alone cannot read:\n%s", out)
				}
				if out := mustCLI(t, env, "", "storage", "show", "ann"); !strings.Contains(out, "cannot read") {
					t.Fatalf("the old key alone still reads after rotation:\n%s", out)
				}
			})
			t.Run("unmount and errors", func(t *testing.T) {
				mustCLI(t, env, "", "storage", "unmount", "ann", "/Bucket")
				for _, args := range [][]string{
					{"storage", "unmount", "ann", "/Bucket"},
					{"storage", "show", "nobody"},
					{"storage", "set", "ann", "--kind", "ftp"},
					{"storage", "set", "ann", "--kind", "s3", "--endpoint", "http://x", "--bucket", "b", "--access-key", "a", "--no-check"},
					{"storage", "mount", "ann", "/a/b", "--kind", "local"},
					{"storage", "mount", "ann", "/Disk", "--kind", "local"}, // the default folder is the home's
					{"storage", "mount", "ann", "/Disk", "--kind", "webdav", "--url", "https://u:p@127.0.0.1:1/", "--username", "u", "--no-check"},
					{"storage", "set", "ann", "--kind", "local", "--dir", "relative/dir"},
				} {
					if _, _, err := runCLI(t, env, "", args...); err == nil {
						t.Errorf("docuvault %s succeeded", strings.Join(args, " "))
					}
				}
			})
			t.Run("a storage that cannot be reached is not saved", func(t *testing.T) {
				_, _, err := runCLI(t, env, s3Secret+"\n", "storage", "set", "ann", "--kind", "s3",
					"--endpoint", "127.0.0.1:1", "--bucket", "b", "--access-key", "AK", "--secret-stdin")
				if err == nil {
					t.Fatal("an unreachable storage was accepted")
				}
				if strings.Contains(err.Error(), s3Secret) {
					t.Fatal("the error shows the secret")
				}
				if out := mustCLI(t, env, "", "storage", "show", "ann"); strings.Contains(out, "127.0.0.1:1/b") && !strings.Contains(out, "/Bucket") {
					t.Fatalf("saved anyway:\n%s", out)
				}
			})
			t.Run("local home and quota", func(t *testing.T) {
				dir := t.TempDir()
				os.WriteFile(filepath.Join(dir, "existing.txt"), []byte("0123456789"), 0o600)
				// /Cloud cannot be reached from here: counting warns, saving works.
				_, errOut, err := runCLI(t, env, "", "storage", "set", "ann", "--kind", "local", "--dir", dir)
				if err != nil || !strings.Contains(errOut, "could not be counted") {
					t.Fatalf("set with an unreachable mount: %v %q", err, errOut)
				}
				mustCLI(t, env, "", "storage", "unmount", "ann", "/Cloud")
				out := mustCLI(t, env, "", "storage", "set", "ann", "--kind", "local", "--dir", dir)
				if !strings.Contains(out, "counted 10 B") {
					t.Fatalf("set did not count the existing files: %s", out)
				}
				mustCLI(t, env, "", "user", "quota", "ann", "1.5KiB")
				if out := mustCLI(t, env, "", "user", "list"); !strings.Contains(out, "1.5 KiB") || !strings.Contains(out, "10 B") {
					t.Fatalf("user list: %s", out)
				}
				if _, _, err := runCLI(t, env, "", "user", "quota", "ann", "lots"); err == nil {
					t.Fatal("a bad size was accepted")
				}
			})
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "none": 0, "1024": 1024, "10GiB": 10 << 30, "500MB": 500e6, "1.5KiB": 1536, "2 TiB": 2 << 40} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "ten", "5XB", "1e30GiB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}
