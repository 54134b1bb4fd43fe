package obs

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewLogger(t *testing.T) {
	for _, tc := range []struct{ format, level string }{{"yaml", "info"}, {"json", "loud"}, {"", "info"}} {
		if _, err := NewLogger(&bytes.Buffer{}, tc.format, tc.level); err == nil {
			t.Errorf("format %q level %q accepted", tc.format, tc.level)
		}
	}
	t.Run("text", func(t *testing.T) {
		var buf bytes.Buffer
		log, err := NewLogger(&buf, "text", "warn")
		if err != nil {
			t.Fatal(err)
		}
		log.Info("hidden")
		log.WarnContext(WithRequestID(context.Background(), "abc"), "shown", "n", 1)
		if got := buf.String(); strings.Contains(got, "hidden") || !strings.Contains(got, "msg=shown n=1 request_id=abc") {
			t.Errorf("got %q", got)
		}
	})
	t.Run("redacts secret-named attributes", func(t *testing.T) {
		var buf bytes.Buffer
		log, _ := NewLogger(&buf, "json", "debug")
		log.With("api_token", "tok-123").WithGroup("g").Info("x",
			"password", "pw-123", "Authorization", "Basic abc", "secret_key", "sk-123",
			"encryption_key", "ek-123", "Cookie", "c-123", "user", "alice")
		out := buf.String()
		for _, s := range []string{"tok-123", "pw-123", "Basic abc", "sk-123", "ek-123", "c-123"} {
			if strings.Contains(out, s) {
				t.Errorf("%q logged: %s", s, out)
			}
		}
		if !strings.Contains(out, `"user":"alice"`) || !strings.Contains(out, `"password":"[REDACTED]"`) {
			t.Errorf("got %s", out)
		}
	})
}

func TestReadyz(t *testing.T) {
	var buf bytes.Buffer
	log, _ := NewLogger(&buf, "json", "info")
	dbErr := errors.New("dial tcp db.internal:5432: connection refused")
	ok := Check{"database", func(context.Context) error { return nil }}
	for _, tc := range []struct {
		name   string
		checks []Check
		status int
		body   string
	}{
		{"all pass", []Check{ok, {"storage", func(context.Context) error { return nil }}}, 200, "database: ok\nstorage: ok\n"},
		{"one fails", []Check{{"database", func(context.Context) error { return dbErr }}, {"storage", func(context.Context) error { return nil }}}, 503, "database: unavailable\nstorage: ok\n"},
		{"one hangs", []Check{ok, {"storage", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}}, 503, "database: ok\nstorage: unavailable\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			rec := httptest.NewRecorder()
			Readyz(log, 50*time.Millisecond, tc.checks...).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tc.status, tc.body)
			}
			if strings.Contains(rec.Body.String(), "db.internal") {
				t.Error("the failure's detail reached the unauthenticated client")
			}
			if tc.status == 503 && !strings.Contains(buf.String(), "readiness check failed") {
				t.Errorf("failure not logged: %s", buf.String())
			}
		})
	}
	rec := httptest.NewRecorder()
	Healthz().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Errorf("healthz: %d %q", rec.Code, rec.Body)
	}
}
