package worker

import (
	"encoding/json"
	"net/http"
)

// apiError is the body of every error response, in the shape OpenAI's API
// uses so existing clients surface the message:
//
//	{"error": {"message": "...", "type": "...", "code": "..."}}
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    string `json:"code"`
}

// Error types, one per family of failure. The code field narrows it down.
const (
	typeInvalidRequest = "invalid_request_error"
	typeNotFound       = "not_found_error"
	typeServer         = "server_error"
	typeUnavailable    = "unavailable_error"
)

// writeError sends a JSON error. For HEAD the body is dropped by the
// ResponseWriter, which is what clients expect.
func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	h.Del("Content-Range")
	h.Del("ETag")
	h.Del("Accept-Ranges")
	w.WriteHeader(status)
	body, _ := json.Marshal(apiError{apiErrorBody{Message: msg, Type: typ, Code: code}})
	w.Write(append(body, '\n'))
}

// writeJSON sends v as a 200 JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, typeServer, "encode_failed", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
