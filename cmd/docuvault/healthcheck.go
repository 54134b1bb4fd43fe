package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"
)

// healthcheck asks the server this configuration describes for /readyz (or
// --url) and fails unless it answers 200: the container image's
// HEALTHCHECK, which has no curl.
func (e env) healthcheck(ctx context.Context, args []string) error {
	var target string
	var timeout time.Duration
	c, pos, err := e.flags("healthcheck", args, func(fs *flag.FlagSet) {
		fs.StringVar(&target, "url", "", "URL to check (default: /readyz on the address of --listen)")
		fs.DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	})
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("healthcheck: unexpected argument %q", pos[0])
	}
	if target == "" {
		target = selfURL(c) + "/readyz"
	}
	client := &http.Client{
		Timeout: timeout,
		// The server checks itself, often by a name its certificate does
		// not carry (or with a --dev-tls one): what matters is the answer.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("healthcheck: " + target + " answered " + resp.Status)
	}
	fmt.Fprintln(e.stdout, "ok")
	return nil
}

// selfURL is the base URL at which this host reaches --listen.
func selfURL(c *config) string {
	host, port, _ := net.SplitHostPort(c.Listen)
	switch ip := net.ParseIP(host); {
	case host == "":
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	scheme := "http"
	if c.TLSCert != "" || c.devTLS {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
