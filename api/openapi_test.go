package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

type operation struct {
	Security  *[]map[string]any          `json:"security"`
	Responses map[string]json.RawMessage `json:"responses"`
}

// TestOpenAPIDocumentsEveryRoute keeps openapi.json true: every registered
// route is documented with its method, nothing else is, every reference
// resolves, public routes are marked as needing no token, and every error
// code the code can answer is listed.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	s := newServer(t, storetest.Open(t, store.SQLite))
	r := s.do(t, req{method: "GET", path: "/openapi.json"})
	want(t, r, http.StatusOK)
	var doc openAPIDoc
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}

	registered := map[string]bool{}
	for _, p := range s.api.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		path = strings.TrimPrefix(path, "/api/v1")
		key := strings.ToLower(method) + " " + path
		registered[key] = true
		raw, ok := doc.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Errorf("route %s is not documented", p)
			continue
		}
		var op operation
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		// A browser-facing route (the OAuth callback) succeeds with a redirect.
		if !slices.ContainsFunc(keys(op.Responses), func(c string) bool { return strings.HasPrefix(c, "2") || c == "302" }) {
			t.Errorf("%s documents no success response", key)
		}
		// Public or not, as the server behaves without a token.
		probe := s.do(t, req{method: method, path: strings.ReplaceAll(path, "{id}", "1")})
		needsToken := probe.status == http.StatusUnauthorized && probe.code() == "unauthorized"
		documentedBearer := op.Security == nil // the document's default is bearer
		if op.Security != nil {
			for _, req := range *op.Security {
				_, ok := req["bearer"]
				documentedBearer = documentedBearer || ok
			}
		}
		if needsToken != documentedBearer {
			t.Errorf("%s: needs a bearer token %v, documented as needing one %v", key, needsToken, documentedBearer)
		}
		if needsToken {
			if _, ok := op.Responses["401"]; !ok {
				t.Errorf("%s needs a token but documents no 401", key)
			}
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			if !registered[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not a route", strings.ToUpper(method), path)
			}
		}
	}

	t.Run("every reference resolves", func(t *testing.T) {
		var whole map[string]any
		json.Unmarshal(r.body, &whole)
		for _, ref := range regexp.MustCompile(`"\$ref":\s*"#/([^"]+)"`).FindAllStringSubmatch(string(r.body), -1) {
			var node any = whole
			for _, part := range strings.Split(ref[1], "/") {
				m, _ := node.(map[string]any)
				node = m[part]
			}
			if node == nil {
				t.Errorf("unresolved $ref #/%s", ref[1])
			}
		}
	})

	t.Run("every error code is documented", func(t *testing.T) {
		enum := doc.Components.Schemas["Error"].Properties["error"].Properties["code"].Enum
		files, _ := filepath.Glob("*.go")
		used := map[string]bool{"body_too_large": true, "not_found": true, "conflict": true, "internal": true} // from writeError
		re := regexp.MustCompile(`errorf\([^,]+,\s*"([a-z_]+)"`)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				used[m[1]] = true
			}
		}
		if len(used) < 15 {
			t.Fatalf("found only %d codes in the source: is the pattern stale?", len(used))
		}
		for c := range used {
			if !slices.Contains(enum, c) {
				t.Errorf("error code %q is not in the Error schema's enum", c)
			}
		}
		for _, c := range enum {
			if !used[c] {
				t.Errorf("documented error code %q is never answered", c)
			}
		}
	})
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
