package serve

import (
	"bytes"
	"io"
)

// Banner writes what print writes to w in one Write, once print has
// written all of it, so that a reader of w (a test waiting for the
// "listening on" line, a terminal the server's logs share) never sees
// part of a banner. When print fails, nothing is written and its error is
// returned.
func Banner(w io.Writer, print func(w io.Writer) error) error {
	var b bytes.Buffer
	if err := print(&b); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
