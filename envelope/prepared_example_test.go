package envelope_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// A middleware whose refusal is fixed prepares it once, when it is built:
// each refusal then sends the body rendered in advance, in the style the
// request selects, with the headers WriteStyle would send.
func ExamplePrepare() {
	denied := envelope.Prepare(nil, envelope.ErrForbidden.WithMessage("Internal callers only"))
	internalOnly := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Internal") != "yes" {
				denied.Write(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	api := internalOnly(http.NotFoundHandler())

	for _, h := range []http.Handler{api, envelope.Use(envelope.Flat)(api)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/reports", nil))
		fmt.Println(rec.Code, rec.Header().Get("Cache-Control"), rec.Body.String())
	}
	// Output:
	// 403 no-store {"error":{"name":"ForbiddenError","code":"FORBIDDEN","message":"Internal callers only"}}
	// 403 no-store {"success":false,"error":"Forbidden","message":"Internal callers only"}
}
