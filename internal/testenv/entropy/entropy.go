// Package entropy has the random sources that cannot give what is asked
// of them, for the tests of code that draws random bytes: each must be
// reported as an error, never turned into a value made of too few bytes.
package entropy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing/iotest"
)

// Short is one such source as a test case: Reader, named Name, makes a
// read of the bytes asked for fail with an error wrapping Err.
type Short struct {
	Name   string
	Reader io.Reader
	Err    error
}

// Shorts are the sources that cannot give n bytes to io.ReadFull: one
// whose reads fail, an empty one and one holding n-1 bytes.
func Shorts(n int) []Short {
	boom := errors.New("entropy gone")
	return []Short{
		{"a reader that fails is reported", iotest.ErrReader(boom), boom},
		{"an empty reader is reported", bytes.NewReader(nil), io.EOF},
		{fmt.Sprintf("a reader with %d bytes is reported", n-1), bytes.NewReader(make([]byte, n-1)), io.ErrUnexpectedEOF},
	}
}
