package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// runner runs scenarios inside one folder of the server and collects rows.
type runner struct {
	c    *client
	cfg  config
	dir  string // the run's folder, relative to the base URL, with a trailing slash
	rows []row
	bigs []bigFile
}

// bigFile is a large file this run uploaded.
type bigFile struct {
	name string
	seed uint64
	sum  [sha256.Size]byte // of what was sent
}

// row is one line of the result table.
type row struct {
	name  string
	reqs  int
	bytes int64
	dur   time.Duration
	lat   []time.Duration // per request, for req/s and percentiles
	note  string
}

const (
	smallSeed    = 1 << 32 // small file i has seed smallSeed+i
	propfindSeed = 2 << 32
	listingLimit = 256 << 20 // largest PROPFIND response accepted
)

// putBig uploads a generated file of cfg.size bytes, with a Content-Length
// or chunked, hashing what it sends.
func (r *runner) putBig(ctx context.Context, chunked bool) error {
	size, label, n := r.cfg.size, "length", r.cfg.size
	if chunked {
		label, n = "chunked", -1
	}
	f := bigFile{name: r.dir + "big-" + label + ".bin", seed: uint64(len(r.bigs) + 1)}
	h := sha256.New()
	start := time.Now()
	if err := r.c.check(ctx, http.MethodPut, f.name, io.TeeReader(newStream(f.seed, 0, size), h), n, nil,
		http.StatusCreated, http.StatusNoContent); err != nil {
		return err
	}
	d := time.Since(start)
	h.Sum(f.sum[:0])
	r.bigs = append(r.bigs, f)
	r.rows = append(r.rows, row{name: fmt.Sprintf("PUT %s (%s)", fmtBytes(size), label), reqs: 1, bytes: size, dur: d})
	return nil
}

// getBig downloads f and compares its SHA-256 with what was uploaded.
func (r *runner) getBig(ctx context.Context, f bigFile) error {
	size := r.cfg.size
	start := time.Now()
	resp, err := r.c.do(ctx, http.MethodGet, f.name, nil, 0, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", f.name, err)
	}
	defer resp.Body.Close()
	if err := expect(resp, "GET", f.name, http.StatusOK); err != nil {
		return err
	}
	if resp.ContentLength != size {
		return fmt.Errorf("GET %s: Content-Length %d, want %d", f.name, resp.ContentLength, size)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, resp.Body, make([]byte, 256<<10))
	if err != nil {
		return fmt.Errorf("GET %s: after %d bytes: %w", f.name, n, err)
	}
	d := time.Since(start)
	if n != size {
		return fmt.Errorf("GET %s: got %d bytes, want %d", f.name, n, size)
	}
	if !bytes.Equal(h.Sum(nil), f.sum[:]) {
		return fmt.Errorf("GET %s: SHA-256 differs from the uploaded content", f.name)
	}
	r.rows = append(r.rows, row{name: "GET " + strings.TrimPrefix(f.name, r.dir), reqs: 1, bytes: size, dur: d, note: "sha256 ok"})
	return nil
}

// getRange downloads up to 1 MiB from the middle of f, at an odd offset,
// and compares it byte for byte with the generator.
func (r *runner) getRange(ctx context.Context, f bigFile) error {
	size := r.cfg.size
	n := min(1<<20, size/2)
	off := max(size/2-n/2-3, 0)
	hdr := map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", off, off+n-1)}
	start := time.Now()
	resp, err := r.c.do(ctx, http.MethodGet, f.name, nil, 0, hdr)
	if err != nil {
		return fmt.Errorf("GET %s %s: %w", f.name, hdr["Range"], err)
	}
	defer resp.Body.Close()
	if err := expect(resp, "GET", f.name+" "+hdr["Range"], http.StatusPartialContent); err != nil {
		return err
	}
	if got, want := resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, size); got != want {
		return fmt.Errorf("GET %s %s: Content-Range %q, want %q", f.name, hdr["Range"], got, want)
	}
	if err := verify(resp.Body, newStream(f.seed, off, n)); err != nil {
		return fmt.Errorf("GET %s %s: %w", f.name, hdr["Range"], err)
	}
	r.rows = append(r.rows, row{name: fmt.Sprintf("GET range %s @ %d", fmtBytes(n), off), reqs: 1, bytes: n,
		dur: time.Since(start), note: "bytes ok"})
	return nil
}

// putMany uploads count generated files of size bytes into folder with
// cfg.workers workers and returns their latencies and the wall time.
func (r *runner) putMany(ctx context.Context, folder string, count int, size int64, seed uint64) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, count)
	start := time.Now()
	err := parallel(ctx, count, r.cfg.workers, func(ctx context.Context, i int) error {
		t := time.Now()
		err := r.c.check(ctx, http.MethodPut, fmt.Sprintf("%sf%06d.bin", folder, i),
			newStream(seed+uint64(i), 0, size), size, nil, http.StatusCreated)
		lat[i] = time.Since(t)
		return err
	})
	return lat, time.Since(start), err
}

// small measures many small PUTs in parallel, then reads a sample back.
func (r *runner) small(ctx context.Context) error {
	folder, count, size := r.dir+"small/", r.cfg.small, r.cfg.smallSize
	if err := r.c.check(ctx, "MKCOL", folder, nil, 0, nil, http.StatusCreated); err != nil {
		return err
	}
	lat, d, err := r.putMany(ctx, folder, count, size, smallSeed)
	if err != nil {
		return err
	}
	samples := min(10, count)
	for k := range samples {
		i := k * count / samples
		name := fmt.Sprintf("%sf%06d.bin", folder, i)
		resp, err := r.c.do(ctx, http.MethodGet, name, nil, 0, nil)
		if err != nil {
			return fmt.Errorf("GET %s: %w", name, err)
		}
		err = expect(resp, "GET", name, http.StatusOK)
		if err == nil {
			err = verify(resp.Body, newStream(smallSeed+uint64(i), 0, size))
		}
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("GET %s: %w", name, err)
		}
	}
	r.rows = append(r.rows, row{name: fmt.Sprintf("PUT %s ×%d (%d workers)", fmtBytes(size), count, r.cfg.workers),
		reqs: count, bytes: int64(count) * size, dur: d, lat: lat, note: fmt.Sprintf("%d read back ok", samples)})
	return nil
}

const allprop = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`

// propfind fills a folder with cfg.files files, then lists it with
// PROPFIND Depth 1 cfg.rounds times.
func (r *runner) propfind(ctx context.Context) error {
	folder, count := r.dir+"propfind/", r.cfg.files
	if err := r.c.check(ctx, "MKCOL", folder, nil, 0, nil, http.StatusCreated); err != nil {
		return err
	}
	lat, d, err := r.putMany(ctx, folder, count, 64, propfindSeed)
	if err != nil {
		return err
	}
	r.rows = append(r.rows, row{name: fmt.Sprintf("PUT 64 B ×%d (setup, %d workers)", count, r.cfg.workers),
		reqs: count, bytes: int64(count) * 64, dur: d, lat: lat})

	var durs []time.Duration
	var total time.Duration
	var size int
	for range r.cfg.rounds {
		start := time.Now()
		body, err := r.list(ctx, folder)
		d := time.Since(start) // the server's work and the transfer, not the parsing below
		if err != nil {
			return err
		}
		n, err := countResponses(body)
		if err != nil {
			return fmt.Errorf("PROPFIND %s: %w", folder, err)
		}
		if n != count+1 {
			return fmt.Errorf("PROPFIND %s: %d entries, want %d", folder, n, count+1)
		}
		durs, total, size = append(durs, d), total+d, len(body)
	}
	slices.Sort(durs)
	r.rows = append(r.rows, row{name: fmt.Sprintf("PROPFIND depth 1, %d files", count), reqs: len(durs), dur: total,
		note: fmt.Sprintf("min %s, median %s; %d entries, %s XML", fmtDur(durs[0]), fmtDur(durs[len(durs)/2]), count+1, fmtBytes(int64(size)))})
	return nil
}

// list returns the body of an allprop PROPFIND Depth 1 of folder.
func (r *runner) list(ctx context.Context, folder string) ([]byte, error) {
	resp, err := r.c.do(ctx, "PROPFIND", folder, strings.NewReader(allprop), int64(len(allprop)),
		map[string]string{"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
	if err != nil {
		return nil, fmt.Errorf("PROPFIND %s: %w", folder, err)
	}
	defer resp.Body.Close()
	if err := expect(resp, "PROPFIND", folder, http.StatusMultiStatus); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, listingLimit+1))
	if err != nil {
		return nil, fmt.Errorf("PROPFIND %s: %w", folder, err)
	}
	if len(body) > listingLimit {
		return nil, fmt.Errorf("PROPFIND %s: response larger than %s", folder, fmtBytes(listingLimit))
	}
	return body, nil
}

// countResponses counts the DAV:response elements of a multistatus body.
func countResponses(body []byte) (int, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	n := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Space == "DAV:" && se.Name.Local == "response" {
			n++
		}
	}
}
