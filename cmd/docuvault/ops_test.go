package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/obs"
)

// jsonLines parses JSON log output, one object per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

// get fetches url without credentials.
func get(t *testing.T, client *http.Client, url string) (int, http.Header, string) {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// metric returns the value of the sample whose name and labels (in the
// exposition's sorted order, e.g. `code="201",method="PUT"`) are given, or
// -1 when it is absent.
func metric(body, name, labels string) float64 {
	sample := name
	if labels != "" {
		sample += "{" + labels + "}"
	}
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

func TestHealthEndpoints(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, map[string]string{"DOCUVAULT_DATA_DIR": dir}, "--listen", "127.0.0.1:0")
	for _, path := range []string{"/healthz", "/readyz"} {
		code, hdr, body := get(t, nil, s.URL+path)
		if code != 200 || hdr.Get(obs.RequestIDHeader) == "" {
			t.Errorf("GET %s without credentials: %d %q, request id %q", path, code, body, hdr.Get(obs.RequestIDHeader))
		}
		if path == "/readyz" && body != "database: ok\nstorage: ok\n" {
			t.Errorf("readyz body %q", body)
		}
	}
	t.Run("storage gone", func(t *testing.T) {
		// The data dir vanishes (an unmounted volume): not ready, yet alive.
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		code, _, body := get(t, nil, s.URL+"/readyz")
		if code != http.StatusServiceUnavailable || body != "database: ok\nstorage: unavailable\n" {
			t.Errorf("readyz: %d %q", code, body)
		}
		if code, _, _ := get(t, nil, s.URL+"/healthz"); code != 200 {
			t.Errorf("healthz: %d", code)
		}
		if !strings.Contains(s.Stderr.String(), "readiness check failed") {
			t.Errorf("the failure is not logged:\n%s", s.Stderr)
		}
	})
}

func TestMetricsEndpoint(t *testing.T) {
	env := map[string]string{"DOCUVAULT_DATA_DIR": t.TempDir()}
	mustCLI(t, env, "alice-pw\n", "user", "add", "alice", "--password-stdin")
	s := startServe(t, env, "--listen", "127.0.0.1:0")

	if code := status(t, "PUT", s.URL+"/dav/a.txt", "alice", "alice-pw", nil, "0123456789"); code != 201 {
		t.Fatalf("PUT: %d", code)
	}
	if code := status(t, "GET", s.URL+"/dav/a.txt", "alice", "alice-pw", nil, ""); code != 200 {
		t.Fatalf("GET: %d", code)
	}
	if code := status(t, "LOCK", s.URL+"/dav/a.txt", "alice", "alice-pw", nil, lockBody); code != 200 {
		t.Fatalf("LOCK: %d", code)
	}
	for range 2 {
		if code := status(t, "PROPFIND", s.URL+"/dav/", "alice", "wrong", map[string]string{"Depth": "0"}, ""); code != 401 {
			t.Fatalf("PROPFIND with a wrong password: %d", code)
		}
	}
	code, _, body := get(t, nil, s.URL+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, tc := range []struct {
		name, labels string
		want         float64
	}{
		{"docuvault_http_requests_total", `code="201",method="PUT"`, 1},
		{"docuvault_http_requests_total", `code="200",method="GET"`, 1},
		{"docuvault_http_requests_total", `code="401",method="PROPFIND"`, 2},
		{"docuvault_http_request_duration_seconds_count", `method="PUT"`, 1},
		{"docuvault_http_request_body_bytes_total", `method="PUT"`, 10},
		{"docuvault_http_response_body_bytes_total", `method="GET"`, 10},
		{"docuvault_auth_failures_total", `reason="rejected"`, 2},
		{"docuvault_webdav_active_locks", "", 1},
		{"docuvault_http_requests_in_flight", "", 1}, // the scrape itself
	} {
		if got := metric(body, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s{%s} = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if !strings.Contains(body, "process_resident_memory_bytes") {
		t.Error("no process metrics")
	}
}

var metricsLine = regexp.MustCompile(`Metrics on (http://127\.0\.0\.1:[0-9]+)/metrics`)

func TestMetricsListen(t *testing.T) {
	s := startServe(t, map[string]string{"DOCUVAULT_DATA_DIR": t.TempDir(), "DOCUVAULT_METRICS_LISTEN": "127.0.0.1:0"},
		"--listen", "127.0.0.1:0")
	var murl string
	for _, l := range s.Lines {
		if m := metricsLine.FindStringSubmatch(l); m != nil {
			murl = m[1]
		}
	}
	if murl == "" {
		t.Fatalf("no metrics address printed: %q", s.Lines)
	}
	if code, _, body := get(t, nil, murl+"/metrics"); code != 200 || !strings.Contains(body, "docuvault_http_requests_in_flight") {
		t.Errorf("metrics address: %d", code)
	}
	if _, _, body := get(t, nil, s.URL+"/metrics"); strings.Contains(body, "docuvault_http_requests_in_flight") {
		t.Errorf("metrics served on the public address too")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(murl + "/metrics"); err == nil {
		t.Error("the metrics listener outlived serve")
	}
}

// TestRequestIDInLogs checks that a request's own log lines and its access
// line carry the id the response returned.
func TestRequestIDInLogs(t *testing.T) {
	env := map[string]string{"DOCUVAULT_DATA_DIR": t.TempDir()}
	mustCLI(t, env, "alice-pw\n", "user", "add", "alice", "--password-stdin")
	s := startServe(t, env, "--listen", "127.0.0.1:0", "--log-format", "json")

	// An upload cut short: davfs logs "upload aborted" during the request.
	req, _ := http.NewRequest("PUT", s.URL+"/dav/cut.txt", io.MultiReader(strings.NewReader("abc"), errReader{}))
	req.ContentLength = 100
	req.SetBasicAuth("alice", "alice-pw")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	resp, err := http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get(obs.RequestIDHeader)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, s.Stderr.String())
	var aborted, access map[string]any
	for _, l := range lines {
		switch {
		case l["msg"] == "upload aborted":
			aborted = l
		case l["msg"] == "request" && l["request_id"] == id:
			access = l
		case l["msg"] == "request" && l["method"] == "PUT":
			if aborted == nil || l["request_id"] != aborted["request_id"] {
				t.Errorf("the aborted PUT's access line %v has another id than its davfs line %v", l, aborted)
			}
		}
	}
	if aborted == nil || aborted["request_id"] == nil || aborted["request_id"] == "" {
		t.Errorf("davfs's line without request_id: %v", aborted)
	}
	if access == nil || access["path"] != "/" || access["status"] != 200.0 {
		t.Errorf("no access line with the response's id %q in\n%s", id, s.Stderr)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestDevTLS(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DOCUVAULT_DATA_DIR": dir}
	s := startServe(t, env, "--listen", "127.0.0.1:0", "--dev-tls")
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("--dev-tls announced %s", s.URL)
	}
	certFile := filepath.Join(dir, devTLSDir, "cert.pem")
	b, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key algorithm %v, want ECDSA", leaf.PublicKeyAlgorithm)
	}
	if fi, err := os.Stat(filepath.Join(dir, devTLSDir, "key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi.Mode(), err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	port := s.URL[strings.LastIndex(s.URL, ":")+1:]
	for _, host := range []string{"localhost", "127.0.0.1"} {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: host}}}
		code, _, _ := get(t, client, "https://127.0.0.1:"+port+"/dav/")
		if code != http.StatusUnauthorized {
			t.Errorf("as %s, trusting the printed certificate: %d, want 401", host, code)
		}
		client.CloseIdleConnections()
	}
	fp := fingerprint(leaf.Raw)
	if !strings.Contains(strings.Join(s.Lines, "\n"), fp) {
		t.Errorf("the fingerprint %s is not printed: %q", fp, s.Lines)
	}
	t.Run("healthcheck over HTTPS", func(t *testing.T) {
		out := mustCLI(t, env, "", "healthcheck", "--dev-tls", "--listen", "127.0.0.1:"+port)
		if strings.TrimSpace(out) != "ok" {
			t.Errorf("got %q", out)
		}
	})
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	t.Run("reused on restart", func(t *testing.T) {
		s := startServe(t, env, "--listen", "127.0.0.1:0", "--dev-tls")
		defer s.Stop()
		if !strings.Contains(strings.Join(s.Lines, "\n"), "Using a self-signed development certificate") ||
			!strings.Contains(strings.Join(s.Lines, "\n"), fp) {
			t.Errorf("a new certificate after restart: %q", s.Lines)
		}
	})
	t.Run("renewed when about to expire", func(t *testing.T) {
		_, _, fp2, created, err := devCertificate(dir, "127.0.0.1:0", leaf.NotAfter.Add(-time.Hour))
		if err != nil || !created || fp2 == fp {
			t.Errorf("created %v, same %v, %v", created, fp2 == fp, err)
		}
	})
	t.Run("covers a named listen host", func(t *testing.T) {
		cert, _, _, _, err := devCertificate(t.TempDir(), "docs.example.test:8443", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		l, err := loadPair(cert, filepath.Join(filepath.Dir(cert), "key.pem"))
		if err != nil || l.VerifyHostname("docs.example.test") != nil || l.VerifyHostname("::1") != nil {
			t.Errorf("names %v %v: %v", l.DNSNames, l.IPAddresses, err)
		}
	})
	t.Run("not with --tls-cert", func(t *testing.T) {
		cert, key := writeCert(t)
		_, _, err := runCLI(t, env, "", "serve", "--dev-tls", "--tls-cert", cert, "--tls-key", key)
		if err == nil || !strings.Contains(err.Error(), "--dev-tls") {
			t.Errorf("got %v", err)
		}
	})
}

func TestHealthcheckCommand(t *testing.T) {
	env := map[string]string{"DOCUVAULT_DATA_DIR": t.TempDir()}
	s := startServe(t, env, "--listen", "127.0.0.1:0")
	addr := strings.TrimPrefix(s.URL, "http://")
	if out := mustCLI(t, env, "", "healthcheck", "--listen", addr); strings.TrimSpace(out) != "ok" {
		t.Errorf("healthcheck: %q", out)
	}
	if out := mustCLI(t, env, "", "healthcheck", "--url", s.URL+"/healthz"); strings.TrimSpace(out) != "ok" {
		t.Errorf("healthcheck --url: %q", out)
	}
	if _, _, err := runCLI(t, env, "", "healthcheck", "--url", s.URL+"/dav/"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("healthcheck of a 401: %v", err)
	}
	s.Stop()
	if _, _, err := runCLI(t, env, "", "healthcheck", "--listen", addr); err == nil {
		t.Error("healthcheck of a stopped server passed")
	}
	t.Run("self address", func(t *testing.T) {
		for listen, want := range map[string]string{
			"0.0.0.0:8080": "http://127.0.0.1:8080", ":8080": "http://127.0.0.1:8080",
			"[::]:8080": "http://[::1]:8080", "10.1.2.3:80": "http://10.1.2.3:80",
		} {
			if got := selfURL(&config{Listen: listen}); got != want {
				t.Errorf("%s: %s, want %s", listen, got, want)
			}
		}
		if got := selfURL(&config{Listen: "0.0.0.0:8443", devTLS: true}); got != "https://127.0.0.1:8443" {
			t.Errorf("with TLS: %s", got)
		}
	})
}

// TestBackendErrorMetrics stops the MinIO holding a user's home: the
// failures count for driver s3 and nothing for local disk.
func TestBackendErrorMetrics(t *testing.T) {
	s, m, _ := s3User(t)
	if code := status(t, "PUT", s.URL+"/dav/a.txt", "ann", "ann-password", nil, "a"); code != http.StatusCreated {
		t.Fatalf("PUT: %d", code)
	}
	if code := status(t, "GET", s.URL+"/dav/missing.txt", "ann", "ann-password", nil, ""); code != http.StatusNotFound {
		t.Fatalf("GET of a missing file: %d", code)
	}
	_, _, body := get(t, nil, s.URL+"/metrics")
	if strings.Contains(body, "docuvault_backend_errors_total{") {
		t.Errorf("errors counted while MinIO is up (a 404 is no storage failure):\n%s", grepLines(body, "backend_errors"))
	}
	m.Stop()
	if code := status(t, "GET", s.URL+"/dav/a.txt", "ann", "ann-password", nil, ""); code != http.StatusServiceUnavailable {
		t.Fatalf("GET with MinIO down: %d", code)
	}
	_, _, body = get(t, nil, s.URL+"/metrics")
	var s3, local float64
	for _, l := range strings.Split(body, "\n") {
		if !strings.HasPrefix(l, "docuvault_backend_errors_total{") {
			continue
		}
		v, _ := strconv.ParseFloat(l[strings.LastIndex(l, " ")+1:], 64)
		switch {
		case strings.Contains(l, `driver="s3"`):
			s3 += v
		case strings.Contains(l, `driver="local"`):
			local += v
		}
	}
	if s3 < 1 || local != 0 {
		t.Errorf("s3 errors %v (want ≥ 1), local %v (want 0):\n%s", s3, local, grepLines(body, "backend_errors"))
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
