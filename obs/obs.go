// Package obs is what an operator sees of a running server: a request id
// on every request (X-Request-Id) and every log line written during it,
// structured access logs through log/slog, Prometheus metrics on a
// registry of the server's own, health handlers, and a storage wrapper that
// counts backend failures by driver.
//
// Nothing here logs credentials: the access log names the method, path
// (without the query), status, sizes, duration, client address and the
// Basic username, never a header value; attributes whose key names a
// secret are redacted as a second line of defence.
package obs
