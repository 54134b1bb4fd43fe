package auth

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/docuvault/docuvault/obs"
)

// TestBackoffBehindProxy runs Basic behind obs.Middleware: clients behind a
// trusted proxy are throttled each on its own address, and a direct client
// cannot pick its address with X-Forwarded-For.
func TestBackoffBehindProxy(t *testing.T) {
	b, _, _, _ := setup(t)
	proxies, err := obs.ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	var last error
	h := (&obs.Middleware{TrustedProxies: proxies}).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, last = b.Authenticate(r)
	}))
	n := 0
	try := func(remote, xff string) error {
		n++ // a new user name each time: only the address key can throttle
		r := httptest.NewRequest("PROPFIND", "/dav/", nil)
		r.RemoteAddr = remote
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		r.SetBasicAuth(fmt.Sprintf("user%d", n), "guess")
		h.ServeHTTP(httptest.NewRecorder(), r)
		return last
	}
	throttled := func(err error) bool {
		var te *ThrottledError
		return errors.As(err, &te)
	}
	const proxy = "10.0.0.1:40000"

	for i := 0; i <= b.Limiter.Free; i++ {
		if err := try(proxy, "6.6.6.6, 203.0.113.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("client A failure %d: %v", i, err)
		}
	}
	if err := try(proxy, "203.0.113.1"); !throttled(err) {
		t.Fatalf("client A not throttled: %v", err)
	}
	if err := try(proxy, "203.0.113.2"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("client B, behind the same proxy, got %v; want its own count", err)
	}
	if err := try(proxy, "203.0.113.1, 203.0.113.2"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("client B spoofing A on the left got %v", err)
	}

	// A direct client's header is ignored: it is counted as itself.
	for i := 0; i <= b.Limiter.Free; i++ {
		if err := try("198.51.100.9:5000", fmt.Sprintf("192.0.2.%d", i)); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("direct failure %d: %v", i, err)
		}
	}
	if err := try("198.51.100.9:5000", "192.0.2.200"); !throttled(err) {
		t.Fatalf("direct client escaped with X-Forwarded-For: %v", err)
	}
	if err := try("198.51.100.10:5000", "198.51.100.9"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("direct client could not be blamed on another: %v", err)
	}
	if err := try(proxy, "203.0.113.3"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("client C behind the proxy: %v", err)
	}
}
