package auth

import (
	"sync"
	"time"
)

// Limiter tracks failed sign-ins per key (a username or a client address)
// and imposes an exponential wait once a key exceeds Free failures.
type Limiter struct {
	Free   int           // failures allowed before any wait
	Base   time.Duration // first wait
	Max    time.Duration // longest wait
	Forget time.Duration // a key with no failure for this long starts over

	mu   sync.Mutex
	keys map[string]*failures
}

type failures struct {
	count int
	last  time.Time
	until time.Time
}

// NewLimiter returns a limiter with the server's defaults: 5 free failures,
// then 1s, 2s, 4s … up to 15 minutes.
func NewLimiter() *Limiter {
	return &Limiter{Free: 5, Base: time.Second, Max: 15 * time.Minute, Forget: time.Hour}
}

// Wait returns how long key must still wait before its next attempt (0: none).
func (l *Limiter) Wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.keys[key]
	if f == nil || !now.Before(f.until) {
		return 0
	}
	return f.until.Sub(now)
}

// Fail records a failed attempt for key.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys == nil {
		l.keys = map[string]*failures{}
	}
	if len(l.keys) > 100_000 {
		l.sweep(now)
	}
	f := l.keys[key]
	if f == nil || now.Sub(f.last) > l.Forget {
		f = &failures{}
		l.keys[key] = f
	}
	f.count++
	f.last = now
	if over := f.count - l.Free; over > 0 {
		wait := l.Max
		if over < 30 && l.Base<<(over-1) < l.Max {
			wait = l.Base << (over - 1)
		}
		f.until = now.Add(wait)
	}
}

// Succeed clears key's failures.
func (l *Limiter) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

func (l *Limiter) sweep(now time.Time) {
	for k, f := range l.keys {
		if now.Sub(f.last) > l.Forget && !now.Before(f.until) {
			delete(l.keys, k)
		}
	}
}
