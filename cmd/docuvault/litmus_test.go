package main

import (
	"bytes"
	"context"
	"github.com/docuvault/docuvault/internal/testproc"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/internal/testserver"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// litmusSuites are the suites of a full litmus run, in order.
var litmusSuites = []string{"basic", "copymove", "props", "locks", "http"}

var (
	litmusSummary = regexp.MustCompile("(?m)^<- summary for `(\\w+)': of (\\d+) tests run: (\\d+) passed, (\\d+) failed\\.")
	litmusSkipped = regexp.MustCompile(`(?m)^-> (\d+) tests? (?:was|were) skipped`)
)

// litmusResult is one suite's summary line.
type litmusResult struct{ run, passed, failed int }

// parseLitmus returns the summaries by suite and the skipped-test count.
func parseLitmus(out string) (map[string]litmusResult, int) {
	res := map[string]litmusResult{}
	for _, m := range litmusSummary.FindAllStringSubmatch(out, -1) {
		run, _ := strconv.Atoi(m[2])
		passed, _ := strconv.Atoi(m[3])
		failed, _ := strconv.Atoi(m[4])
		res[m[1]] = litmusResult{run, passed, failed}
	}
	skipped := 0
	for _, m := range litmusSkipped.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		skipped += n
	}
	return res, skipped
}

func TestParseLitmus(t *testing.T) {
	out := "-> running `basic':\n 0. init.... pass\n" +
		"<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%\n" +
		"-> running `locks':\n 9. notowner_modify.. FAIL (PUT on locked resource succeeded)\n" +
		"<- summary for `locks': of 37 tests run: 36 passed, 1 failed. 97.3%\n" +
		"-> 4 tests were skipped.\n"
	res, skipped := parseLitmus(out)
	want := map[string]litmusResult{"basic": {16, 16, 0}, "locks": {37, 36, 1}}
	if len(res) != len(want) || res["basic"] != want["basic"] || res["locks"] != want["locks"] || skipped != 4 {
		t.Errorf("parseLitmus = %v, %d skipped; want %v, 4 skipped", res, skipped, want)
	}
}

// TestLitmus runs the litmus WebDAV compliance suite against the built
// server on each dialect; every suite must run and pass every test.
// litmusBinary returns litmus's path; without it the test fails under
// CI=true and is skipped otherwise.
func litmusBinary(t *testing.T) string {
	bin, err := exec.LookPath("litmus")
	if err != nil {
		testproc.Missing(t, "litmus is not installed (apt-get install litmus)")
	}
	return bin
}

func TestLitmus(t *testing.T) {
	bin := litmusBinary(t)
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			dbURL := ""
			if d != store.SQLite {
				dbURL = storetest.URL(t, d)
			}
			s := testserver.Start(t, testserver.Options{DatabaseURL: dbURL})
			s.AddUser("litmus", "litmus-pass")
			runLitmus(t, bin, s, "litmus", "litmus-pass")
		})
	}
}

// runLitmus runs every litmus suite as user against s and fails unless all
// of them ran with 0 failures and nothing skipped.
func runLitmus(t *testing.T, bin string, s *testserver.Server, user, pass string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute) // a hang guard, not a timing check
	defer cancel()
	wd := t.TempDir() // litmus writes debug.log and child.log here
	// --keep-going runs every suite even after a failure.
	cmd := exec.CommandContext(ctx, bin, "--keep-going", s.URL+"/dav/", user, pass)
	cmd.Dir = wd
	cmd.Env = append(os.Environ(), "TESTS="+strings.Join(litmusSuites, " "))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()

	res, skipped := parseLitmus(out.String())
	ok := runErr == nil && skipped == 0
	for _, suite := range litmusSuites {
		r, ran := res[suite]
		switch {
		case !ran:
			t.Errorf("suite %s did not run", suite)
			ok = false
		case r.failed != 0 || r.passed != r.run:
			t.Errorf("suite %s: %d of %d tests failed", suite, r.failed, r.run)
			ok = false
		default:
			t.Logf("suite %s: %d/%d passed", suite, r.passed, r.run)
		}
	}
	if runErr != nil {
		t.Errorf("litmus: %v", runErr)
	}
	if skipped != 0 {
		t.Errorf("litmus skipped %d tests", skipped)
	}
	if !ok {
		s.Cmd.Process.Kill() // Wait then lets its stderr be read without a race
		s.Cmd.Wait()
		logLitmusFailure(t, out.String(), filepath.Join(wd, "debug.log"), s.Stderr.String())
	}
}

func logLitmusFailure(t *testing.T, out, debugLog, serverLog string) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "FAIL") || strings.Contains(l, "WARNING") || strings.Contains(l, "SKIPPED") ||
			strings.HasPrefix(l, "<- summary") || strings.HasPrefix(l, "->") || strings.Contains(l, "ERROR") {
			lines = append(lines, l)
		}
	}
	t.Logf("litmus output (failures, warnings, summaries):\n%s", strings.Join(lines, "\n"))
	if b, err := os.ReadFile(debugLog); err != nil {
		t.Logf("debug.log: %v", err)
	} else {
		t.Logf("tail of debug.log:\n%s", tail(string(b), 120))
	}
	t.Logf("tail of the server's stderr:\n%s", tail(serverLog, 40))
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
