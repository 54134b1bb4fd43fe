package main

import (
	"context"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/gdrive"
	"github.com/docuvault/docuvault/backends/onedrive"
	"github.com/docuvault/docuvault/backends/s3"
	"github.com/docuvault/docuvault/backends/webdav"
	"github.com/docuvault/docuvault/storage"
)

// drivers returns the openers of the remote storage kinds. OneDrive and
// Google Drive get the token source the opener built (storage.Spec.TokenSource)
// and the API base URL of the configuration.
func drivers(c *config) map[string]func(ctx context.Context, s storage.Spec) (backends.Backend, error) {
	return map[string]func(ctx context.Context, s storage.Spec) (backends.Backend, error){
		storage.S3: func(ctx context.Context, s storage.Spec) (backends.Backend, error) {
			return s3.New(ctx, s3.Config{Endpoint: s.Endpoint, Region: s.Region, Bucket: s.Bucket, Prefix: s.Prefix,
				AccessKey: s.AccessKey, SecretKey: s.Secrets["secret_key"], UseTLS: s.UseTLS})
		},
		storage.WebDAV: func(_ context.Context, s storage.Spec) (backends.Backend, error) {
			return webdav.New(webdav.Config{URL: s.URL, Username: s.Username, Password: s.Secrets["password"], Nextcloud: s.Nextcloud})
		},
		storage.OneDrive: func(ctx context.Context, s storage.Spec) (backends.Backend, error) {
			b, err := onedrive.New(ctx, onedrive.Config{BaseURL: c.OneDrive.APIURL, TokenSource: s.TokenSource})
			if err != nil {
				return nil, err
			}
			return b, nil
		},
		storage.GDrive: func(_ context.Context, s storage.Spec) (backends.Backend, error) {
			b, err := gdrive.New(gdrive.Config{BaseURL: c.GDrive.APIURL, TokenSource: s.TokenSource, RootID: s.RootID})
			if err != nil {
				return nil, err
			}
			return b, nil
		},
	}
}
