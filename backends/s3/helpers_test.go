package s3_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/s3"
	"github.com/docuvault/docuvault/internal/miniotest"
)

// env is one MinIO server and a bucket of it for a test.
type env struct {
	t      *testing.T
	srv    *miniotest.Server
	bucket string
	raw    *minio.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := miniotest.Start(t)
	return &env{t: t, srv: srv, bucket: srv.NewBucket(t), raw: srv.Client()}
}

func (e *env) config(prefix string) s3.Config {
	return s3.Config{
		Endpoint:  e.srv.Endpoint,
		Bucket:    e.bucket,
		Prefix:    prefix,
		AccessKey: e.srv.AccessKey,
		SecretKey: e.srv.SecretKey,
	}
}

// store opens the bucket below prefix; mod may change the config first.
func (e *env) store(prefix string, mod ...func(*s3.Config)) *s3.Store {
	e.t.Helper()
	cfg := e.config(prefix)
	for _, m := range mod {
		m(&cfg)
	}
	st, err := s3.New(ctx(e.t), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// keys lists every raw key below prefix, sorted.
func (e *env) keys(prefix string) []string {
	e.t.Helper()
	var out []string
	for oi := range e.raw.ListObjectsIter(ctx(e.t), e.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			e.t.Fatal(oi.Err)
		}
		out = append(out, oi.Key)
	}
	sort.Strings(out)
	return out
}

// rawPut writes a key directly, as another tool would.
func (e *env) rawPut(key, content string) {
	e.t.Helper()
	if _, err := e.raw.PutObject(ctx(e.t), e.bucket, key, strings.NewReader(content), int64(len(content)), minio.PutObjectOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// noIncompleteUploads fails when a multipart upload was left behind.
func (e *env) noIncompleteUploads() {
	e.t.Helper()
	for u := range e.raw.ListIncompleteUploads(ctx(e.t), e.bucket, "", true) {
		if u.Err != nil {
			e.t.Fatal(u.Err)
		}
		e.t.Errorf("incomplete multipart upload left: key %q id %s", u.Key, u.UploadID)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	t.Cleanup(cancel)
	return c
}

func randomPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "ns/" + hex.EncodeToString(b)
}

func put(t *testing.T, b backends.Backend, name, content string) backends.FileInfo {
	t.Helper()
	fi, err := b.Put(ctx(t), name, strings.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
	return fi
}

func mkdir(t *testing.T, b backends.Backend, name string) {
	t.Helper()
	if err := b.Mkdir(ctx(t), name); err != nil {
		t.Fatalf("mkdir %s: %v", name, err)
	}
}

func read(t *testing.T, b backends.Backend, name string) string {
	t.Helper()
	rc, err := b.Open(ctx(t), name, 0, -1)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(data)
}

func names(t *testing.T, b backends.Backend, dir string) []string {
	t.Helper()
	list, err := b.List(ctx(t), dir)
	if err != nil {
		t.Fatalf("list %s: %v", dir, err)
	}
	var out []string
	for _, fi := range list {
		n := fi.Name
		if fi.IsDir {
			n += "/"
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func wantErr(t *testing.T, err, kind error, what string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: got %v, want %v", what, err, kind)
	}
}

func wantNotExist(t *testing.T, b backends.Backend, name string) {
	t.Helper()
	_, err := b.Stat(ctx(t), name)
	wantErr(t, err, fs.ErrNotExist, "stat "+name)
}

// stream is n deterministic pseudo-random bytes that is only an io.Reader.
type stream struct {
	r *mrand.ChaCha8
	n int64
}

func newStream(seed byte, n int64) *stream {
	var s [32]byte
	s[0] = seed
	return &stream{r: mrand.NewChaCha8(s), n: n}
}

func (s *stream) Read(p []byte) (int, error) {
	if s.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.n {
		p = p[:s.n]
	}
	n, _ := s.r.Read(p)
	s.n -= int64(n)
	return n, nil
}

func streamSum(seed byte, n int64) string {
	h := sha256.New()
	io.Copy(h, newStream(seed, n))
	return hex.EncodeToString(h.Sum(nil))
}

func sumOf(t *testing.T, b backends.Backend, name string) string {
	t.Helper()
	rc, err := b.Open(ctx(t), name, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// heapProbe wraps a reader and records the peak heap in use above the
// baseline taken at creation, sampled every MiB read.
type heapProbe struct {
	r        io.Reader
	base     uint64
	peak     uint64
	sinceMiB int
}

func newHeapProbe(r io.Reader) *heapProbe {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return &heapProbe{r: r, base: ms.HeapAlloc}
}

func (h *heapProbe) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.sinceMiB += n
	if h.sinceMiB >= 1<<20 || err != nil {
		h.sinceMiB = 0
		h.sample()
	}
	return n, err
}

func (h *heapProbe) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > h.base && ms.HeapAlloc-h.base > h.peak {
		h.peak = ms.HeapAlloc - h.base
	}
}

// failingReader yields n bytes of data and then err.
type failingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= int64(n)
	return n, err
}
