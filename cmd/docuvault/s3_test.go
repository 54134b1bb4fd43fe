package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/docuvault/docuvault/internal/miniotest"
	"github.com/docuvault/docuvault/internal/testserver"
)

// s3User starts MinIO and a DocuVault server whose user "ann" keeps her
// home on a fresh bucket of it.
func s3User(t *testing.T) (*testserver.Server, *miniotest.Server, string) {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	t.Setenv("DOCUVAULT_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString(key))
	m := miniotest.Start(t)
	bucket := m.NewBucket(t)
	s := testserver.Start(t, testserver.Options{})
	s.AddUser("ann", "ann-password")
	out, err := s.Run(m.SecretKey+"\n", "storage", "set", "ann", "--kind", "s3", "--endpoint", m.Endpoint,
		"--bucket", bucket, "--prefix", "users/ann", "--access-key", m.AccessKey, "--secret-stdin")
	if err != nil {
		t.Fatalf("storage set: %v\n%s", err, out)
	}
	return s, m, bucket
}

func TestLitmusOnS3(t *testing.T) {
	bin := litmusBinary(t)
	s, _, _ := s3User(t)
	runLitmus(t, bin, s, "ann", "ann-password")
}

// TestS3LargeChunkedUpload streams 1 GiB with unknown length (as Finder
// does) through DocuVault into MinIO, reads it back, and bounds the
// server's peak memory.
func TestS3LargeChunkedUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB upload")
	}
	s, m, bucket := s3User(t)
	const size = 1 << 30
	src := io.LimitReader(mrand.NewChaCha8([32]byte{7}), size)
	sum := sha256.New()
	req, _ := http.NewRequest("PUT", s.URL+"/dav/big.bin", io.TeeReader(src, sum))
	req.ContentLength = -1 // chunked
	req.SetBasicAuth("ann", "ann-password")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT = %d", resp.StatusCode)
	}
	if obj, err := m.Client().StatObject(t.Context(), bucket, "users/ann/big.bin", minio.StatObjectOptions{}); err != nil || obj.Size != size {
		t.Fatalf("object in MinIO: %+v, %v", obj.Size, err)
	}
	req, _ = http.NewRequest("GET", s.URL+"/dav/big.bin", nil)
	req.SetBasicAuth("ann", "ann-password")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.Copy(got, resp.Body)
	resp.Body.Close()
	if err != nil || n != size || fmt.Sprintf("%x", got.Sum(nil)) != fmt.Sprintf("%x", sum.Sum(nil)) {
		t.Fatalf("GET: %d bytes, %v, hash match %v", n, err, string(got.Sum(nil)) == string(sum.Sum(nil)))
	}
	rss, err := s.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("server peak RSS after 1 GiB chunked up to MinIO and back: %.1f MiB", float64(rss)/(1<<20))
	if rss > 256<<20 {
		t.Fatalf("server peak RSS %d MiB, want < 256 MiB", rss>>20)
	}
}
