package envelope_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// Use selects the error style for everything inside it: here the flat
// shape.
func ExampleUse() {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		envelope.Write(w, r, envelope.ErrForbidden.WithMessage("Token does not have the required scope: orders:write"))
	})
	h := envelope.Use(envelope.Flat)(api)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/orders/1/fulfill", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 403 {"success":false,"error":"Forbidden","message":"Token does not have the required scope: orders:write"}
}

// Decode reads a login body strictly; a missing field and invalid JSON get
// their own errors, here in the default nested shape.
func ExampleDecode() {
	type login struct {
		Username string `json:"username" envelope:"required"`
		Password string `json:"password" envelope:"required"`
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body login
		if err := envelope.Decode(w, r, &body); err != nil {
			envelope.Write(w, r, err)
			return
		}
		_ = envelope.OK(w, map[string]string{"user": body.Username})
	})

	for _, body := range []string{`{"username":"demo","password":"pw"}`, `{"username":"demo"}`, `{"username":`} {
		r := httptest.NewRequest("POST", "/auth/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 200 {"success":true,"data":{"user":"demo"}}
	// 400 {"error":{"name":"ValidationException","code":"VALIDATION_FAILURE","message":"Missing required field: password"}}
	// 400 {"error":{"name":"SyntaxError","code":"SYNTAX_ERROR","message":"Invalid JSON in request body"}}
}

// NumericStyle maps string codes to an API's numeric catalogue.
func ExampleNumericStyle() {
	style := envelope.NumericStyle{Codes: map[string]int{"UNAUTHORIZED": -23}}
	rec := httptest.NewRecorder()
	envelope.WriteStyle(rec, nil, style, envelope.ErrUnauthorized.WithMessage("Invalid API key"))
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 401 {"code":-23,"message":"Invalid API key"}
}
