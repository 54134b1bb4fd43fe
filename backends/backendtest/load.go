package backendtest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docuvault/docuvault/backends"
)

// List returns every entry of a large folder (past any page size), once.
func testListMany(t *testing.T, b backends.Backend) {
	const n, workers = 2000, 8
	mkdir(t, b, "/big")
	mkdir(t, b, "/other")
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("entry %04d", i)
	}
	jobs := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				name := "/big/" + names[i]
				var err error
				if i%20 == 0 {
					err = b.Mkdir(t.Context(), name)
				} else {
					_, err = b.Put(t.Context(), name, bytes.NewReader([]byte(names[i])), int64(len(names[i])))
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
				}
			}
		})
	}
	for i := range names {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wantNames(t, b, "/big", names...)
	m := list(t, b, "/big")
	for i, name := range names {
		if fi := m[name]; fi.IsDir != (i%20 == 0) || (!fi.IsDir && fi.Size != int64(len(name))) {
			t.Errorf("List(/big) %q = {IsDir %v, Size %d}", name, fi.IsDir, fi.Size)
			break
		}
	}
	wantNames(t, b, "/other")
	wantNames(t, b, "/", "big", "other")

	// Moving and removing the folder reach every entry too.
	dir := "/big"
	if mv, ok := b.(backends.Mover); ok {
		dir = "/moved"
		if err := mv.Move(t.Context(), "/big", dir); err != nil {
			t.Fatalf("Move of the large folder: %v", err)
		}
		wantMissing(t, b, "/big")
		wantNames(t, b, dir, names...)
	}
	if ra, ok := b.(backends.RemoveAller); ok {
		if err := ra.RemoveAll(t.Context(), dir); err != nil {
			t.Fatalf("RemoveAll of the large folder: %v", err)
		}
		wantMissing(t, b, dir)
		wantNames(t, b, "/", "other")
	}
}

// Concurrent Puts to one name leave exactly one complete version. The
// writers meet halfway through their bodies so the uploads overlap; a driver
// that serialises Puts releases them after a while.
func testConcurrentPut(t *testing.T, b backends.Backend) {
	const writers = 8
	versions := make([][]byte, writers)
	for i := range versions {
		versions[i] = pattern(uint64(100+i), (i+1)<<18+i*1013)
	}
	halfway := make(chan struct{})
	release := sync.OnceFunc(func() { close(halfway) })
	var arrived atomic.Int32
	meet := func() error {
		if arrived.Add(1) == writers {
			release()
		}
		select {
		case <-halfway:
		case <-time.After(2 * time.Second):
			release()
		}
		return nil
	}
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			v := versions[i]
			r := &hookReader{r: chunkReader{bytes.NewReader(v), 32 << 10}, after: int64(len(v) / 2), hook: meet}
			_, errs[i] = b.Put(t.Context(), "/f", r, int64(len(v)))
		})
	}
	wg.Wait()
	got, err := read(t, b, "/f", 0, -1)
	if err != nil {
		t.Fatalf("reading the result: %v", err)
	}
	match := -1
	for i, v := range versions {
		if errs[i] != nil {
			t.Logf("writer %d: %v", i, errs[i])
		} else if bytes.Equal(got, v) {
			match = i
		}
	}
	if match < 0 {
		t.Fatalf("result (%d bytes) is none of the successfully written versions", len(got))
	}
	if fi := stat(t, b, "/f"); fi.Size != int64(len(got)) {
		t.Errorf("Stat Size %d, content %d bytes", fi.Size, len(got))
	}
	wantNames(t, b, "/", "f")
}

// heapMeter records the peak HeapInuse above a baseline.
type heapMeter struct {
	base, peak uint64
}

func newHeapMeter() *heapMeter {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return &heapMeter{base: ms.HeapInuse, peak: ms.HeapInuse}
}

func (m *heapMeter) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.peak = max(m.peak, ms.HeapInuse)
}

func (m *heapMeter) growth() int64 { return int64(m.peak - m.base) }

const sampleEvery = 8 << 20

// genReader yields size pseudo-random bytes, hashing them and sampling the
// heap every 8 MiB.
type genReader struct {
	rng   *rand.ChaCha8
	left  int64
	done  int64
	h     hash.Hash
	meter *heapMeter
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.left)]
	g.rng.Read(p)
	g.h.Write(p)
	if (g.done+int64(len(p)))/sampleEvery != g.done/sampleEvery {
		g.meter.sample()
	}
	g.done += int64(len(p))
	g.left -= int64(len(p))
	return len(p), nil
}

// meterWriter hashes what it is given, sampling the heap every 8 MiB.
type meterWriter struct {
	h     hash.Hash
	n     int64
	meter *heapMeter
}

func (w *meterWriter) Write(p []byte) (int, error) {
	if (w.n+int64(len(p)))/sampleEvery != w.n/sampleEvery {
		w.meter.sample()
	}
	w.n += int64(len(p))
	return w.h.Write(p)
}

// testLarge streams opts.LargeSize bytes in and out, bounding the heap growth
// of each direction by opts.MaxUploadHeap.
func testLarge(opts Options, size int64) func(*testing.T, backends.Backend) {
	return func(t *testing.T, b backends.Backend) {
		if testing.Short() {
			t.Skip("large stream skipped in -short mode")
		}
		n := opts.LargeSize
		g := &genReader{rng: rand.NewChaCha8([32]byte{42}), left: n, h: sha256.New()}
		if size >= 0 {
			size = n
		}
		g.meter = newHeapMeter()
		fi, err := b.Put(t.Context(), "/large", g, size)
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		g.meter.sample() // buffers still held or not yet collected
		up := g.meter.growth()
		if fi.Size != n {
			t.Errorf("Put returned Size %d, want %d", fi.Size, n)
		}
		if fi := stat(t, b, "/large"); fi.Size != n {
			t.Errorf("Stat Size %d, want %d", fi.Size, n)
		}

		buf := make([]byte, 1<<20)
		w := &meterWriter{h: sha256.New()}
		w.meter = newHeapMeter()
		rc, err := b.Open(t.Context(), "/large", 0, -1)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		_, err = io.CopyBuffer(w, struct{ io.Reader }{rc}, buf)
		w.meter.sample()
		rc.Close()
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		down := w.meter.growth()
		if w.n != n || !bytes.Equal(w.h.Sum(nil), g.h.Sum(nil)) {
			t.Errorf("read back %d bytes that differ from the %d written", w.n, n)
		}
		t.Logf("%d MiB: heap growth %.1f MiB uploading, %.1f MiB reading", n>>20, float64(up)/(1<<20), float64(down)/(1<<20))
		if up > opts.MaxUploadHeap {
			t.Errorf("heap grew by %d MiB during the upload, limit %d MiB", up>>20, opts.MaxUploadHeap>>20)
		}
		if down > opts.MaxUploadHeap {
			t.Errorf("heap grew by %d MiB while reading back, limit %d MiB", down>>20, opts.MaxUploadHeap>>20)
		}
	}
}
