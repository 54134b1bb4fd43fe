package store_test

import (
	"slices"
	"testing"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// hostile are path elements that break naive quoting, escaping or prefix
// matching.
var hostile = []string{
	`hello? sausage`, `êé`, `Hello, 世界`, `" ' @ < > & ? + ≠`, `100% done`, `a%2Fb`, `-- ; DROP TABLE users`, `z.txt`,
}

func newUser(t *testing.T, st *store.Store) store.User {
	t.Helper()
	u, err := st.CreateUser(t.Context(), storetest.Name("user-"), "hash", false)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// keys returns the sorted keys of m.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
