package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

var firstAdminLine = regexp.MustCompile(`^Created the first user "admin" with password (\S+)$`)

func TestServeFirstRun(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--listen", "127.0.0.1:0", "--data", dir}
	propfind := map[string]string{"Depth": "0"}

	s := startServe(t, nil, args...)
	var pw string
	for _, l := range s.Lines {
		if m := firstAdminLine.FindStringSubmatch(l); m != nil {
			pw = m[1]
		}
	}
	if pw == "" {
		t.Fatalf("no first-admin password in stdout %q", s.Lines)
	}
	t.Run("printed password signs in", func(t *testing.T) {
		if got := status(t, "PROPFIND", s.URL+"/dav/", "admin", pw, propfind, ""); got != 207 {
			t.Errorf("PROPFIND as admin: %d, want 207", got)
		}
		if got := status(t, "PROPFIND", s.URL+"/dav/", "admin", pw+"x", propfind, ""); got != 401 {
			t.Errorf("PROPFIND with a wrong password: %d, want 401", got)
		}
	})
	t.Run("cancel stops serve cleanly", func(t *testing.T) {
		if err := s.Stop(); err != nil {
			t.Fatalf("serve returned %v after cancel", err)
		}
	})
	t.Run("admin is an administrator", func(t *testing.T) {
		out := mustCLI(t, nil, "", "user", "list", "--data", dir)
		if u := listed(t, out)["admin"]; u == nil || u.admin != "true" {
			t.Errorf("user list:\n%s", out)
		}
	})
	t.Run("second start prints no password", func(t *testing.T) {
		s2 := startServe(t, nil, args...)
		for _, l := range s2.Lines {
			if strings.Contains(strings.ToLower(l), "password") {
				t.Errorf("second start printed %q", l)
			}
		}
		if got := status(t, "PROPFIND", s2.URL+"/dav/", "admin", pw, propfind, ""); got != 207 {
			t.Errorf("PROPFIND as admin after restart: %d, want 207", got)
		}
		if err := s2.Stop(); err != nil {
			t.Errorf("serve returned %v after cancel", err)
		}
	})
}

// listedUser is one row of `user list`.
type listedUser struct{ id, admin, disabled string }

// listed parses the table `user list` prints.
func listed(t *testing.T, out string) map[string]*listedUser {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || strings.Join(strings.Fields(lines[0]), " ") != "ID USERNAME ADMIN DISABLED USED QUOTA CREATED" {
		t.Fatalf("user list header: %q", out)
	}
	m := map[string]*listedUser{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 8 { // USED is "0 B", CREATED date and time
			t.Fatalf("user list row %q", l)
		}
		m[f[1]] = &listedUser{id: f[0], admin: f[2], disabled: f[3]}
	}
	return m
}

var generatedPassword = regexp.MustCompile(`(?m)^password: (\S+)$`)

func TestUserCommands(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			dir, dbURL := t.TempDir(), storetest.URL(t, d)
			// Every call puts the shared flags after the positionals.
			cli := func(stdin string, args ...string) (string, error) {
				out, errOut, err := runCLI(t, nil, stdin, append(args, "--data", dir, "--database-url", dbURL)...)
				if errOut != "" {
					t.Logf("stderr of %v: %s", args, errOut)
				}
				return out, err
			}
			mustCLI := func(stdin string, args ...string) string {
				t.Helper()
				out, err := cli(stdin, args...)
				if err != nil {
					t.Fatalf("docuvault %s: %v", strings.Join(args, " "), err)
				}
				return out
			}
			wantErr := func(t *testing.T, want string, stdin string, args ...string) {
				t.Helper()
				_, err := cli(stdin, args...)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("docuvault %s: error %v, want one containing %q", strings.Join(args, " "), err, want)
				}
			}
			verify := func(t *testing.T, name, pw string) {
				t.Helper()
				st, err := store.Open(context.Background(), dbURL)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				u, err := st.UserByName(t.Context(), name)
				if err != nil {
					t.Fatal(err)
				}
				ok, err := auth.NewHasher(auth.DefaultParams, 1).Verify(t.Context(), pw, u.PasswordHash)
				if err != nil || !ok {
					t.Errorf("password of %q does not verify: %v", name, err)
				}
			}

			t.Run("add prints a generated password", func(t *testing.T) {
				out := mustCLI("", "user", "add", "alice")
				m := generatedPassword.FindStringSubmatch(out)
				if !strings.Contains(out, `created user "alice"`) || m == nil {
					t.Fatalf("output %q", out)
				}
				verify(t, "alice", m[1])
			})
			t.Run("add reads --password-stdin", func(t *testing.T) {
				out := mustCLI("bob secret\n", "user", "add", "bob", "--password-stdin")
				if strings.Contains(out, "password:") {
					t.Errorf("a password from stdin was echoed: %q", out)
				}
				verify(t, "bob", "bob secret")
			})
			t.Run("flags before and after the username", func(t *testing.T) {
				mustCLI("pw\n", "user", "add", "carol", "--admin", "--password-stdin")
				mustCLI("pw\n", "user", "add", "--admin", "--password-stdin", "dave")
				u := listed(t, mustCLI("", "user", "list"))
				for _, n := range []string{"carol", "dave"} {
					if u[n] == nil || u[n].admin != "true" {
						t.Errorf("%s: %+v, want an admin", n, u[n])
					}
				}
				if u["alice"] == nil || u["alice"].admin != "false" {
					t.Errorf("alice: %+v, want a non-admin", u["alice"])
				}
			})
			t.Run("add refuses a duplicate", func(t *testing.T) {
				wantErr(t, `"alice" already exists`, "", "user", "add", "alice")
				wantErr(t, `"carol" already exists`, "pw\n", "user", "add", "carol", "--admin", "--password-stdin")
			})
			t.Run("add refuses invalid usernames", func(t *testing.T) {
				for _, name := range []string{"", "a b", "../x", "x/y", ".hidden", "_x", "ü", "a:b", strings.Repeat("a", 65)} {
					wantErr(t, "invalid username", "", "user", "add", name)
				}
				if u := listed(t, mustCLI("", "user", "list")); len(u) != 4 {
					t.Errorf("users after invalid adds: %v", u)
				}
				mustCLI("", "user", "add", strings.Repeat("a", 64)) // the longest valid name
			})
			t.Run("empty password on stdin", func(t *testing.T) {
				wantErr(t, "empty password", "\n", "user", "add", "erin", "--password-stdin")
				wantErr(t, "empty password", "", "user", "passwd", "alice", "--password-stdin")
			})
			t.Run("passwd", func(t *testing.T) {
				out := mustCLI("new pw\n", "user", "passwd", "alice", "--password-stdin")
				if !strings.Contains(out, `password of "alice" changed`) || strings.Contains(out, "new pw") {
					t.Errorf("output %q", out)
				}
				verify(t, "alice", "new pw")
				m := generatedPassword.FindStringSubmatch(mustCLI("", "user", "passwd", "alice"))
				if m == nil {
					t.Fatal("passwd without --password-stdin printed no password")
				}
				verify(t, "alice", m[1])
			})
			t.Run("disable and enable", func(t *testing.T) {
				mustCLI("", "user", "disable", "bob")
				if u := listed(t, mustCLI("", "user", "list"))["bob"]; u.disabled != "true" {
					t.Errorf("bob after disable: %+v", u)
				}
				mustCLI("", "user", "enable", "bob")
				if u := listed(t, mustCLI("", "user", "list"))["bob"]; u.disabled != "false" {
					t.Errorf("bob after enable: %+v", u)
				}
			})
			t.Run("delete removes the user and their files", func(t *testing.T) {
				id := listed(t, mustCLI("", "user", "list"))["dave"].id
				files := filepath.Join(dir, "files", id)
				if err := os.MkdirAll(filepath.Join(files, "sub"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(files, "sub", "f.txt"), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
				mustCLI("", "user", "delete", "dave")
				if _, ok := listed(t, mustCLI("", "user", "list"))["dave"]; ok {
					t.Error("dave is still listed")
				}
				if _, err := os.Stat(files); !os.IsNotExist(err) {
					t.Errorf("files of dave: stat err %v, want not exist", err)
				}
			})
			t.Run("unknown user", func(t *testing.T) {
				for _, sub := range []string{"passwd", "disable", "enable", "delete"} {
					wantErr(t, `no user "nobody"`, "", "user", sub, "nobody")
				}
				wantErr(t, `no user "dave"`, "", "user", "delete", "dave")
			})
			t.Run("argument errors", func(t *testing.T) {
				wantErr(t, "want add, list", "", "user")
				wantErr(t, `unknown subcommand "frob"`, "", "user", "frob", "alice")
				wantErr(t, "exactly one username", "", "user", "add")
				wantErr(t, "exactly one username", "", "user", "disable", "alice", "bob")
				wantErr(t, `unexpected argument "alice"`, "", "user", "list", "alice")
				wantErr(t, "not defined: -admin", "", "user", "passwd", "alice", "--admin")
			})
		})
	}
}

var appliedLine = regexp.MustCompile(`^applied (\d+) migration\(s\) to the (\w+) database\n$`)

func TestMigrate(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			dir, dbURL := t.TempDir(), storetest.URL(t, d)
			migrate := func() int {
				out := mustCLI(t, nil, "", "migrate", "--data", dir, "--database-url", dbURL)
				m := appliedLine.FindStringSubmatch(out)
				if m == nil || m[2] != string(d) {
					t.Fatalf("migrate printed %q", out)
				}
				n, _ := strconv.Atoi(m[1])
				return n
			}
			if n := migrate(); n == 0 {
				t.Error("first migrate applied 0 migrations")
			}
			if n := migrate(); n != 0 {
				t.Errorf("second migrate applied %d, want 0", n)
			}
		})
	}
}

func TestTopLevelCommands(t *testing.T) {
	t.Run("no command", func(t *testing.T) {
		_, errOut, err := runCLI(t, nil, "")
		if err == nil || !strings.Contains(errOut, "usage:") {
			t.Errorf("err %v, stderr %q", err, errOut)
		}
	})
	t.Run("unknown command", func(t *testing.T) {
		_, _, err := runCLI(t, nil, "", "frob")
		if err == nil || !strings.Contains(err.Error(), `unknown command "frob"`) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("stray arguments", func(t *testing.T) {
		for _, args := range [][]string{{"serve", "0.0.0.0:80"}, {"migrate", "now"}} {
			_, _, err := runCLI(t, nil, "", append(args, "--data", t.TempDir())...)
			if err == nil || !strings.Contains(err.Error(), "unexpected argument") {
				t.Errorf("%v: err %v", args, err)
			}
		}
	})
	t.Run("help", func(t *testing.T) {
		out, _, err := runCLI(t, nil, "", "help")
		if err != nil || !strings.Contains(out, "user passwd NAME") {
			t.Errorf("err %v, stdout %q", err, out)
		}
	})
}
