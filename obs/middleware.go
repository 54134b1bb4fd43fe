package obs

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Middleware gives every request an id (kept from a valid incoming
// X-Request-Id, else new), returns it in the X-Request-Id response header,
// puts it in the request's context for the logger, counts the request in
// Metrics and writes one access log line when it ends. It also resolves
// the client address once (see TrustedProxies.Resolve) and puts it in the
// context, for ClientAddr.
type Middleware struct {
	Log     *slog.Logger
	Metrics *Metrics // nil: nothing is counted
	// Quiet reports requests logged at debug level only (health checks,
	// metric scrapes); nil: none.
	Quiet func(r *http.Request) bool
	// TrustedProxies are believed about X-Forwarded-For; empty: none.
	TrustedProxies TrustedProxies
}

// Wrap returns next behind the middleware.
func (mw *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !validID(id) {
			id = NewRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		method := methodLabel(r.Method)
		rec := &recorder{ResponseWriter: w}
		body := &countingBody{ReadCloser: r.Body}
		if m := mw.Metrics; m != nil {
			m.inFlight.Inc()
			defer m.inFlight.Dec()
			rec.counter = m.bytesOut.WithLabelValues(method)
			body.counter = m.bytesIn.WithLabelValues(method)
		}
		addr := mw.TrustedProxies.Resolve(r.RemoteAddr, r.Header.Values(ForwardedForHeader))
		r2 := r.WithContext(WithClientAddr(WithRequestID(r.Context(), id), addr))
		if r.Body != nil && r.Body != http.NoBody {
			r2.Body = body
		}
		defer func() {
			p := recover()
			if p != nil && rec.status == 0 {
				rec.status = http.StatusInternalServerError // the server answers so
			}
			mw.done(r2, rec, body.n.Load(), time.Since(start))
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r2)
	})
}

func (mw *Middleware) done(r *http.Request, rec *recorder, in int64, took time.Duration) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	if m := mw.Metrics; m != nil {
		method := methodLabel(r.Method)
		m.requests.WithLabelValues(method, itoa(status)).Inc()
		m.duration.WithLabelValues(method).Observe(took.Seconds())
		switch {
		case status == http.StatusUnauthorized && r.Header.Get("Authorization") != "":
			m.authFailures.WithLabelValues("rejected").Inc()
		case status == http.StatusTooManyRequests:
			m.authFailures.WithLabelValues("throttled").Inc()
		}
	}
	if mw.Log == nil {
		return
	}
	level := slog.LevelInfo
	switch {
	case mw.Quiet != nil && mw.Quiet(r):
		level = slog.LevelDebug
	case status >= 500:
		level = slog.LevelWarn
	}
	ctx := r.Context()
	if !mw.Log.Enabled(ctx, level) {
		return
	}
	user, _, _ := r.BasicAuth() // the name only, never the password
	mw.Log.LogAttrs(ctx, level, "request",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path), // no query: it may carry a token
		slog.Int("status", status),
		slog.Int64("bytes_in", in),
		slog.Int64("bytes_out", rec.bytes),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		slog.String("remote", ClientAddr(r)),
		slog.String("user", user),
		slog.String("user_agent", r.UserAgent()),
	)
}

func itoa(code int) string {
	if code >= 100 && code < 1000 {
		return string([]byte{byte('0' + code/100), byte('0' + code/10%10), byte('0' + code%10)})
	}
	return "other"
}

func remoteHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// recorder notes the status and counts the body of a response. It keeps
// http.Flusher, io.ReaderFrom and Unwrap (for http.ResponseController).
type recorder struct {
	http.ResponseWriter
	status  int
	bytes   int64
	counter prometheus.Counter
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.add(n)
	return n, err
}

func (w *recorder) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, r)
	w.add(int(n))
	return n, err
}

func (w *recorder) add(n int) {
	w.bytes += int64(n)
	if w.counter != nil && n > 0 {
		w.counter.Add(float64(n))
	}
}

func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if w.status == 0 {
			w.status = http.StatusOK
		}
		f.Flush()
	}
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingBody counts request body bytes as they are read, so a long
// upload shows in the metrics while it runs.
type countingBody struct {
	io.ReadCloser
	n       atomic.Int64
	counter prometheus.Counter
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.n.Add(int64(n))
		if b.counter != nil {
			b.counter.Add(float64(n))
		}
	}
	return n, err
}
