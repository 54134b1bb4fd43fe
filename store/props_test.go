package store_test

import (
	"cmp"
	"errors"
	"path"
	"slices"
	"testing"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func set(space, local, xml string) store.PropOp {
	return store.PropOp{Prop: store.Prop{Space: space, Local: local, XML: xml}}
}

func remove(space, local string) store.PropOp {
	return store.PropOp{Prop: store.Prop{Space: space, Local: local}, Remove: true}
}

func sortProps(ps []store.Prop) []store.Prop {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b store.Prop) int {
		return cmp.Or(cmp.Compare(a.Space, b.Space), cmp.Compare(a.Local, b.Local))
	})
	return ps
}

func TestProps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		props := func(t *testing.T, uid int64, p string) []store.Prop {
			t.Helper()
			ps, err := st.Props(ctx, uid, p)
			if err != nil {
				t.Fatal(err)
			}
			return sortProps(ps)
		}
		patch := func(t *testing.T, uid int64, p string, ops ...store.PropOp) {
			t.Helper()
			if err := st.PatchProps(ctx, uid, p, ops); err != nil {
				t.Fatalf("PatchProps(%q): %v", p, err)
			}
		}
		// mark gives each of paths one property whose value is the path.
		mark := func(t *testing.T, uid int64, paths ...string) {
			t.Helper()
			for _, p := range paths {
				patch(t, uid, p, set("urn:t", "mark", p))
			}
		}
		// marked reports which of paths still carry their mark, and where.
		marked := func(t *testing.T, uid int64, paths ...string) []string {
			t.Helper()
			var out []string
			for _, p := range paths {
				for _, pr := range props(t, uid, p) {
					if pr.Local == "mark" {
						out = append(out, p+"="+pr.XML)
					}
				}
			}
			return out
		}

		t.Run("round trip", func(t *testing.T) {
			u := newUser(t, st)
			want := store.Prop{Space: "http://example.com/ns", Local: "author", Lang: "de-CH", XML: `<b xmlns="urn:b">Jörg &amp; "Ann" 's</b>`}
			patch(t, u.ID, "/doc.txt", store.PropOp{Prop: want})
			if got := props(t, u.ID, "/doc.txt"); !slices.Equal(got, []store.Prop{want}) {
				t.Fatalf("Props = %+v, want %+v", got, want)
			}
			if got := props(t, u.ID, "/other.txt"); len(got) != 0 {
				t.Fatalf("Props of a path without properties = %+v", got)
			}
		})

		t.Run("ops apply in document order", func(t *testing.T) {
			u := newUser(t, st)
			cases := []struct {
				name     string
				existing bool
				ops      []store.PropOp
				want     string // value of urn:o p afterwards, "" for none
			}{
				{"set twice", false, []store.PropOp{set("urn:o", "p", "1"), set("urn:o", "p", "2")}, "2"},
				{"set then remove", false, []store.PropOp{set("urn:o", "p", "1"), remove("urn:o", "p")}, ""},
				{"set then remove existing", true, []store.PropOp{set("urn:o", "p", "1"), remove("urn:o", "p")}, ""},
				{"remove then set", false, []store.PropOp{remove("urn:o", "p"), set("urn:o", "p", "1")}, "1"},
				{"remove then set existing", true, []store.PropOp{remove("urn:o", "p"), set("urn:o", "p", "1")}, "1"},
				{"remove missing", false, []store.PropOp{remove("urn:o", "p")}, ""},
				{"replace existing", true, []store.PropOp{set("urn:o", "p", "new")}, "new"},
			}
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					p := "/order-" + string(rune('a'+i))
					if c.existing {
						patch(t, u.ID, p, set("urn:o", "p", "old"))
					}
					patch(t, u.ID, p, c.ops...)
					got := props(t, u.ID, p)
					switch {
					case c.want == "" && len(got) != 0:
						t.Fatalf("props = %+v, want none", got)
					case c.want != "" && (len(got) != 1 || got[0].XML != c.want):
						t.Fatalf("props = %+v, want p=%q", got, c.want)
					}
				})
			}
		})

		t.Run("names are namespace and local name", func(t *testing.T) {
			u := newUser(t, st)
			patch(t, u.ID, "/n", set("urn:a", "p", "a"), set("urn:b", "p", "b"), set("urn:a", "P", "A"), set("", "p", "none"))
			patch(t, u.ID, "/n", remove("urn:b", "p"))
			want := []store.Prop{{Local: "p", XML: "none"}, {Space: "urn:a", Local: "P", XML: "A"}, {Space: "urn:a", Local: "p", XML: "a"}}
			if got := props(t, u.ID, "/n"); !slices.Equal(got, want) {
				t.Fatalf("props = %+v, want %+v", got, want)
			}
		})

		t.Run("hostile names", func(t *testing.T) {
			u := newUser(t, st)
			dir := "/" + path.Join(hostile...)
			for _, el := range hostile {
				p := path.Join(dir, el)
				pr := store.Prop{Space: "urn:" + el, Local: el, Lang: "x-" + el, XML: el}
				patch(t, u.ID, p, store.PropOp{Prop: pr})
				if got := props(t, u.ID, p); !slices.Equal(got, []store.Prop{pr}) {
					t.Errorf("Props(%q) = %+v, want %+v", p, got, pr)
				}
			}
			in, err := st.PropsIn(ctx, u.ID, dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(in) != len(hostile) {
				t.Errorf("PropsIn(%q) has %q", dir, keys(in))
			}
		})

		t.Run("PropsIn returns direct children only", func(t *testing.T) {
			u := newUser(t, st)
			mark(t, u.ID, "/", "/a", "/a/b", "/a/b/c", "/a/é", "/a b", "/a0", "/ab")
			cases := map[string][]string{
				"/":     {"/a", "/a b", "/a0", "/ab"},
				"/a":    {"/a/b", "/a/é"},
				"/a/b":  {"/a/b/c"},
				"/a b":  nil,
				"/none": nil,
			}
			for dir, want := range cases {
				t.Run(dir, func(t *testing.T) {
					m, err := st.PropsIn(ctx, u.ID, dir)
					if err != nil {
						t.Fatal(err)
					}
					if got := keys(m); !slices.Equal(got, want) && len(got)+len(want) > 0 {
						t.Fatalf("PropsIn(%q) paths = %q, want %q", dir, got, want)
					}
					for p, ps := range m {
						if len(ps) != 1 || ps[0].XML != p {
							t.Errorf("PropsIn(%q)[%q] = %+v", dir, p, ps)
						}
					}
				})
			}
		})

		t.Run("DeleteProps removes the subtree only", func(t *testing.T) {
			u, other := newUser(t, st), newUser(t, st)
			all := []string{"/", "/a", "/a/b", "/a/b/c", "/a/é", "/a/ b", "/a b", "/a b/x", "/a.", "/a-", "/a0", "/ab", "/b/a"}
			mark(t, u.ID, all...)
			mark(t, other.ID, "/a", "/a/b")
			if err := st.DeleteProps(ctx, u.ID, "/a"); err != nil {
				t.Fatal(err)
			}
			want := []string{"/=/", "/a b=/a b", "/a b/x=/a b/x", "/a.=/a.", "/a-=/a-", "/a0=/a0", "/ab=/ab", "/b/a=/b/a"}
			if got := marked(t, u.ID, all...); !slices.Equal(got, want) {
				t.Errorf("left after DeleteProps(/a):\n got %q\nwant %q", got, want)
			}
			if got := marked(t, other.ID, "/a", "/a/b"); len(got) != 2 {
				t.Errorf("other user's props: %q", got)
			}
			if err := st.DeleteProps(ctx, u.ID, "/"); err != nil {
				t.Fatal(err)
			}
			if got := marked(t, u.ID, all...); len(got) != 0 {
				t.Errorf("left after DeleteProps(/): %q", got)
			}
		})

		t.Run("MoveProps moves the subtree", func(t *testing.T) {
			u, other := newUser(t, st), newUser(t, st)
			mark(t, u.ID, "/a", "/a/b", "/a/b/c", "/a b", "/a0", "/x", "/x/old", "/x0")
			mark(t, other.ID, "/a", "/x/old")
			if err := st.MoveProps(ctx, u.ID, "/a", "/x"); err != nil {
				t.Fatal(err)
			}
			// Marks keep their old paths as values: "/x=/a" moved from /a.
			want := []string{"/a b=/a b", "/a0=/a0", "/x=/a", "/x/b=/a/b", "/x/b/c=/a/b/c", "/x0=/x0"}
			all := []string{"/a", "/a/b", "/a/b/c", "/a b", "/a0", "/x", "/x/b", "/x/b/c", "/x/old", "/x0"}
			if got := marked(t, u.ID, all...); !slices.Equal(got, want) {
				t.Errorf("after MoveProps(/a, /x):\n got %q\nwant %q", got, want)
			}
			in, err := st.PropsIn(ctx, u.ID, "/x")
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(in); !slices.Equal(got, []string{"/x/b"}) {
				t.Errorf("PropsIn(/x) after move = %q; parents must follow", got)
			}
			if got := marked(t, other.ID, "/a", "/x/old"); len(got) != 2 {
				t.Errorf("other user's props: %q", got)
			}
		})

		t.Run("MoveProps to a deeper or shallower path", func(t *testing.T) {
			u := newUser(t, st)
			mark(t, u.ID, "/s", "/s/f", "/d/old")
			if err := st.MoveProps(ctx, u.ID, "/s", "/d/e/s2"); err != nil {
				t.Fatal(err)
			}
			all := []string{"/s", "/s/f", "/d", "/d/old", "/d/e/s2", "/d/e/s2/f"}
			if got, want := marked(t, u.ID, all...), []string{"/d/old=/d/old", "/d/e/s2=/s", "/d/e/s2/f=/s/f"}; !slices.Equal(got, want) {
				t.Fatalf("after moving deeper:\n got %q\nwant %q", got, want)
			}
			// Onto its own ancestor: the ancestor's props are replaced, not lost with it.
			if err := st.MoveProps(ctx, u.ID, "/d/e/s2", "/d"); err != nil {
				t.Fatal(err)
			}
			all = append(all, "/d/f")
			if got, want := marked(t, u.ID, all...), []string{"/d=/s", "/d/f=/s/f"}; !slices.Equal(got, want) {
				t.Fatalf("after moving onto an ancestor:\n got %q\nwant %q", got, want)
			}
		})

		t.Run("MoveProps into itself fails", func(t *testing.T) {
			u := newUser(t, st)
			mark(t, u.ID, "/m", "/m/n")
			if err := st.MoveProps(ctx, u.ID, "/m", "/m/n/o"); err == nil || errors.Is(err, store.ErrNotFound) {
				t.Fatalf("MoveProps into its own subtree = %v, want an error", err)
			}
			if got := marked(t, u.ID, "/m", "/m/n"); len(got) != 2 {
				t.Fatalf("props after failed move: %q", got)
			}
			if err := st.MoveProps(ctx, u.ID, "/m", "/m"); err != nil {
				t.Fatal(err)
			}
			if got := marked(t, u.ID, "/m", "/m/n"); len(got) != 2 {
				t.Fatalf("props after moving onto itself: %q", got)
			}
		})

		t.Run("MoveProps with hostile names", func(t *testing.T) {
			u := newUser(t, st)
			var src, dst []string
			for _, el := range hostile {
				src = append(src, "/from "+el+"/"+el)
				dst = append(dst, "/to "+el+"/"+el)
			}
			for i := range src {
				mark(t, u.ID, src[i])
				if err := st.MoveProps(ctx, u.ID, path.Dir(src[i]), path.Dir(dst[i])); err != nil {
					t.Fatal(err)
				}
				if got := marked(t, u.ID, src[i], dst[i]); !slices.Equal(got, []string{dst[i] + "=" + src[i]}) {
					t.Errorf("moving %q: %q", src[i], got)
				}
			}
		})
	})
}
