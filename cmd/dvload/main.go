// Command dvload measures a running DocuVault server: large streamed PUTs
// and GETs, many small PUTs, and PROPFIND of a large folder. It works in a
// fresh folder below the given URL, removes it at the end, prints a table,
// and exits non-zero on any failed request or verification.
//
//	go run ./cmd/dvload -url http://127.0.0.1:8080/dav/ -user U -pass P \
//	    [-only put1g,get1g,small,propfind] [-size 1GiB] [-small 2000] [-small-size 4KiB] \
//	    [-workers 16] [-files 10000] [-rounds 5] [-timeout 10m]
//
// The password may also come from $DVLOAD_PASS.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "dvload:", err)
		os.Exit(1)
	}
}

// scenarios in the order they run.
var scenarios = []string{"put1g", "get1g", "small", "propfind"}

type config struct {
	base                 *url.URL
	user, pass           string
	only                 map[string]bool
	size, smallSize      int64
	small, files         int
	workers, rounds      int
	timeout, cleanupTime time.Duration
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("dvload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := config{size: 1 << 30, smallSize: 4 << 10}
	rawURL := fs.String("url", "http://127.0.0.1:8080/dav/", "WebDAV URL of the server; all requests go below it")
	fs.StringVar(&c.user, "user", "", "user name")
	fs.StringVar(&c.pass, "pass", "", "password (default: $DVLOAD_PASS)")
	only := fs.String("only", strings.Join(scenarios, ","), "comma-separated scenarios to run")
	fs.Var((*sizeFlag)(&c.size), "size", "size of the large file (e.g. 1GiB, 8MiB)")
	fs.Var((*sizeFlag)(&c.smallSize), "small-size", "size of each small file")
	fs.IntVar(&c.small, "small", 2000, "number of small PUTs")
	fs.IntVar(&c.files, "files", 10000, "number of files in the PROPFIND folder")
	fs.IntVar(&c.workers, "workers", 16, "concurrent requests for small PUTs and folder setup")
	fs.IntVar(&c.rounds, "rounds", 5, "PROPFIND repetitions")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Minute, "time limit for all scenarios")
	fs.DurationVar(&c.cleanupTime, "cleanup-timeout", 2*time.Minute, "time limit for removing the run's folder")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	u, err := url.Parse(*rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("-url %q: want an http:// or https:// URL", *rawURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	c.base = u
	if c.pass == "" {
		c.pass = getenv("DVLOAD_PASS")
	}
	if c.user == "" {
		return c, errors.New("-user is required")
	}
	c.only = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(scenarios, s) {
			return c, fmt.Errorf("-only: unknown scenario %q (have %s)", s, strings.Join(scenarios, ", "))
		}
		c.only[s] = true
	}
	switch {
	case c.size < 1<<10:
		return c, errors.New("-size must be at least 1KiB")
	case c.smallSize < 1:
		return c, errors.New("-small-size must be positive")
	case c.small < 1 || c.files < 1 || c.workers < 1 || c.rounds < 1:
		return c, errors.New("-small, -files, -workers and -rounds must be positive")
	case c.timeout <= 0 || c.cleanupTime <= 0:
		return c, errors.New("-timeout and -cleanup-timeout must be positive")
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	r := &runner{
		c:   newClient(cfg.base, cfg.user, cfg.pass, cfg.workers+2),
		cfg: cfg,
		dir: fmt.Sprintf("dvload-%s-%04x/", time.Now().UTC().Format("20060102T150405"), rand.Uint32()&0xffff),
	}
	fmt.Fprintf(stdout, "dvload: %s%s\n", cfg.base, r.dir)
	if err := r.c.check(ctx, "MKCOL", r.dir, nil, 0, nil, http.StatusCreated); err != nil {
		return err
	}
	defer func() {
		// Clean up even after a failure, a timeout or an interrupt.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.cleanupTime)
		defer cancel()
		if cerr := r.cleanup(cctx, stderr); cerr != nil {
			err = errors.Join(err, fmt.Errorf("cleanup: %w", cerr))
		}
	}()

	steps := map[string]func(context.Context) error{
		"put1g": func(ctx context.Context) error {
			if err := r.putBig(ctx, false); err != nil {
				return err
			}
			return r.putBig(ctx, true)
		},
		"get1g": func(ctx context.Context) error {
			if len(r.bigs) == 0 {
				if err := r.putBig(ctx, false); err != nil {
					return err
				}
			}
			for _, f := range r.bigs {
				if err := r.getBig(ctx, f); err != nil {
					return err
				}
			}
			return r.getRange(ctx, r.bigs[0])
		},
		"small":    r.small,
		"propfind": r.propfind,
	}
	for _, s := range scenarios {
		if cfg.only[s] {
			if err = steps[s](ctx); err != nil {
				err = fmt.Errorf("%s: %w", s, err)
				break
			}
		}
	}
	printTable(stdout, r.rows)
	return err
}

// cleanup deletes the run's folder. It tries a few times: requests this run
// gave up on may still be finishing on the server, and a folder that gains
// an upload while it is deleted fails to go.
func (r *runner) cleanup(ctx context.Context, stderr io.Writer) error {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			fmt.Fprintf(stderr, "dvload: retrying cleanup after: %v\n", err)
			select {
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			}
		}
		if err = r.c.check(ctx, http.MethodDelete, r.dir, nil, 0, nil, http.StatusNoContent, http.StatusOK); err == nil {
			return nil
		}
	}
	return err
}

func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tREQS\tBYTES\tTIME\tMiB/s\treq/s\tp50\tp95\tp99\tNOTE")
	for _, r := range rows {
		secs := r.dur.Seconds()
		mbs, rps, p50, p95, p99 := "-", "-", "-", "-", "-"
		if r.bytes > 0 && secs > 0 {
			mbs = fmt.Sprintf("%.1f", float64(r.bytes)/(1<<20)/secs)
		}
		if len(r.lat) > 0 && secs > 0 {
			rps = fmt.Sprintf("%.0f", float64(r.reqs)/secs)
			p50, p95, p99 = fmtDur(percentile(r.lat, 50)), fmtDur(percentile(r.lat, 95)), fmtDur(percentile(r.lat, 99))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.name, r.reqs, fmtBytes(r.bytes), fmtDur(r.dur), mbs, rps, p50, p95, p99, r.note)
	}
	tw.Flush()
}

// percentile returns the nearest-rank p-th percentile of lat.
func percentile(lat []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), lat...)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func fmtDur(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

var units = []string{"B", "KiB", "MiB", "GiB", "TiB"}

func fmtBytes(n int64) string {
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f, i = f/1024, i+1
	}
	if i == 0 || f == float64(int64(f)) {
		return fmt.Sprintf("%d %s", int64(f), units[i])
	}
	return fmt.Sprintf("%.2f %s", f, units[i])
}

// sizeFlag parses sizes like 4096, 4KiB, 8MiB, 1GiB (K, M, G alike).
type sizeFlag int64

func (s *sizeFlag) String() string { return fmtBytes(int64(*s)) }

func (s *sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	*s = sizeFlag(n)
	return err
}

func parseSize(v string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(v))
	num := strings.TrimRight(u, "KMGTIB")
	unit := u[len(num):]
	shift, ok := map[string]uint{"": 0, "B": 0, "K": 10, "KIB": 10, "KB": 10, "M": 20, "MIB": 20, "MB": 20, "G": 30, "GIB": 30, "GB": 30, "T": 40, "TIB": 40, "TB": 40}[unit]
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if !ok || err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("bad size %q", v)
	}
	return n << shift, nil
}
