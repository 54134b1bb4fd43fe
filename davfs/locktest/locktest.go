// Package locktest is the conformance suite of DocuVault's lock system: a
// webdav.LockSystem bound to one user and one request, whose state lives in
// storage shared by every request and every server process.
//
// The contract, beyond the webdav.LockSystem doc comments:
//   - Create with a duration >= 0 stores an exclusive lock and returns a
//     fresh token; it returns webdav.ErrLocked when the user holds a lock that
//     overlaps (a depth-infinity lock covers its descendants, a depth-0 lock
//     only its root).
//   - Create with a negative duration is webdav.Handler's per-request lock:
//     it checks conflicts the same way but stores nothing.
//   - Refresh and Unlock of an unknown or expired token return
//     webdav.ErrNoSuchLock. A lock expires at now >= creation time + duration.
//   - Confirm evaluates one If-header list against name0 (name1 when name0 is
//     empty): a token condition holds when that token's lock covers the name,
//     an ETag condition when the resource exists with that ETag, Not inverts,
//     and every condition must hold. Otherwise webdav.ErrConfirmationFailed.
//   - A user never sees another user's locks.
package locktest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/webdav"
)

// User picks one of the two accounts a Factory serves.
type User int

const (
	Alice User = iota
	Bob
)

// Factory is one lock database under test, fresh for each call of the
// newSystem function given to Run.
type Factory struct {
	// New returns the lock system of a new request by u. Two requests
	// share nothing but the storage.
	New func(u User) webdav.LockSystem
	// Replica is New through a second, separately opened connection to the
	// same storage, as another server process would have. Nil skips those
	// cases.
	Replica func(u User) webdav.LockSystem
	// Put creates or replaces file name of u with content and returns its
	// ETag as clients see it, quotes included.
	Put func(u User, name, content string) (etag string)
}

// Run checks the contract above, one subtest per behaviour, calling
// newSystem for a fresh Factory in each.
func Run(t *testing.T, newSystem func(t *testing.T) Factory) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newSystem(t)
			if c.replica && f.Replica == nil {
				t.Skip("no replica")
			}
			c.fn(t, &env{Factory: f, t0: time.Now()})
		})
	}
}

type env struct {
	Factory
	t0 time.Time // the clock every case starts from
}

// at returns t0 + d.
func (e *env) at(d time.Duration) time.Time { return e.t0.Add(d) }

func exclusive(root string, d time.Duration) webdav.LockDetails {
	return webdav.LockDetails{Root: root, Duration: d}
}

func depth0(root string, d time.Duration) webdav.LockDetails {
	return webdav.LockDetails{Root: root, Duration: d, ZeroDepth: true}
}

func token(tok string) webdav.Condition    { return webdav.Condition{Token: tok} }
func notToken(tok string) webdav.Condition { return webdav.Condition{Token: tok, Not: true} }
func etag(tag string) webdav.Condition     { return webdav.Condition{ETag: tag} }
func notETag(tag string) webdav.Condition  { return webdav.Condition{ETag: tag, Not: true} }

// create makes a lock that must be granted.
func create(t *testing.T, ls webdav.LockSystem, now time.Time, d webdav.LockDetails) string {
	t.Helper()
	tok, err := ls.Create(now, d)
	if err != nil {
		t.Fatalf("Create(%+v) = %v", d, err)
	}
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		t.Fatalf("Create(%+v) returned token %q, want a URI without whitespace", d, tok)
	}
	return tok
}

// confirm reports whether the conditions hold, failing on any error other
// than webdav.ErrConfirmationFailed.
func confirm(t *testing.T, ls webdav.LockSystem, now time.Time, name0, name1 string, conds ...webdav.Condition) bool {
	t.Helper()
	release, err := ls.Confirm(now, name0, name1, conds...)
	switch {
	case err == nil && release != nil:
		release()
		return true
	case errors.Is(err, webdav.ErrConfirmationFailed) && release == nil:
		return false
	}
	t.Fatalf("Confirm(%q, %q, %+v) = release %v, %v; want exactly one of release and ErrConfirmationFailed",
		name0, name1, conds, release != nil, err)
	return false
}

func wantConfirm(t *testing.T, ls webdav.LockSystem, now time.Time, name string, want bool, conds ...webdav.Condition) {
	t.Helper()
	if got := confirm(t, ls, now, name, "", conds...); got != want {
		t.Errorf("Confirm(%q, %+v) = %v, want %v", name, conds, got, want)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s = %v, want %v", what, err, want)
	}
}

type testCase struct {
	name    string
	replica bool
	fn      func(t *testing.T, e *env)
}

var cases = []testCase{
	{name: "Create stores a lock", fn: func(t *testing.T, e *env) {
		ls := e.New(Alice)
		owner := `<D:href xmlns:D="DAV:">mailto:alice@example.com</D:href>`
		tok := create(t, ls, e.t0, webdav.LockDetails{Root: "/dir/doc.txt", Duration: time.Hour, OwnerXML: owner, ZeroDepth: true})
		if other := create(t, ls, e.t0, exclusive("/other", time.Hour)); other == tok {
			t.Fatalf("two locks share the token %q", tok)
		}
		wantConfirm(t, e.New(Alice), e.t0, "/dir/doc.txt", true, token(tok))
		got, err := e.New(Alice).Refresh(e.t0, tok, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if got.Root != "/dir/doc.txt" || !got.ZeroDepth || got.OwnerXML != owner || got.Duration != time.Hour {
			t.Fatalf("Refresh returned %+v", got)
		}
	}},

	{name: "Create refuses conflicting locks", fn: func(t *testing.T, e *env) {
		conflicts := []struct {
			name      string
			held, new webdav.LockDetails
			conflict  bool
		}{
			{"same root", exclusive("/f", time.Hour), exclusive("/f", time.Hour), true},
			{"depth-0 on the same root", depth0("/f", time.Hour), depth0("/f", time.Hour), true},
			{"infinity ancestor covers descendant", exclusive("/d", time.Hour), depth0("/d/e/f", time.Hour), true},
			{"descendant blocks infinity ancestor", depth0("/d/e/f", time.Hour), exclusive("/d", time.Hour), true},
			{"depth-0 ancestor leaves descendant free", depth0("/d", time.Hour), exclusive("/d/e", time.Hour), false},
			{"descendant leaves depth-0 ancestor free", exclusive("/d/e", time.Hour), depth0("/d", time.Hour), false},
			{"root infinity covers everything", exclusive("/", time.Hour), depth0("/x/y", time.Hour), true},
			{"sibling with space", exclusive("/a", time.Hour), exclusive("/a b", time.Hour), false},
			{"sibling with suffix", exclusive("/a", time.Hour), exclusive("/a0", time.Hour), false},
			{"unicode names", exclusive("/ü/é", time.Hour), depth0("/ü/é/世界", time.Hour), true},
		}
		for _, c := range conflicts {
			t.Run(c.name, func(t *testing.T) {
				f := e.New
				// Each case in its own folder of one system.
				prefix := "/" + strings.ReplaceAll(c.name, " ", "-")
				held, nw := c.held, c.new
				held.Root, nw.Root = prefix+held.Root, prefix+nw.Root
				create(t, f(Alice), e.t0, held)
				_, err := f(Alice).Create(e.t0, nw)
				if c.conflict {
					wantErr(t, "conflicting Create", err, webdav.ErrLocked)
				} else if err != nil {
					t.Errorf("Create = %v, want success", err)
				}
			})
		}
	}},

	{name: "Create with negative duration stores nothing", fn: func(t *testing.T, e *env) {
		tok := create(t, e.New(Alice), e.t0, depth0("/free", -1))
		if ok := confirm(t, e.New(Alice), e.t0, "/free", "", token(tok)); ok {
			t.Error("the per-request lock's token confirms: it was stored")
		}
		if err := e.New(Alice).Unlock(e.t0, tok); err != nil {
			t.Errorf("Unlock of the per-request token = %v", err)
		}
		create(t, e.New(Alice), e.t0, exclusive("/free", time.Hour))
		_, err := e.New(Alice).Create(e.t0, depth0("/free", -1))
		wantErr(t, "per-request Create on a locked name", err, webdav.ErrLocked)
		_, err = e.New(Alice).Create(e.t0, depth0("/free/child", -1))
		wantErr(t, "per-request Create below a locked folder", err, webdav.ErrLocked)
	}},

	{name: "Refresh", fn: func(t *testing.T, e *env) {
		tok := create(t, e.New(Alice), e.t0, exclusive("/r", time.Hour))
		got, err := e.New(Alice).Refresh(e.at(30*time.Minute), tok, 2*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if got.Root != "/r" || got.Duration != 2*time.Hour || got.ZeroDepth {
			t.Errorf("Refresh returned %+v", got)
		}
		// Past the first expiry, within the refreshed one.
		wantConfirm(t, e.New(Alice), e.at(90*time.Minute), "/r", true, token(tok))
		_, err = e.New(Alice).Refresh(e.t0, "urn:uuid:00000000-0000-4000-8000-000000000000", time.Hour)
		wantErr(t, "Refresh(unknown)", err, webdav.ErrNoSuchLock)
		_, err = e.New(Alice).Refresh(e.at(3*time.Hour), tok, time.Hour)
		wantErr(t, "Refresh(expired)", err, webdav.ErrNoSuchLock)
	}},

	{name: "Unlock", fn: func(t *testing.T, e *env) {
		tok := create(t, e.New(Alice), e.t0, exclusive("/u", time.Hour))
		if err := e.New(Alice).Unlock(e.t0, tok); err != nil {
			t.Fatal(err)
		}
		wantConfirm(t, e.New(Alice), e.t0, "/u", false, token(tok))
		create(t, e.New(Alice), e.t0, exclusive("/u", time.Hour))
		wantErr(t, "second Unlock", e.New(Alice).Unlock(e.t0, tok), webdav.ErrNoSuchLock)
		wantErr(t, "Unlock(unknown)", e.New(Alice).Unlock(e.t0, "urn:uuid:00000000-0000-4000-8000-000000000000"), webdav.ErrNoSuchLock)
		old := create(t, e.New(Alice), e.t0, exclusive("/old", time.Hour))
		wantErr(t, "Unlock(expired)", e.New(Alice).Unlock(e.at(2*time.Hour), old), webdav.ErrNoSuchLock)
	}},

	{name: "locks expire", fn: func(t *testing.T, e *env) {
		tok := create(t, e.New(Alice), e.t0, exclusive("/x", time.Hour))
		before, after := e.at(time.Hour-time.Second), e.at(time.Hour)
		wantConfirm(t, e.New(Alice), before, "/x", true, token(tok))
		_, err := e.New(Alice).Create(before, exclusive("/x", time.Hour))
		wantErr(t, "Create before expiry", err, webdav.ErrLocked)
		wantConfirm(t, e.New(Alice), after, "/x", false, token(tok))
		wantConfirm(t, e.New(Alice), after, "/x", true, notToken(tok))
		create(t, e.New(Alice), after, depth0("/x", -1))
		create(t, e.New(Alice), after, exclusive("/x", time.Hour))
	}},

	{name: "a token covers its lock's scope", fn: func(t *testing.T, e *env) {
		inf := create(t, e.New(Alice), e.t0, exclusive("/d", time.Hour))
		zero := create(t, e.New(Alice), e.t0, depth0("/z", time.Hour))
		ls := e.New(Alice)
		for name, want := range map[string]bool{"/d": true, "/d/e": true, "/d/e/f g": true, "/": false, "/d0": false, "/d e": false, "/z": false} {
			wantConfirm(t, ls, e.t0, name, want, token(inf))
		}
		for name, want := range map[string]bool{"/z": true, "/z/child": false, "/": false, "/d": false} {
			wantConfirm(t, ls, e.t0, name, want, token(zero))
		}
		// With name0 empty the list applies to name1, as for COPY.
		if !confirm(t, ls, e.t0, "", "/d/copy", token(inf)) {
			t.Error(`Confirm("", "/d/copy") with the /d token failed`)
		}
		if confirm(t, ls, e.t0, "", "/elsewhere", token(inf)) {
			t.Error(`Confirm("", "/elsewhere") with the /d token held`)
		}
	}},

	{name: "Not inverts a condition", fn: func(t *testing.T, e *env) {
		tok := create(t, e.New(Alice), e.t0, exclusive("/n", time.Hour))
		ls := e.New(Alice)
		wantConfirm(t, ls, e.t0, "/n", false, notToken(tok))
		wantConfirm(t, ls, e.t0, "/n", true, notToken("urn:uuid:unknown"))
		wantConfirm(t, ls, e.t0, "/elsewhere", true, notToken(tok))
	}},

	{name: "every condition of a list must hold", fn: func(t *testing.T, e *env) {
		tok := create(t, e.New(Alice), e.t0, exclusive("/all", time.Hour))
		tag := e.Put(Alice, "/all", "content")
		ls := e.New(Alice)
		wantConfirm(t, ls, e.t0, "/all", true, token(tok), notToken("urn:uuid:unknown"), etag(tag))
		wantConfirm(t, ls, e.t0, "/all", false, token(tok), token("urn:uuid:unknown"))
		wantConfirm(t, ls, e.t0, "/all", false, token(tok), notETag(tag))
		wantConfirm(t, ls, e.t0, "/all", false, token("urn:uuid:unknown"), token(tok))
	}},

	{name: "a condition without token or ETag never holds", fn: func(t *testing.T, e *env) {
		ls := e.New(Alice)
		wantConfirm(t, ls, e.t0, "/", false, webdav.Condition{})
		wantConfirm(t, ls, e.t0, "/", false, webdav.Condition{Not: true})
	}},

	{name: "ETag conditions", fn: func(t *testing.T, e *env) {
		tag := e.Put(Alice, "/e.txt", "v1")
		if tag == "" {
			t.Fatal("Put returned no ETag")
		}
		ls := e.New(Alice)
		wantConfirm(t, ls, e.t0, "/e.txt", true, etag(tag))
		wantConfirm(t, ls, e.t0, "/e.txt", false, etag(`"not-the-etag"`))
		wantConfirm(t, ls, e.t0, "/e.txt", true, notETag(`"not-the-etag"`))
		wantConfirm(t, ls, e.t0, "/e.txt", false, notETag(tag))
		wantConfirm(t, ls, e.t0, "/missing.txt", false, etag(tag))
		wantConfirm(t, ls, e.t0, "/missing.txt", true, notETag(tag))
		// Bob's file of the same name has its own ETag.
		wantConfirm(t, e.New(Bob), e.t0, "/e.txt", false, etag(tag))
		tag2 := e.Put(Alice, "/e.txt", "version two")
		if tag2 == tag {
			t.Fatalf("ETag %s unchanged by a new content", tag)
		}
		ls = e.New(Alice)
		wantConfirm(t, ls, e.t0, "/e.txt", false, etag(tag))
		wantConfirm(t, ls, e.t0, "/e.txt", true, etag(tag2))
	}},

	{name: "users are isolated", fn: func(t *testing.T, e *env) {
		tok := create(t, e.New(Alice), e.t0, exclusive("/", time.Hour))
		wantConfirm(t, e.New(Bob), e.t0, "/", false, token(tok))
		create(t, e.New(Bob), e.t0, depth0("/x", -1))
		bobs := create(t, e.New(Bob), e.t0, exclusive("/", time.Hour))
		_, err := e.New(Bob).Refresh(e.t0, tok, time.Hour)
		wantErr(t, "Bob refreshes Alice's lock", err, webdav.ErrNoSuchLock)
		wantErr(t, "Bob unlocks Alice's lock", e.New(Bob).Unlock(e.t0, tok), webdav.ErrNoSuchLock)
		wantConfirm(t, e.New(Alice), e.t0, "/", true, token(tok))
		wantConfirm(t, e.New(Alice), e.t0, "/", false, token(bobs))
		_, err = e.New(Alice).Create(e.t0, depth0("/x", -1))
		wantErr(t, "Alice's per-request lock under her own lock", err, webdav.ErrLocked)
	}},

	{name: "an instance sees its own changes", fn: func(t *testing.T, e *env) {
		ls := e.New(Alice)
		wantConfirm(t, ls, e.t0, "/own", true, notToken("urn:uuid:unknown")) // loads any cache
		tok := create(t, ls, e.t0, exclusive("/own", time.Hour))
		wantConfirm(t, ls, e.t0, "/own", true, token(tok))
		_, err := ls.Create(e.t0, depth0("/own", -1))
		wantErr(t, "per-request Create after Create", err, webdav.ErrLocked)
		if err := ls.Unlock(e.t0, tok); err != nil {
			t.Fatal(err)
		}
		wantConfirm(t, ls, e.t0, "/own", false, token(tok))
		create(t, ls, e.t0, depth0("/own", -1))
	}},

	{name: "a new request sees the lock", fn: func(t *testing.T, e *env) {
		tok := create(t, e.New(Alice), e.t0, exclusive("/shared", time.Hour))
		wantConfirm(t, e.New(Alice), e.t0, "/shared/f", true, token(tok))
		_, err := e.New(Alice).Create(e.t0, exclusive("/shared/f", time.Hour))
		wantErr(t, "Create in a new request", err, webdav.ErrLocked)
		if err := e.New(Alice).Unlock(e.t0, tok); err != nil {
			t.Fatal(err)
		}
		wantConfirm(t, e.New(Alice), e.t0, "/shared/f", false, token(tok))
	}},

	{name: "another process sees the lock", replica: true, fn: func(t *testing.T, e *env) {
		tok := create(t, e.New(Alice), e.t0, exclusive("/repl", time.Hour))
		wantConfirm(t, e.Replica(Alice), e.t0, "/repl/f", true, token(tok))
		_, err := e.Replica(Alice).Create(e.t0, depth0("/repl/f", -1))
		wantErr(t, "per-request Create on the replica", err, webdav.ErrLocked)
		if _, err := e.Replica(Alice).Refresh(e.at(30*time.Minute), tok, 2*time.Hour); err != nil {
			t.Fatalf("Refresh on the replica: %v", err)
		}
		wantConfirm(t, e.New(Alice), e.at(90*time.Minute), "/repl", true, token(tok))
		if err := e.Replica(Alice).Unlock(e.t0, tok); err != nil {
			t.Fatalf("Unlock on the replica: %v", err)
		}
		wantConfirm(t, e.New(Alice), e.t0, "/repl", false, token(tok))
		create(t, e.New(Alice), e.t0, exclusive("/repl", time.Hour))
	}},

	{name: "concurrent conflicting Creates: one wins", fn: func(t *testing.T, e *env) {
		const n, rounds = 12, 5
		// Every pair overlaps; half the requests go to the replica, if any.
		roots := []webdav.LockDetails{exclusive("/c", time.Hour), exclusive("/c/d", time.Hour), depth0("/c/d/e", time.Hour)}
		for round := range rounds {
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				newLS := e.New
				if i%2 == 1 && e.Replica != nil {
					newLS = e.Replica
				}
				ls := newLS(Alice)
				d := roots[i%len(roots)]
				d.Root = fmt.Sprintf("/r%d%s", round, d.Root)
				wg.Go(func() {
					<-start
					_, errs[i] = ls.Create(e.t0, d)
				})
			}
			close(start)
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, webdav.ErrLocked):
					t.Errorf("round %d: Create = %v, want success or ErrLocked", round, err)
				}
			}
			if wins != 1 {
				t.Fatalf("round %d: %d of %d conflicting Creates succeeded, want 1", round, wins, n)
			}
		}
	}},
}
