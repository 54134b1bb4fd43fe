// Package miniotest runs a real MinIO server for tests: the minio binary from
// PATH or $(go env GOPATH)/bin, on free 127.0.0.1 ports, with its data in a
// temporary directory, killed when the test ends.
//
// Without the binary, tests skip (fail when CI=true) and name the install
// command.
package miniotest

import (
	"context"
	"github.com/docuvault/docuvault/internal/testproc"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// InstallCommand installs the MinIO version the tests were written against.
const InstallCommand = "go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

// Server is a running MinIO process.
type Server struct {
	Endpoint  string // host:port, e.g. 127.0.0.1:40123 (plain HTTP)
	AccessKey string
	SecretKey string
	DataDir   string

	t       testing.TB
	bin     string
	console string
	proc    testproc.Proc
	log     *testproc.Log
}

// Binary returns the path of the minio binary, or "" when there is none.
func Binary() string {
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "minio")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// Start runs a fresh MinIO server and waits until it is live.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		testproc.Missing(t, "minio binary not found in PATH or $(go env GOPATH)/bin; install it with: "+InstallCommand)
	}
	s := &Server{
		AccessKey: "docuvault-test",
		SecretKey: "secret-" + testproc.RandHex(12),
		DataDir:   t.TempDir(),
		t:         t,
		bin:       bin,
		log:       &testproc.Log{},
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("minio output:\n%s", s.log)
		}
	})
	// A free port can be taken between probing and binding: try again.
	var err error
	for range 3 {
		s.Endpoint, s.console = testproc.FreeAddr(t), testproc.FreeAddr(t)
		if err = s.start(); err == nil {
			return s
		}
	}
	t.Fatalf("miniotest: %v\n%s", err, s.log)
	return nil
}

// Stop kills the server; its data directory stays for Restart.
func (s *Server) Stop() { s.proc.Stop() }

// Restart starts the server again on the same address and data directory.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("miniotest: restart: %v\n%s", err, s.log)
	}
}

func (s *Server) start() error {
	cmd := exec.Command(s.bin, "server", "--quiet",
		"--address", s.Endpoint, "--console-address", s.console,
		"--certs-dir", filepath.Join(s.DataDir, ".certs"),
		filepath.Join(s.DataDir, "data"))
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CALLHOME_ENABLE=off",
	)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	live := "http://" + s.Endpoint + "/minio/health/live"
	return s.proc.Start(cmd, 60*time.Second, func(c *http.Client) bool {
		resp, err := c.Get(live)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// Client returns a minio-go client for the server.
func (s *Server) Client() *minio.Client {
	s.t.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure: false,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// NewBucket creates a bucket with a fresh random name and returns the name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := "test-" + testproc.RandHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Client().MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("miniotest: make bucket: %v", err)
	}
	return name
}
