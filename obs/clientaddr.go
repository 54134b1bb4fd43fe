package obs

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ForwardedForHeader lists the addresses a request passed through, the
// client first; each proxy appends the address it received the request from.
const ForwardedForHeader = "X-Forwarded-For"

// TrustedProxies is the set of reverse proxies whose X-Forwarded-For is
// believed. Empty (the default) trusts none: the client address is the
// connection's.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies parses a comma-separated list of IP addresses and
// CIDR prefixes (10.0.0.1, 10.0.0.0/8, fd00::/8). Blank entries are skipped.
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var t TrustedProxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR prefix", f)
			}
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			t = append(t, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is not an IP address or CIDR prefix", f)
		}
		a = a.Unmap()
		t = append(t, netip.PrefixFrom(a, a.BitLen()))
	}
	return t, nil
}

// Contains reports whether a is a trusted proxy.
func (t TrustedProxies) Contains(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve returns the client address of a request from remoteAddr (the
// connection's host:port) and its X-Forwarded-For header values. Only when
// the connection comes from a trusted proxy is the header read: walking it
// from the right, the first address that is not a trusted proxy is the
// client (addresses left of it were written by the client and may be
// spoofed). If every hop is trusted, or an unparsable entry is met, the last
// trusted address walked past is the answer.
func (t TrustedProxies) Resolve(remoteAddr string, forwardedFor []string) string {
	host := remoteHost(remoteAddr)
	if len(t) == 0 {
		return host
	}
	peer, ok := parseHop(host)
	if !ok || !t.Contains(peer) {
		return host
	}
	client := peer
	for i := len(forwardedFor) - 1; i >= 0; i-- {
		hops := strings.Split(forwardedFor[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			if strings.TrimSpace(hops[j]) == "" {
				continue // "a,,b" or a trailing comma
			}
			a, ok := parseHop(hops[j])
			if !ok {
				return client.String()
			}
			client = a
			if !t.Contains(a) {
				return a.String()
			}
		}
	}
	return client.String()
}

// parseHop parses one X-Forwarded-For entry: an address, possibly with a
// port ("192.0.2.1:443", "[2001:db8::1]:443") or in brackets.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap().WithZone(""), true
		}
	}
	return netip.Addr{}, false
}

type clientAddrKey struct{}

// WithClientAddr returns ctx carrying the request's client address.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddr returns the client address Middleware resolved for r, or
// else the host of r.RemoteAddr.
func ClientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddrKey{}).(string); ok && a != "" {
		return a
	}
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}
