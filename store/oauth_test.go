package store_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func TestOAuthStates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u := newUser(t, st)
		now := time.Unix(1_800_000_000, 0)
		flow := store.OAuthState{StateHash: "s1", BindingHash: "b1", UserID: u.ID, Provider: "gdrive", Mount: "/Drive",
			Verifier: "dv1:k:sealed", ExpiresAt: now.Add(10 * time.Minute)}
		if err := st.CreateOAuthState(ctx, flow); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateOAuthState(ctx, flow); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a second flow with the same state: %v", err)
		}
		got, err := st.TakeOAuthState(ctx, "s1")
		if err != nil || got != flow {
			t.Fatalf("took %+v, %v; want %+v", got, err, flow)
		}
		if _, err := st.TakeOAuthState(ctx, "s1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a state taken twice: %v", err)
		}

		t.Run("one taker wins", func(t *testing.T) {
			flow.StateHash = "s2"
			if err := st.CreateOAuthState(ctx, flow); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Go(func() { _, errs[i] = st.TakeOAuthState(ctx, "s2") })
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, store.ErrNotFound):
					t.Fatal(err)
				}
			}
			if won != 1 {
				t.Fatalf("%d takers got the state", won)
			}
		})
		t.Run("cleanup and user deletion remove flows", func(t *testing.T) {
			flow.StateHash, flow.ExpiresAt = "old", now
			if err := st.CreateOAuthState(ctx, flow); err != nil {
				t.Fatal(err)
			}
			flow.StateHash, flow.ExpiresAt = "live", now.Add(time.Minute)
			if err := st.CreateOAuthState(ctx, flow); err != nil {
				t.Fatal(err)
			}
			if _, err := st.CleanupAuth(ctx, now, time.Hour); err != nil {
				t.Fatal(err)
			}
			if _, err := st.TakeOAuthState(ctx, "old"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("expired flow after cleanup: %v", err)
			}
			if err := st.DeleteUser(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := st.TakeOAuthState(ctx, "live"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a deleted user's flow: %v", err)
			}
		})
	})
}

func TestUpdateStorageSecrets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u := newUser(t, st)
		row := store.Storage{UserID: u.ID, Mount: "/Drive", Kind: "gdrive", Config: `{"root_id":"r"}`, Secrets: "dv1:k:one"}
		if err := st.PutStorage(ctx, row); err != nil {
			t.Fatal(err)
		}
		current := func(t *testing.T) store.Storage {
			t.Helper()
			rows, err := st.Storages(ctx, u.ID)
			if err != nil || len(rows) != 1 {
				t.Fatalf("rows %+v, %v", rows, err)
			}
			return rows[0]
		}
		before := current(t)

		err := st.UpdateStorageSecrets(ctx, u.ID, "/Drive", func(cur store.Storage) (string, error) {
			if cur.Secrets != "dv1:k:one" || cur.Kind != "gdrive" {
				t.Errorf("fn saw %+v", cur)
			}
			return "dv1:k:two", nil
		})
		if after := current(t); err != nil || after.Secrets != "dv1:k:two" || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("after update: %+v, %v (updated_at must stay, so open backends stay cached)", after, err)
		}

		t.Run("fn's error or empty answer changes nothing", func(t *testing.T) {
			boom := errors.New("boom")
			if err := st.UpdateStorageSecrets(ctx, u.ID, "/Drive", func(store.Storage) (string, error) { return "x", boom }); !errors.Is(err, boom) {
				t.Fatalf("err %v", err)
			}
			if err := st.UpdateStorageSecrets(ctx, u.ID, "/Drive", func(store.Storage) (string, error) { return "", nil }); err != nil {
				t.Fatal(err)
			}
			if current(t).Secrets != "dv1:k:two" {
				t.Fatal("changed")
			}
		})
		t.Run("a missing storage", func(t *testing.T) {
			err := st.UpdateStorageSecrets(ctx, u.ID, "/Nope", func(store.Storage) (string, error) {
				t.Error("fn called")
				return "", nil
			})
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("err %v", err)
			}
		})
		t.Run("a storage replaced meanwhile wins", func(t *testing.T) {
			if st.Dialect() == store.SQLite {
				t.Skip("SQLite's write lock holds PutStorage back until fn returns")
			}
			err := st.UpdateStorageSecrets(ctx, u.ID, "/Drive", func(store.Storage) (string, error) {
				// A reconnect takes no lock.
				row.Secrets = "dv1:k:reconnected"
				if err := st.PutStorage(ctx, row); err != nil {
					t.Error(err)
				}
				return "dv1:k:refreshed", nil
			})
			if got := current(t).Secrets; err != nil || got != "dv1:k:reconnected" {
				t.Fatalf("secrets %q, %v", got, err)
			}
		})
		t.Run("the lock serialises callers of one storage only", func(t *testing.T) {
			if st.Dialect() == store.SQLite {
				t.Skip("SQLite serialises every writer")
			}
			other := store.Storage{UserID: u.ID, Mount: "/Other", Kind: "gdrive", Config: `{}`, Secrets: "dv1:k:o"}
			if err := st.PutStorage(ctx, other); err != nil {
				t.Fatal(err)
			}
			entered, release := make(chan struct{}), make(chan struct{})
			var finished atomic.Bool
			go func() {
				st.UpdateStorageSecrets(ctx, u.ID, "/Drive", func(store.Storage) (string, error) {
					close(entered)
					<-release
					finished.Store(true)
					return "", nil
				})
			}()
			<-entered
			// Another storage's lock is free while /Drive's is held...
			if err := st.UpdateStorageSecrets(ctx, u.ID, "/Other", func(store.Storage) (string, error) { return "dv1:k:o2", nil }); err != nil {
				t.Fatal(err)
			}
			// ...and /Drive's next holder gets in only after the first.
			second := make(chan bool, 1)
			go func() {
				st.UpdateStorageSecrets(ctx, u.ID, "/Drive", func(store.Storage) (string, error) {
					second <- finished.Load()
					return "", nil
				})
			}()
			time.Sleep(50 * time.Millisecond) // give a broken lock the chance to let it in
			close(release)
			if !<-second {
				t.Fatal("two callers held /Drive's lock at once")
			}
		})
	})
}
