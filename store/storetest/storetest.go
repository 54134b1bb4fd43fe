// Package storetest gives tests a fresh, migrated database of each dialect.
//
// PostgreSQL comes from TEST_DATABASE_URL; each call gets its own schema,
// dropped when the test ends. Without TEST_DATABASE_URL the PostgreSQL
// cases are skipped, except under CI=true, where that fails the test.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/store"
)

// Dialects lists the dialects every store-backed suite runs on.
var Dialects = []store.Dialect{store.SQLite, store.Postgres}

// URL returns the URL of a fresh, empty database of dialect d.
func URL(t testing.TB, d store.Dialect) string {
	t.Helper()
	if d == store.SQLite {
		return filepath.Join(t.TempDir(), "test.db")
	}
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set: the PostgreSQL tests cannot run (CI=true forbids skipping)")
		}
		t.Skip("TEST_DATABASE_URL is not set; skipping PostgreSQL")
	}
	schema := "t_" + strings.ToLower(rand.Text()[:12])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		t.Fatalf("PostgreSQL at TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a fresh migrated store of dialect d, closed when the test ends.
func Open(t testing.TB, d store.Dialect) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), URL(t, d))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// Each runs fn as a subtest once per dialect with a fresh store.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Name makes a unique name for test objects.
func Name(prefix string) string {
	return fmt.Sprintf("%s%s", prefix, strings.ToLower(rand.Text()[:8]))
}
