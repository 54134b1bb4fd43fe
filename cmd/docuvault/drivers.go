package main

import (
	"context"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/s3"
	"github.com/docuvault/docuvault/backends/webdav"
	"github.com/docuvault/docuvault/storage"
)

// drivers returns the openers of the remote storage kinds.
func drivers() map[string]func(ctx context.Context, s storage.Spec) (backends.Backend, error) {
	return map[string]func(ctx context.Context, s storage.Spec) (backends.Backend, error){
		storage.S3: func(ctx context.Context, s storage.Spec) (backends.Backend, error) {
			return s3.New(ctx, s3.Config{Endpoint: s.Endpoint, Region: s.Region, Bucket: s.Bucket, Prefix: s.Prefix,
				AccessKey: s.AccessKey, SecretKey: s.Secrets["secret_key"], UseTLS: s.UseTLS})
		},
		storage.WebDAV: func(_ context.Context, s storage.Spec) (backends.Backend, error) {
			return webdav.New(webdav.Config{URL: s.URL, Username: s.Username, Password: s.Secrets["password"], Nextcloud: s.Nextcloud})
		},
	}
}
