package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// stream is a deterministic pseudo-random byte stream: byte o of the stream
// for a seed is always the same, so any range can be generated on its own
// and nothing is ever stored. Each 8-byte word is a splitmix64 hash of the
// seed and the word's index.
type stream struct {
	seed     uint64
	off, end int64 // next byte to produce; end of the stream (exclusive)
}

// newStream returns the n bytes of stream seed starting at offset off.
func newStream(seed uint64, off, n int64) *stream {
	return &stream{seed: seed, off: off, end: off + n}
}

func word(seed uint64, i int64) uint64 {
	z := seed + uint64(i)*0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

func (s *stream) byteAt(o int64) byte { return byte(word(s.seed, o/8) >> (8 * (o % 8))) }

func (s *stream) Read(p []byte) (int, error) {
	if s.off >= s.end {
		return 0, io.EOF
	}
	if rem := s.end - s.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	i, o := 0, s.off
	for ; i < len(p) && o%8 != 0; i, o = i+1, o+1 {
		p[i] = s.byteAt(o)
	}
	for ; i+8 <= len(p); i, o = i+8, o+8 {
		binary.LittleEndian.PutUint64(p[i:], word(s.seed, o/8))
	}
	for ; i < len(p); i, o = i+1, o+1 {
		p[i] = s.byteAt(o)
	}
	s.off = o
	return len(p), nil
}

// verify reads r to its end and checks that it is exactly the rest of want,
// naming the stream offset of the first difference.
func verify(r io.Reader, want *stream) error {
	got, exp := make([]byte, 256<<10), make([]byte, 256<<10)
	for {
		n, err := r.Read(got)
		if n > 0 {
			at := want.off
			m, _ := io.ReadFull(want, exp[:n])
			if i := mismatch(got[:m], exp[:m]); i >= 0 {
				return fmt.Errorf("content differs at byte %d", at+int64(i))
			}
			if m < n {
				return fmt.Errorf("body longer than the expected %d bytes", want.end)
			}
		}
		if err == io.EOF {
			if want.off < want.end {
				return fmt.Errorf("body ended at byte %d of %d", want.off, want.end)
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// mismatch returns the index of the first differing byte, or -1.
func mismatch(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
