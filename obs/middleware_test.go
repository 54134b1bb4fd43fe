package obs

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// value returns the value of the sample of metric name with exactly the
// given labels (0 when absent).
func value(t *testing.T, m *Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	samples:
		for _, s := range mf.GetMetric() {
			if len(s.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range s.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue samples
				}
			}
			return sampleValue(s)
		}
	}
	return 0
}

func sampleValue(s *dto.Metric) float64 {
	switch {
	case s.Counter != nil:
		return s.Counter.GetValue()
	case s.Gauge != nil:
		return s.Gauge.GetValue()
	case s.Histogram != nil:
		return float64(s.Histogram.GetSampleCount())
	}
	return 0
}

// logLines parses JSON log output into one map per line.
func logLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func newLogged(t *testing.T, level string) (*slog.Logger, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "json", level)
	if err != nil {
		t.Fatal(err)
	}
	return log, &buf
}

func TestRequestID(t *testing.T) {
	log, buf := newLogged(t, "info")
	mw := &Middleware{Log: log}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "inside")
		w.Write([]byte(RequestID(r.Context())))
	}))
	for _, tc := range []struct {
		name, incoming string
		kept           bool
	}{
		{"none", "", false},
		{"from a proxy", "proxy-id_1.2:3", true},
		{"with a line break", "x\ninjected", false},
		{"too long", strings.Repeat("a", 65), false},
		{"with a space", "a b", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			req := httptest.NewRequest("GET", "/x", nil)
			if tc.incoming != "" {
				req.Header[RequestIDHeader] = []string{tc.incoming}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			id := rec.Header().Get(RequestIDHeader)
			if id == "" || rec.Body.String() != id {
				t.Fatalf("header %q, id in the handler's context %q", id, rec.Body.String())
			}
			if tc.kept != (id == tc.incoming) {
				t.Errorf("incoming %q, response id %q, want kept=%v", tc.incoming, id, tc.kept)
			}
			lines := logLines(t, buf.String())
			if len(lines) != 2 {
				t.Fatalf("want the handler's line and the access line, got %v", lines)
			}
			for _, l := range lines {
				if l["request_id"] != id {
					t.Errorf("line %v lacks request_id %q", l, id)
				}
			}
		})
	}
	t.Run("ids differ", func(t *testing.T) {
		seen := map[string]bool{}
		for range 100 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			seen[rec.Header().Get(RequestIDHeader)] = true
		}
		if len(seen) != 100 {
			t.Errorf("%d distinct ids in 100 requests", len(seen))
		}
	})
}

func TestAccessLog(t *testing.T) {
	log, buf := newLogged(t, "info")
	mw := &Middleware{Log: log, Quiet: func(r *http.Request) bool { return r.URL.Path == "/healthz" }}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/fail":
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusCreated)
			w.Write(append(b, '!'))
		}
	}))
	req := httptest.NewRequest("PUT", "/dav/a%20b.txt?token=s3cr3t-query", strings.NewReader("hello"))
	req.SetBasicAuth("alice", "alice-password-xyz")
	req.Header.Set("User-Agent", "WebDAVFS/3.0")
	req.RemoteAddr = "192.0.2.7:5555"
	h.ServeHTTP(httptest.NewRecorder(), req)

	out := buf.String()
	for _, secret := range []string{"alice-password-xyz", "s3cr3t-query", "Basic "} {
		if strings.Contains(out, secret) {
			t.Errorf("the access log holds %q:\n%s", secret, out)
		}
	}
	lines := logLines(t, out)
	if len(lines) != 1 {
		t.Fatalf("want one line, got %v", lines)
	}
	l := lines[0]
	want := map[string]any{"msg": "request", "level": "INFO", "method": "PUT", "path": "/dav/a b.txt", "status": 201.0,
		"bytes_in": 5.0, "bytes_out": 6.0, "remote": "192.0.2.7", "user": "alice", "user_agent": "WebDAVFS/3.0"}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("%s = %v, want %v", k, l[k], v)
		}
	}
	if _, ok := l["duration_ms"].(float64); !ok {
		t.Errorf("no duration_ms in %v", l)
	}

	t.Run("5xx at warn", func(t *testing.T) {
		buf.Reset()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/fail", nil))
		if l := logLines(t, buf.String()); len(l) != 1 || l[0]["level"] != "WARN" || l[0]["status"] != 500.0 {
			t.Errorf("got %v", l)
		}
	})
	t.Run("quiet requests at debug", func(t *testing.T) {
		buf.Reset()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
		if buf.Len() != 0 {
			t.Errorf("a health check logged at info: %s", buf)
		}
		dlog, dbuf := newLogged(t, "debug")
		(&Middleware{Log: dlog, Quiet: mw.Quiet}).Wrap(h).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
		if !strings.Contains(dbuf.String(), `"path":"/healthz"`) {
			t.Errorf("a health check not logged at debug: %s", dbuf)
		}
	})
}

func TestMiddlewareMetrics(t *testing.T) {
	m := NewMetrics()
	h := (&Middleware{Metrics: m}).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/401":
			w.WriteHeader(http.StatusUnauthorized)
		case "/429":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/stream":
			io.Copy(w, strings.NewReader(strings.Repeat("x", 1000))) // through ReadFrom
		default:
			w.Write([]byte("0123456789"))
		}
	}))
	do := func(method, path, body string, basic bool) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if basic {
			req.SetBasicAuth("u", "p")
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	do("PUT", "/", "12345", false)
	do("PUT", "/", "123", false)
	do("PROPFIND", "/", "", false)
	do("BREW", "/", "", false)
	do("GET", "/stream", "", false)
	do("GET", "/401", "", false) // a challenge, not a failure
	do("GET", "/401", "", true)
	do("GET", "/401", "", true)
	do("GET", "/429", "", true)

	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"docuvault_http_requests_total", map[string]string{"method": "PUT", "code": "200"}, 2},
		{"docuvault_http_requests_total", map[string]string{"method": "PROPFIND", "code": "200"}, 1},
		{"docuvault_http_requests_total", map[string]string{"method": "OTHER", "code": "200"}, 1},
		{"docuvault_http_requests_total", map[string]string{"method": "GET", "code": "401"}, 3},
		{"docuvault_http_requests_total", map[string]string{"method": "GET", "code": "429"}, 1},
		{"docuvault_http_request_duration_seconds", map[string]string{"method": "PUT"}, 2},
		{"docuvault_http_request_body_bytes_total", map[string]string{"method": "PUT"}, 8},
		{"docuvault_http_response_body_bytes_total", map[string]string{"method": "PUT"}, 20},
		{"docuvault_http_response_body_bytes_total", map[string]string{"method": "GET"}, 1000},
		{"docuvault_auth_failures_total", map[string]string{"reason": "rejected"}, 2},
		{"docuvault_auth_failures_total", map[string]string{"reason": "throttled"}, 1},
		{"docuvault_http_requests_in_flight", map[string]string{}, 0},
	} {
		if got := value(t, m, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}

	t.Run("exposition", func(t *testing.T) {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body := rec.Body.String()
		for _, want := range []string{`docuvault_http_requests_total{code="200",method="PUT"} 2`, "go_goroutines", "process_resident_memory_bytes"} {
			if !strings.Contains(body, want) {
				t.Errorf("no %q in /metrics", want)
			}
		}
	})
	t.Run("in flight", func(t *testing.T) {
		var inside float64
		h := (&Middleware{Metrics: m}).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inside = value(t, m, "docuvault_http_requests_in_flight", map[string]string{})
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		if inside != 1 {
			t.Errorf("in flight during a request = %v, want 1", inside)
		}
	})
}

func TestRecorderKeepsInterfaces(t *testing.T) {
	flushed := false
	h := (&Middleware{Metrics: NewMetrics()}).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("a"))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush through the middleware: %v", err)
		}
		flushed = true
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !flushed || !rec.Flushed {
		t.Error("not flushed")
	}
}

func TestPanicCounted(t *testing.T) {
	m := NewMetrics()
	h := (&Middleware{Metrics: m}).Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want the handler's panic passed on", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	if got := value(t, m, "docuvault_http_requests_total", map[string]string{"method": "GET", "code": "500"}); got != 1 {
		t.Errorf("panicking request counted %v times as 500", got)
	}
	if got := value(t, m, "docuvault_http_requests_in_flight", map[string]string{}); got != 0 {
		t.Errorf("in flight after a panic: %v", got)
	}
}
