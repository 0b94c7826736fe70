package api

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestJSONErrorsListener: the answers net/http writes before any handler (malformed request,
// header over MaxHeaderBytes, unknown transfer encoding) come as the JSON error through
// JSONErrors, and ordinary answers on the same connections are untouched.
func TestJSONErrorsListener(t *testing.T) {
	ts := httptest.NewUnstartedServer(NewServer(newFake(), Options{Logger: quietLogger()}))
	ts.Config.MaxHeaderBytes = 4 << 10
	ts.Listener = JSONErrors(ts.Listener)
	ts.Start()
	defer ts.Close()
	cases := []struct {
		name, req string
		status    int
	}{
		{"garbage", "NOT HTTP AT ALL\r\n\r\n", 400},
		{"no host", "GET /livez HTTP/1.1\r\n\r\n", 400},
		{"bad header", "GET /livez HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n", 400},
		{"huge header", "GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 16<<10) + "\r\n\r\n", 431},
		{"unknown transfer encoding", "POST /v1/catalogs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
	}
	for _, tc := range cases {
		resp := rawRequest(t, ts.Listener.Addr().String(), tc.req)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var eb errorBody
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/json" ||
			json.Unmarshal(b, &eb) != nil || eb.Error.Code != "invalid" || eb.Error.Message == "" {
			t.Errorf("%s: %d %v %q", tc.name, resp.StatusCode, resp.Header, b)
		}
	}
	// an ordinary error answer and a success pass unchanged
	resp, err := http.Get(ts.URL + "/v1/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Date") == "" {
		t.Fatalf("handler answer: %d %v", resp.StatusCode, resp.Header)
	}
	resp, err = http.Get(ts.URL + "/livez")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok\n" {
		t.Fatalf("livez: %d %q", resp.StatusCode, b)
	}
}

func rawRequest(t *testing.T, addr, req string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", req[:min(len(req), 40)], err)
	}
	return resp
}

// TestJSONErrorsBeneathTLS: beneath TLS the wrapper sees only records and changes nothing, so
// HTTPS keeps working (net/http's own answers there stay plain text).
func TestJSONErrorsBeneathTLS(t *testing.T) {
	ts := httptest.NewUnstartedServer(NewServer(newFake(), Options{Logger: quietLogger()}))
	ts.Listener = JSONErrors(ts.Listener)
	ts.StartTLS()
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/livez")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "ok\n" || resp.TLS == nil {
		t.Fatalf("over TLS: %d %q", resp.StatusCode, b)
	}
}
