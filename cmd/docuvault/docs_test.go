package main

import (
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the module root, seen from this package's directory.
const repoRoot = "../.."

// docRow is one row of a table in docs/configuration.md.
type docRow struct{ flag, env, def string }

// configDoc parses the settings tables of docs/configuration.md.
func configDoc(t *testing.T) (flags map[string]docRow, envOnly map[string]docRow) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	flags, envOnly = map[string]docRow{}, map[string]docRow{}
	unquote := func(s string) string { return strings.Trim(strings.TrimSpace(s), "`") }
	for _, line := range strings.Split(string(b), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) < 5 || strings.TrimSpace(cols[0]) != "" {
			continue
		}
		switch first := unquote(cols[1]); {
		case strings.HasPrefix(first, "--") && strings.Trim(first, "-") != "":
			r := docRow{flag: strings.TrimPrefix(first, "--"), env: unquote(cols[2]), def: unquote(cols[3])}
			if _, dup := flags[r.flag]; dup {
				t.Errorf("--%s documented twice", r.flag)
			}
			flags[r.flag] = r
		case strings.HasPrefix(first, "DOCUVAULT_"):
			envOnly[first] = docRow{env: first, def: unquote(cols[2])}
		}
	}
	return flags, envOnly
}

var envLiteral = regexp.MustCompile(`"(DOCUVAULT_[A-Z0-9_]+)"`)

// sourceEnvVars returns every DOCUVAULT_* name the program's sources spell
// out (tests excluded), with a file that does.
func sourceEnvVars(t *testing.T) map[string]string {
	t.Helper()
	found := map[string]string{}
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && p != repoRoot {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		for _, m := range envLiteral.FindAllSubmatch(b, -1) {
			found[string(m[1])] = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestConfigurationDocumented holds docs/configuration.md to the flag set
// and to the environment variables the code reads.
func TestConfigurationDocumented(t *testing.T) {
	flags, envOnly := configDoc(t)
	var c config
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.bind(fset, func(string) string { return "" })
	byFlag := map[string]setting{}
	for _, s := range c.settings() {
		byFlag[s.flag] = s
	}
	fset.VisitAll(func(f *flag.Flag) {
		row, ok := flags[f.Name]
		if !ok {
			t.Errorf("--%s is not in docs/configuration.md", f.Name)
			return
		}
		if row.def != f.DefValue {
			t.Errorf("--%s: documented default %q, flag default %q", f.Name, row.def, f.DefValue)
		}
		if want := byFlag[f.Name].env; row.env != want {
			t.Errorf("--%s: documented variable %q, reads %q", f.Name, row.env, want)
		}
	})
	for name := range flags {
		if fset.Lookup(name) == nil {
			t.Errorf("docs/configuration.md documents --%s, which does not exist", name)
		}
	}

	documented := map[string]bool{}
	for _, r := range flags {
		documented[r.env] = true
	}
	for env := range envOnly {
		documented[env] = true
	}
	used := sourceEnvVars(t)
	if len(used) < len(c.settings()) {
		t.Fatalf("found only %d DOCUVAULT_* names in the sources: %v", len(used), used)
	}
	for env, file := range used {
		if !documented[env] {
			t.Errorf("%s (read in %s) is not in docs/configuration.md", env, file)
		}
	}
	for env := range envOnly {
		if used[env] == "" {
			t.Errorf("docs/configuration.md documents %s, which nothing reads", env)
		}
	}
}
