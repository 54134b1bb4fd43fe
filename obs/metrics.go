package obs

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the server's collectors on a registry of its own (no
// package globals: two servers in one test process do not mix counts).
type Metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	bytesIn       *prometheus.CounterVec
	bytesOut      *prometheus.CounterVec
	inFlight      prometheus.Gauge
	authFailures  *prometheus.CounterVec
	backendErrors *prometheus.CounterVec
}

// NewMetrics registers the HTTP, authentication and backend collectors and
// the Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "docuvault_http_requests_total",
			Help: "HTTP requests answered, by method and status code.",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "docuvault_http_request_duration_seconds",
			Help: "Time from receiving a request to the end of its response, by method.",
			// From a cached PROPFIND to a large upload.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
		}, []string{"method"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "docuvault_http_request_body_bytes_total",
			Help: "Request body bytes read, by method.",
		}, []string{"method"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "docuvault_http_response_body_bytes_total",
			Help: "Response body bytes written, by method.",
		}, []string{"method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "docuvault_http_requests_in_flight",
			Help: "Requests being served now.",
		}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "docuvault_auth_failures_total",
			Help: "Refused sign-ins: rejected credentials (401 to a request that sent some) or throttled (429).",
		}, []string{"reason"}),
		backendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "docuvault_backend_errors_total",
			Help: "Storage operations that failed on the storage's side (not missing files or refused names), by driver and operation.",
		}, []string{"driver", "op"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.bytesIn, m.bytesOut, m.inFlight, m.authFailures, m.backendErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where further collectors go.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format. A
// collector that fails is left out; the others are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// BackendError counts one failed storage operation.
func (m *Metrics) BackendError(driver, op string) {
	m.backendErrors.WithLabelValues(driver, op).Inc()
}

// GaugeFunc registers a gauge read by fn at each scrape, with up to timeout
// for it; when fn fails the gauge is left out of that scrape.
func (m *Metrics) GaugeFunc(name, help string, timeout time.Duration, fn func(ctx context.Context) (float64, error)) {
	m.reg.MustRegister(&gaugeFunc{desc: prometheus.NewDesc(name, help, nil, nil), timeout: timeout, fn: fn})
}

type gaugeFunc struct {
	desc    *prometheus.Desc
	timeout time.Duration
	fn      func(ctx context.Context) (float64, error)
}

func (g *gaugeFunc) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *gaugeFunc) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	v, err := g.fn(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(g.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, v)
}

// methods are the method label values; anything else is "OTHER", so a
// client cannot grow the label set.
var methods = map[string]bool{
	"GET": true, "HEAD": true, "PUT": true, "POST": true, "DELETE": true, "PATCH": true, "OPTIONS": true,
	"PROPFIND": true, "PROPPATCH": true, "MKCOL": true, "COPY": true, "MOVE": true, "LOCK": true, "UNLOCK": true,
}

func methodLabel(m string) string {
	if methods[m] {
		return m
	}
	return "OTHER"
}
