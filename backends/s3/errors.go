package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"syscall"

	"github.com/minio/minio-go/v7"

	"github.com/docuvault/docuvault/backends"
)

// fail wraps err from an operation on name in one of the package's error
// kinds. Messages carry the S3 error code and message or the network error
// without its URL, never keys, query strings or credentials.
func (s *Store) fail(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("s3: %s %q: %w", op, name, cause(err))
}

// cause is err reduced to its kind and a description safe to show.
func cause(err error) error {
	kind, detail := classify(err)
	switch {
	case kind == nil:
		return errors.New(detail)
	case detail == "":
		return kind
	}
	return fmt.Errorf("%w: %s", kind, detail)
}

// classify returns the error kind of err (nil when none applies) and a
// description safe to show.
func classify(err error) (kind error, detail string) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return contextErr(err), ""
	}
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		detail = er.Code
		if er.Message != "" {
			detail += ": " + er.Message
		}
		switch {
		case er.Code == minio.NoSuchKey, er.Code == minio.NoSuchBucket, er.Code == minio.NoSuchUpload,
			er.Code == "NotFound", er.StatusCode == http.StatusNotFound:
			return fs.ErrNotExist, detail
		case er.Code == minio.AccessDenied, er.Code == "InvalidAccessKeyId", er.Code == "SignatureDoesNotMatch",
			er.StatusCode == http.StatusForbidden:
			return fs.ErrPermission, detail
		case er.Code == minio.InvalidArgument, er.Code == minio.XMinioInvalidObjectName,
			er.Code == "KeyTooLongError", er.Code == "InvalidObjectName", er.Code == "EntityTooLarge":
			return fs.ErrInvalid, detail
		case er.StatusCode >= 500, er.StatusCode == http.StatusRequestTimeout, er.StatusCode == http.StatusTooManyRequests,
			er.Code == "SlowDown", er.Code == "RequestTimeout", er.Code == "ServiceUnavailable", er.Code == "InternalError":
			return backends.ErrUnavailable, detail
		}
		return nil, detail
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // drop the request URL
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return backends.ErrUnavailable, err.Error()
	}
	return nil, err.Error()
}

// contextErr keeps context.Canceled and context.DeadlineExceeded matchable.
func contextErr(err error) error {
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	return context.DeadlineExceeded
}
