package davfs

import (
	"context"
	"sync"
	"time"

	"github.com/docuvault/docuvault/backends"
)

// spaceTTL is how long a storage's own quota numbers are reused: they
// change slowly, and Finder and Explorer list folders (and so ask) all the
// time; each asking is a round trip to OneDrive, Google Drive or a WebDAV
// server.
const spaceTTL = 30 * time.Second

// spaceCache remembers each user's storage numbers across requests.
type spaceCache struct {
	mu      sync.Mutex
	entries map[int64]spaceEntry
}

type spaceEntry struct {
	used, avail int64
	at          time.Time
}

// get returns the numbers of user's storage b (avail -1: unknown).
func (c *spaceCache) get(ctx context.Context, user int64, b backends.Backend) (used, avail int64) {
	sr, ok := b.(backends.SpaceReporter)
	if !ok {
		return 0, -1
	}
	now := time.Now()
	if c != nil {
		c.mu.Lock()
		e, ok := c.entries[user]
		c.mu.Unlock()
		if ok && now.Sub(e.at) < spaceTTL {
			return e.used, e.avail
		}
	}
	used, avail, err := sr.Space(ctx)
	if err != nil || avail < 0 {
		used, avail = -1, -1
	}
	if c != nil {
		c.mu.Lock()
		if c.entries == nil || len(c.entries) > 100_000 {
			c.entries = map[int64]spaceEntry{}
		}
		c.entries[user] = spaceEntry{used: used, avail: avail, at: now}
		c.mu.Unlock()
	}
	return used, avail
}
