package obs

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestParseTrustedProxies(t *testing.T) {
	for _, ok := range []string{"", " ", "10.0.0.1", "10.0.0.0/8, 192.168.1.1 ,fd00::/8,::1", "10.0.0.0/8,,", "::ffff:10.0.0.1"} {
		if _, err := ParseTrustedProxies(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.local", "10.0.0.1:80", "10.0.0/8", "fe80::1%eth0", "::/129", "10.0.0.1 10.0.0.2"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestResolveClientAddr(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 2001:db8:ff::/48, 192.0.2.10")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		trusted TrustedProxies
		remote  string
		xff     []string
		want    string
	}{
		{"none configured: header ignored", nil, "198.51.100.7:5000", []string{"203.0.113.1"}, "198.51.100.7"},
		{"none configured, no port", nil, "198.51.100.7", []string{"203.0.113.1"}, "198.51.100.7"},
		{"direct client: header ignored", proxies, "198.51.100.7:5000", []string{"203.0.113.1"}, "198.51.100.7"},
		{"trusted proxy, no header", proxies, "10.1.2.3:5000", nil, "10.1.2.3"},
		{"trusted proxy, one hop", proxies, "10.1.2.3:5000", []string{"203.0.113.1"}, "203.0.113.1"},
		{"single trusted IP", proxies, "192.0.2.10:443", []string{"203.0.113.1"}, "203.0.113.1"},
		{"spoofed chain: rightmost untrusted", proxies, "10.1.2.3:5000", []string{"6.6.6.6, 7.7.7.7, 203.0.113.1"}, "203.0.113.1"},
		{"chain of trusted proxies skipped", proxies, "10.1.2.3:5000", []string{"6.6.6.6, 203.0.113.1, 10.9.9.9, 10.8.8.8"}, "203.0.113.1"},
		{"several header lines", proxies, "10.1.2.3:5000", []string{"6.6.6.6", "203.0.113.1, 10.9.9.9"}, "203.0.113.1"},
		{"all trusted: leftmost hop", proxies, "10.1.2.3:5000", []string{"10.5.5.5, 10.9.9.9"}, "10.5.5.5"},
		{"hop with port", proxies, "10.1.2.3:5000", []string{"203.0.113.1:61000"}, "203.0.113.1"},
		{"IPv6 proxy and client", proxies, "[2001:db8:ff::1]:443", []string{"2001:db8:1::5, 2001:db8:ff::2"}, "2001:db8:1::5"},
		{"IPv6 hop in brackets with port", proxies, "[2001:db8:ff::1]:443", []string{"[2001:db8:1::5]:1234"}, "2001:db8:1::5"},
		{"IPv6 hop in brackets", proxies, "[2001:db8:ff::1]:443", []string{"[2001:db8:1::5]"}, "2001:db8:1::5"},
		{"IPv4-mapped proxy", proxies, "[::ffff:10.1.2.3]:443", []string{"::ffff:203.0.113.1"}, "203.0.113.1"},
		{"IPv6 direct client", proxies, "[2001:db8:1::5]:443", []string{"203.0.113.1"}, "2001:db8:1::5"},
		{"garbage header", proxies, "10.1.2.3:5000", []string{"not an address"}, "10.1.2.3"},
		{"garbage left of client", proxies, "10.1.2.3:5000", []string{"<script>, 203.0.113.1"}, "203.0.113.1"},
		{"garbage after trusted hop", proxies, "10.1.2.3:5000", []string{"203.0.113.1, bogus, 10.9.9.9"}, "10.9.9.9"},
		{"empty entries", proxies, "10.1.2.3:5000", []string{" , 203.0.113.1,, "}, "203.0.113.1"},
		{"empty header", proxies, "10.1.2.3:5000", []string{""}, "10.1.2.3"},
		{"unknown host in RemoteAddr", proxies, "pipe", []string{"203.0.113.1"}, "pipe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.trusted.Resolve(tc.remote, tc.xff); got != tc.want {
				t.Errorf("Resolve(%q, %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
			}
		})
	}
}

func TestMiddlewareClientAddr(t *testing.T) {
	proxies, _ := ParseTrustedProxies("10.0.0.0/8")
	var got string
	h := (&Middleware{TrustedProxies: proxies}).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = ClientAddr(r)
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:4000"
	r.Header.Set(ForwardedForHeader, "6.6.6.6, 203.0.113.9")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != "203.0.113.9" {
		t.Errorf("ClientAddr behind the middleware = %q", got)
	}
	// Without the middleware: the connection's address.
	if a := ClientAddr(r); a != "10.0.0.1" {
		t.Errorf("ClientAddr without the middleware = %q", a)
	}
}
