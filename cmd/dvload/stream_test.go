package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestStreamIsRandomAccess(t *testing.T) {
	whole, err := io.ReadAll(iotest.OneByteReader(newStream(7, 0, 1000)))
	if err != nil || len(whole) != 1000 {
		t.Fatalf("read %d bytes, %v", len(whole), err)
	}
	for _, off := range []int64{0, 1, 7, 8, 9, 333, 999} {
		for _, n := range []int64{1, 5, 8, 17, 1000 - off} {
			n = min(n, 1000-off)
			got, _ := io.ReadAll(newStream(7, off, n))
			if !bytes.Equal(got, whole[off:off+n]) {
				t.Errorf("stream at %d, %d bytes differs from the whole stream", off, n)
			}
		}
	}
	other, _ := io.ReadAll(newStream(8, 0, 1000))
	if bytes.Equal(whole, other) {
		t.Error("seeds 7 and 8 give the same stream")
	}
}

func TestVerify(t *testing.T) {
	body := func() []byte { b, _ := io.ReadAll(newStream(3, 100, 5000)); return b }
	if err := verify(bytes.NewReader(body()), newStream(3, 100, 5000)); err != nil {
		t.Fatalf("intact body: %v", err)
	}
	flipped := body()
	flipped[4321] ^= 1
	cases := map[string]struct {
		body []byte
		want string
	}{
		"flipped byte": {flipped, "differs at byte 4421"},
		"short":        {body()[:4000], "ended at byte 4100 of 5100"},
		"long":         {append(body(), 0), "longer"},
	}
	for name, c := range cases {
		err := verify(bytes.NewReader(c.body), newStream(3, 100, 5000))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, c.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "4KiB": 4 << 10, "8MiB": 8 << 20, "1GiB": 1 << 30, "2g": 2 << 30, "1 GiB": 1 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "1.5GiB", "-1", "1PiB", "99999999999GiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i))
	}
	for p, want := range map[float64]time.Duration{50: 50, 95: 95, 99: 99, 100: 100} {
		if got := percentile(lat, p); got != want {
			t.Errorf("p%v = %d, want %d", p, got, want)
		}
	}
}
