package envelope

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// OK writes data with status 200 in the success wrapper
// {"success":true,"data":...}. It is Success(w, http.StatusOK, data).
func OK(w http.ResponseWriter, data any) error {
	return Success(w, http.StatusOK, data)
}

// Success writes data with status in the success wrapper
// {"success":true,"data":...}. If data cannot be encoded nothing is written
// and the error is returned, so the caller can still answer with [Write].
func Success(w http.ResponseWriter, status int, data any) error {
	return JSON(w, status, struct {
		Success bool `json:"success"`
		Data    any  `json:"data"`
	}{true, data})
}

// JSON writes v as a JSON body with status, for shapes other than the
// success wrapper (an OAuth token response, say). If v cannot be encoded
// nothing is written and the error is returned.
func JSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["X-Content-Type-Options"] = hdrNosniff
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}
