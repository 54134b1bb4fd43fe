package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// t0 is a fixed clock: the store takes now as a parameter, so expiry is
// tested without waiting.
var t0 = time.Date(2031, 5, 17, 10, 0, 0, 0, time.UTC)

func lock(uid int64, root string, shared, zero bool) store.Lock {
	return store.Lock{
		Token: storetest.Name("urn:uuid:"), UserID: uid, Root: root, Shared: shared, ZeroDepth: zero,
		Timeout: time.Hour, Expires: t0.Add(time.Hour),
	}
}

func tokens(ls []store.Lock) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Token)
	}
	slices.Sort(out)
	return out
}

func TestLocks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		locksAt := func(t *testing.T, uid int64, now time.Time) []store.Lock {
			t.Helper()
			ls, err := st.Locks(ctx, uid, now)
			if err != nil {
				t.Fatal(err)
			}
			return ls
		}
		create := func(t *testing.T, l store.Lock) {
			t.Helper()
			if err := st.CreateLock(ctx, l, t0); err != nil {
				t.Fatalf("CreateLock(%s %v shared=%v zero=%v): %v", l.Root, l.Token, l.Shared, l.ZeroDepth, err)
			}
		}

		t.Run("round trip", func(t *testing.T) {
			u := newUser(t, st)
			l := lock(u.ID, "/dir/ü ' \" %.txt", true, true)
			l.OwnerXML = `<D:href xmlns:D="DAV:">mailto:a@example.com</D:href>`
			create(t, l)
			got := locksAt(t, u.ID, t0)
			if len(got) != 1 {
				t.Fatalf("Locks = %+v", got)
			}
			if g := got[0]; g.Token != l.Token || g.UserID != l.UserID || g.Root != l.Root || g.ZeroDepth != l.ZeroDepth ||
				g.Shared != l.Shared || g.OwnerXML != l.OwnerXML || g.Timeout != l.Timeout || !g.Expires.Equal(l.Expires) {
				t.Fatalf("Locks()[0] = %+v\nwant %+v", g, l)
			}
		})

		t.Run("infinite timeout", func(t *testing.T) {
			u := newUser(t, st)
			l := lock(u.ID, "/forever", false, false)
			l.Timeout, l.Expires = -1, time.Time{}
			create(t, l)
			got := locksAt(t, u.ID, t0.Add(100*365*24*time.Hour))
			if len(got) != 1 || got[0].Timeout >= 0 || !got[0].Expires.IsZero() {
				t.Fatalf("Locks a century later = %+v, want the lock with Timeout < 0 and no expiry", got)
			}
		})

		t.Run("conflicts", func(t *testing.T) {
			type spec struct {
				root         string
				shared, zero bool
			}
			ex := func(root string) spec { return spec{root: root} }
			sh := func(root string) spec { return spec{root: root, shared: true} }
			ex0 := func(root string) spec { return spec{root: root, zero: true} }
			sh0 := func(root string) spec { return spec{root: root, shared: true, zero: true} }
			cases := []struct {
				name      string
				held, new spec
				conflict  bool
			}{
				{"exclusive vs exclusive", ex("/f"), ex("/f"), true},
				{"shared vs shared", sh("/f"), sh("/f"), false},
				{"shared then exclusive", sh("/f"), ex("/f"), true},
				{"exclusive then shared", ex("/f"), sh("/f"), true},
				{"depth-0 vs depth-0", ex0("/f"), ex0("/f"), true},
				{"infinity ancestor vs depth-0 descendant", ex("/d"), ex0("/d/e/f"), true},
				{"depth-0 descendant vs infinity ancestor", ex0("/d/e/f"), ex("/d"), true},
				{"infinity descendant vs infinity ancestor", ex("/d/e"), ex("/d"), true},
				{"depth-0 ancestor vs descendant", ex0("/d"), ex("/d/e"), false},
				{"descendant vs depth-0 ancestor", ex("/d/e"), ex0("/d"), false},
				{"shared infinity ancestor vs shared descendant", sh("/d"), sh0("/d/e"), false},
				{"shared infinity ancestor vs exclusive descendant", sh("/d"), ex("/d/e"), true},
				{"root infinity vs anything", ex("/"), ex0("/x/y"), true},
				{"root depth-0 vs child", ex0("/"), ex("/x"), false},
				{"sibling with space", ex("/a"), ex("/a b"), false},
				{"sibling with suffix", ex("/a"), ex("/a0"), false},
				{"sibling prefix", ex("/ab"), ex("/a"), false},
				{"unrelated", ex("/a"), ex("/b"), false},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					u := newUser(t, st)
					create(t, lock(u.ID, c.held.root, c.held.shared, c.held.zero))
					l := lock(u.ID, c.new.root, c.new.shared, c.new.zero)
					err := st.CreateLock(ctx, l, t0)
					if c.conflict {
						if !errors.Is(err, store.ErrLocked) {
							t.Fatalf("CreateLock = %v, want ErrLocked", err)
						}
						if got := locksAt(t, u.ID, t0); len(got) != 1 {
							t.Fatalf("a refused lock was stored: %+v", got)
						}
						return
					}
					if err != nil {
						t.Fatalf("CreateLock = %v, want success", err)
					}
					if got := locksAt(t, u.ID, t0); len(got) != 2 {
						t.Fatalf("Locks = %+v, want both", got)
					}
				})
			}
		})

		t.Run("expiry", func(t *testing.T) {
			u := newUser(t, st)
			l := lock(u.ID, "/e", false, false)
			l.Timeout, l.Expires = time.Minute, t0.Add(time.Minute)
			create(t, l)
			if got := locksAt(t, u.ID, t0.Add(time.Minute-time.Millisecond)); len(got) != 1 {
				t.Fatalf("before expiry: Locks = %+v", got)
			}
			later := t0.Add(time.Minute)
			if got := locksAt(t, u.ID, later); len(got) != 0 {
				t.Fatalf("at expiry: Locks = %+v, want none", got)
			}
			if _, err := st.RefreshLock(ctx, u.ID, l.Token, time.Hour, later); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("RefreshLock of an expired lock = %v, want ErrNotFound", err)
			}
			if err := st.DeleteLock(ctx, u.ID, l.Token, later); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("DeleteLock of an expired lock = %v, want ErrNotFound", err)
			}
			n := lock(u.ID, "/e/child", false, false)
			if err := st.CreateLock(ctx, n, later); err != nil {
				t.Fatalf("CreateLock over an expired lock = %v", err)
			}
			if got := tokens(locksAt(t, u.ID, t0)); !slices.Equal(got, []string{n.Token}) {
				t.Errorf("Locks = %q, want only the new lock: the expired one is gone", got)
			}
		})

		t.Run("refresh", func(t *testing.T) {
			u, other := newUser(t, st), newUser(t, st)
			l := lock(u.ID, "/r", false, true)
			l.Timeout, l.Expires = time.Minute, t0.Add(time.Minute)
			create(t, l)
			at := t0.Add(30 * time.Second)
			got, err := st.RefreshLock(ctx, u.ID, l.Token, 10*time.Minute, at)
			if err != nil {
				t.Fatal(err)
			}
			if got.Token != l.Token || got.Root != "/r" || !got.ZeroDepth || got.Timeout != 10*time.Minute || !got.Expires.Equal(at.Add(10*time.Minute)) {
				t.Fatalf("RefreshLock = %+v", got)
			}
			if ls := locksAt(t, u.ID, t0.Add(5*time.Minute)); len(ls) != 1 || !ls[0].Expires.Equal(at.Add(10*time.Minute)) {
				t.Fatalf("after refresh: Locks = %+v", ls)
			}
			if _, err := st.RefreshLock(ctx, u.ID, "urn:uuid:unknown", time.Hour, at); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("RefreshLock(unknown) = %v", err)
			}
			if _, err := st.RefreshLock(ctx, other.ID, l.Token, time.Hour, at); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("RefreshLock by another user = %v", err)
			}
			inf, err := st.RefreshLock(ctx, u.ID, l.Token, -1, at)
			if err != nil || inf.Timeout >= 0 || !inf.Expires.IsZero() {
				t.Fatalf("RefreshLock to infinite = %+v, %v", inf, err)
			}
		})

		t.Run("delete", func(t *testing.T) {
			u, other := newUser(t, st), newUser(t, st)
			l, keep := lock(u.ID, "/del", false, false), lock(u.ID, "/keep", false, false)
			create(t, l)
			create(t, keep)
			if err := st.DeleteLock(ctx, other.ID, l.Token, t0); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("DeleteLock by another user = %v", err)
			}
			if err := st.DeleteLock(ctx, u.ID, l.Token, t0); err != nil {
				t.Fatal(err)
			}
			if err := st.DeleteLock(ctx, u.ID, l.Token, t0); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("second DeleteLock = %v", err)
			}
			if got := tokens(locksAt(t, u.ID, t0)); !slices.Equal(got, []string{keep.Token}) {
				t.Errorf("Locks = %q, want %q", got, keep.Token)
			}
			create(t, lock(u.ID, "/del", false, false)) // no longer conflicts
		})

		t.Run("DeleteLocksAt removes the subtree only", func(t *testing.T) {
			u, other := newUser(t, st), newUser(t, st)
			byRoot := map[string]store.Lock{}
			for _, root := range []string{"/a", "/a/b", "/a/b/c", "/a/é", "/a b", "/a0", "/ab", "/b/a"} {
				l := lock(u.ID, root, true, true)
				create(t, l)
				byRoot[root] = l
			}
			o := lock(other.ID, "/a", false, false)
			create(t, o)
			if err := st.DeleteLocksAt(ctx, u.ID, "/a"); err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, l := range locksAt(t, u.ID, t0) {
				left = append(left, l.Root)
			}
			slices.Sort(left)
			if want := []string{"/a b", "/a0", "/ab", "/b/a"}; !slices.Equal(left, want) {
				t.Errorf("roots left = %q, want %q", left, want)
			}
			if got := tokens(locksAt(t, other.ID, t0)); !slices.Equal(got, []string{o.Token}) {
				t.Errorf("other user's locks = %q", got)
			}
			if err := st.DeleteLocksAt(ctx, u.ID, "/"); err != nil {
				t.Fatal(err)
			}
			if got := locksAt(t, u.ID, t0); len(got) != 0 {
				t.Errorf("after DeleteLocksAt(/): %+v", got)
			}
		})

		t.Run("users are isolated", func(t *testing.T) {
			a, b := newUser(t, st), newUser(t, st)
			la := lock(a.ID, "/", false, false)
			create(t, la)
			if got := locksAt(t, b.ID, t0); len(got) != 0 {
				t.Fatalf("B sees %+v", got)
			}
			lb := lock(b.ID, "/", false, false)
			if err := st.CreateLock(ctx, lb, t0); err != nil {
				t.Fatalf("B's lock conflicts with A's: %v", err)
			}
			if _, err := st.RefreshLock(ctx, b.ID, la.Token, time.Hour, t0); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("B refreshes A's lock: %v", err)
			}
			if err := st.DeleteLock(ctx, b.ID, la.Token, t0); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("B deletes A's lock: %v", err)
			}
			if err := st.DeleteLocksAt(ctx, b.ID, "/"); err != nil {
				t.Fatal(err)
			}
			if got := tokens(locksAt(t, a.ID, t0)); !slices.Equal(got, []string{la.Token}) {
				t.Errorf("A's locks = %q, want %q", got, la.Token)
			}
		})
	})
}

// TestCreateLockRace creates conflicting locks from many goroutines through
// two stores on one database, as two replicas would: exactly one may win.
// A race is probabilistic, so it runs several rounds on warm connections.
func TestCreateLockRace(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			url := storetest.URL(t, d)
			stores := make([]*store.Store, 2)
			for i := range stores {
				st, err := store.Open(t.Context(), url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				if _, err := st.Migrate(t.Context()); err != nil {
					t.Fatal(err)
				}
				stores[i] = st
			}
			u := newUser(t, stores[0])
			const n, rounds = 16, 10
			// Every pair of these overlaps: only the deepest has depth 0.
			roots := []string{"/doc", "/doc/sub", "/", "/doc/sub/x"}
			race := func(round int, shared bool) (wins int, errs []error) {
				results := make(chan error, n)
				var ready, start, done sync.WaitGroup
				start.Add(1)
				for i := range n {
					ready.Add(1)
					done.Add(1)
					go func() {
						defer done.Done()
						st := stores[i%2]
						l := lock(u.ID, roots[i%len(roots)], shared, i%len(roots) == 3)
						l.Token = fmt.Sprintf("urn:race:%v:%d:%d", shared, round, i)
						st.Locks(context.Background(), u.ID, t0) // warm a connection
						ready.Done()
						start.Wait()
						results <- st.CreateLock(context.Background(), l, t0)
					}()
				}
				ready.Wait()
				start.Done()
				done.Wait()
				close(results)
				for err := range results {
					switch {
					case err == nil:
						wins++
					case !errors.Is(err, store.ErrLocked):
						errs = append(errs, err)
					}
				}
				return wins, errs
			}
			for _, shared := range []bool{false, true} {
				want := 1
				if shared {
					want = n
				}
				t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
					for round := range rounds {
						if err := stores[0].DeleteLocksAt(t.Context(), u.ID, "/"); err != nil {
							t.Fatal(err)
						}
						wins, errs := race(round, shared)
						if wins != want || len(errs) != 0 {
							t.Fatalf("round %d: %d of %d locks granted, want %d; other errors: %v", round, wins, n, want, errs)
						}
						if ls, _ := stores[1].Locks(t.Context(), u.ID, t0); len(ls) != want {
							t.Fatalf("round %d: %d locks stored, want %d", round, len(ls), want)
						}
					}
				})
			}
		})
	}
}

func TestCountLocks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		a, b := newUser(t, st), newUser(t, st)
		for _, l := range []store.Lock{lock(a.ID, "/x", false, false), lock(a.ID, "/y", false, true), lock(b.ID, "/x", true, false)} {
			if err := st.CreateLock(ctx, l, t0); err != nil {
				t.Fatal(err)
			}
		}
		short := lock(b.ID, "/z", false, false)
		short.Timeout, short.Expires = time.Minute, t0.Add(time.Minute)
		if err := st.CreateLock(ctx, short, t0); err != nil {
			t.Fatal(err)
		}
		for at, want := range map[time.Time]int{t0: 4, t0.Add(2 * time.Minute): 3, t0.Add(2 * time.Hour): 0} {
			if n, err := st.CountLocks(ctx, at); err != nil || n != want {
				t.Errorf("CountLocks(%v) = %d, %v; want %d", at, n, err, want)
			}
		}
	})
}
