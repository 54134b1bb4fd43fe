package miniotest

import (
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

func TestRestartKeepsData(t *testing.T) {
	s := Start(t)
	if !strings.HasPrefix(s.Endpoint, "127.0.0.1:") {
		t.Fatalf("endpoint %s", s.Endpoint)
	}
	bucket := s.NewBucket(t)
	c := s.Client()
	if _, err := c.PutObject(t.Context(), bucket, "k", strings.NewReader("v"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if _, err := c.StatObject(t.Context(), bucket, "k", minio.StatObjectOptions{}); err == nil {
		t.Fatal("stopped server answered")
	}
	s.Restart()
	if _, err := c.StatObject(t.Context(), bucket, "k", minio.StatObjectOptions{}); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if other := s.NewBucket(t); other == bucket {
		t.Fatal("bucket names repeat")
	}
}

func TestBinaryMissing(t *testing.T) {
	t.Setenv("PATH", "")
	t.Setenv("GOPATH", t.TempDir())
	if b := Binary(); b != "" {
		t.Fatalf("found %s", b)
	}
}
