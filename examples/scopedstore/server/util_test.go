package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
)

func mustURL(path string) *url.URL {
	u, err := url.Parse(path)
	if err != nil {
		panic(err)
	}
	return u
}

func readAll(res *http.Response) ([]byte, error) { return io.ReadAll(res.Body) }

func joined() string { return strings.Join(server.ScopeNames(), ", ") }
