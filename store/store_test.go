package store_test

import (
	"context"
	"io/fs"
	"testing"

	"github.com/docuvault/docuvault/migrations"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func TestMigrate(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := t.Context()
			files, err := fs.Glob(migrations.FS, string(d)+"/*.sql")
			if err != nil || len(files) == 0 {
				t.Fatalf("no %s migrations: %v", d, err)
			}
			url := storetest.URL(t, d)
			st, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if st.Dialect() != d {
				t.Fatalf("Dialect = %q, want %q", st.Dialect(), d)
			}
			t.Run("first run applies every migration", func(t *testing.T) {
				if n, err := st.Migrate(ctx); err != nil || n != len(files) {
					t.Fatalf("Migrate = %d, %v; want %d", n, err, len(files))
				}
			})
			t.Run("second run applies none", func(t *testing.T) {
				if n, err := st.Migrate(ctx); err != nil || n != 0 {
					t.Fatalf("Migrate = %d, %v; want 0", n, err)
				}
			})
			t.Run("another store on the same database applies none", func(t *testing.T) {
				st2, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				defer st2.Close()
				if n, err := st2.Migrate(ctx); err != nil || n != 0 {
					t.Fatalf("Migrate = %d, %v; want 0", n, err)
				}
			})
		})
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{"", "sqlite:"} {
		if st, err := store.Open(ctx, url); err == nil {
			st.Close()
			t.Errorf("Open(%q) succeeded", url)
		}
	}
}
