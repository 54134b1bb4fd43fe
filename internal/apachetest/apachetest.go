// Package apachetest runs a real Apache httpd with mod_dav and mod_dav_fs for
// tests: one foreground process (apache2 -X) on a free 127.0.0.1 port, with a
// generated minimal configuration, Basic authentication and its files in
// temporary directories, killed when the test ends.
//
// Started as root, Apache drops to the user nobody: the served directory and
// the lock database are then owned by nobody, outside t.TempDir (whose
// parents only root may enter).
//
// Without apache2 (Debian package apache2), tests skip, and fail when
// CI=true.
package apachetest

import (
	"bytes"
	"fmt"
	"github.com/docuvault/docuvault/internal/testproc"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// InstallCommand installs Apache with the DAV modules on Debian and Ubuntu.
const InstallCommand = "apt-get install -y apache2"

// ModulesDir holds Debian's Apache modules.
const ModulesDir = "/usr/lib/apache2/modules"

// modules are the ones the generated configuration loads.
var modules = []string{
	"mpm_event", "authn_core", "authn_file", "auth_basic", "authz_core",
	"authz_user", "dav", "dav_fs",
}

// Server is a running Apache serving one WebDAV directory.
type Server struct {
	URL      string // the DAV root with a trailing slash, e.g. http://127.0.0.1:40123/dav/
	User     string
	Password string
	// Dir is the directory served at URL. With root privileges its files
	// belong to nobody: read them, write through URL.
	Dir string

	t       testing.TB
	bin     string
	conf    string
	addr    string
	errLog  string
	proc    testproc.Proc
	console *testproc.Log
}

// Binary returns the path of the apache2 binary, or "" when there is none.
func Binary() string {
	if p, err := exec.LookPath("apache2"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/apache2", "/usr/local/sbin/apache2"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// Start runs a fresh Apache and waits until it accepts connections.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		testproc.Missing(t, "apache2 not found; install it with: "+InstallCommand)
	}
	for _, m := range modules {
		if _, err := os.Stat(filepath.Join(ModulesDir, "mod_"+m+".so")); err != nil {
			t.Fatalf("apachetest: module %s missing in %s: %v", m, ModulesDir, err)
		}
	}
	s := &Server{
		User:     "dav",
		Password: "pw-" + testproc.RandHex(8),
		t:        t,
		bin:      bin,
		console:  &testproc.Log{},
	}
	confDir := t.TempDir()
	s.conf = filepath.Join(confDir, "httpd.conf")
	s.errLog = filepath.Join(confDir, "error.log")

	// The served tree lives where the (possibly unprivileged) server can
	// reach it.
	www, err := os.MkdirTemp("", "apachetest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(www) })
	s.Dir = filepath.Join(www, "dav")
	lockDir := filepath.Join(www, "lock")
	for _, d := range []string{s.Dir, lockDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	runAs := ""
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("apachetest: running as root needs the user nobody: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, d := range []string{www, s.Dir, lockDir} {
			if err := os.Chown(d, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
		runAs = fmt.Sprintf("User #%d\nGroup #%d\n", uid, gid)
	}

	hash, err := bcrypt.GenerateFromPassword([]byte(s.Password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// Apache reads the password file after dropping privileges; it stays
	// outside the served directory and below <Directory /> denial.
	htpasswd := filepath.Join(www, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(s.User+":"+string(hash)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			log, _ := os.ReadFile(s.errLog)
			t.Logf("apache error log:\n%s%s", log, s.console)
		}
	})
	// A free port can be taken between probing and binding: try again.
	for range 3 {
		s.addr = testproc.FreeAddr(t)
		s.URL = "http://" + s.addr + "/dav/"
		conf := config(confDir, www, lockDir, htpasswd, s.addr, runAs)
		if err = os.WriteFile(s.conf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if err = s.start(); err == nil {
			return s
		}
	}
	log, _ := os.ReadFile(s.errLog)
	t.Fatalf("apachetest: %v\n%s%s", err, log, s.console)
	return nil
}

func config(confDir, www, lockDir, htpasswd, addr, runAs string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ServerRoot %q\nDefaultRuntimeDir %q\nPidFile %q\nErrorLog %q\nLogLevel warn\n",
		confDir, confDir, filepath.Join(confDir, "httpd.pid"), filepath.Join(confDir, "error.log"))
	fmt.Fprintf(&b, "Listen %s\nServerName 127.0.0.1\n", addr)
	for _, m := range modules {
		fmt.Fprintf(&b, "LoadModule %s_module %q\n", m, filepath.Join(ModulesDir, "mod_"+m+".so"))
	}
	b.WriteString(runAs)
	fmt.Fprintf(&b, `Timeout 60
KeepAlive On
LimitRequestBody 0
DocumentRoot %q
DavLockDB %q
<Directory />
	Require all denied
</Directory>
<Directory %q>
	Dav On
	AuthType Basic
	AuthName "apachetest"
	AuthBasicProvider file
	AuthUserFile %q
	Require valid-user
</Directory>
`, www, filepath.Join(lockDir, "DAVLock"), filepath.Join(www, "dav"), htpasswd)
	return b.String()
}

// Stop kills the server; its files stay for Restart.
func (s *Server) Stop() { s.proc.Stop() }

// Restart starts the server again on the same address and directory.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		log, _ := os.ReadFile(s.errLog)
		s.t.Fatalf("apachetest: restart: %v\n%s%s", err, log, s.console)
	}
}

func (s *Server) start() error {
	cmd := exec.Command(s.bin, "-X", "-f", s.conf)
	cmd.Stdout, cmd.Stderr = s.console, s.console
	return s.proc.Start(cmd, 30*time.Second, func(c *http.Client) bool {
		// Any HTTP answer (401 without credentials) means it serves.
		resp, err := c.Get(s.URL)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
}

// NewRequest returns a request for path below URL carrying the credentials.
func (s *Server) NewRequest(method, path string, body []byte) *http.Request {
	s.t.Helper()
	req, err := http.NewRequest(method, s.URL+strings.TrimPrefix(path, "/"), bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.SetBasicAuth(s.User, s.Password)
	return req
}
