package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/golive-dev/golive/internal/testkit"
)

// seen is what the echo program received.
type seen struct {
	Method, Path, Query, Host string
	Sum                       string // sha256 of the body
	Len                       int
	Chunked                   bool
	Header                    http.Header
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sum := sha256.Sum256(body)
	http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc"})
	json.NewEncoder(w).Encode(seen{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host,
		Sum: hex.EncodeToString(sum[:]), Len: len(body),
		Chunked: len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked", Header: r.Header,
	})
}

func TestBodiesArriveByteForByte(t *testing.T) {
	t.Parallel()
	h := startProxy(t, program(t, http.HandlerFunc(echo)), nil)

	binary := make([]byte, 300<<10)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("title", "a picture")
	fw, _ := mw.CreateFormFile("file", "pic.bin")
	fw.Write(binary)
	mw.Close()

	tests := []struct {
		name, query, contentType string
		body                     []byte
		chunked                  bool
	}{
		{"json", "", "application/json", []byte(`{"name":"gopher","tags":["a","b"],"n":1.5}`), false},
		{"urlencoded with a query", "page=2&sort=name%20desc", "application/x-www-form-urlencoded", []byte("a=1&b=two+words&c=%E2%9C%93"), false},
		{"multipart with a binary file", "", mw.FormDataContentType(), mp.Bytes(), false},
		{"chunked upload", "x=1", "application/octet-stream", binary, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				pr, pw := io.Pipe()
				go func() {
					for b := tt.body; len(b) > 0; b = b[min(len(b), 4096):] {
						pw.Write(b[:min(len(b), 4096)])
					}
					pw.Close()
				}()
				body = pr
			}
			req, _ := http.NewRequest("POST", h.url+"/upload?"+tt.query, body)
			req.Header.Set("Content-Type", tt.contentType)
			resp, out := h.do(t, req)
			var got seen
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("status %d, body %q: %v", resp.StatusCode, out, err)
			}
			sum := sha256.Sum256(tt.body)
			if got.Sum != hex.EncodeToString(sum[:]) || got.Len != len(tt.body) {
				t.Errorf("body: %d bytes arrived, want %d, byte for byte", got.Len, len(tt.body))
			}
			if got.Query != tt.query || got.Path != "/upload" || got.Method != "POST" {
				t.Errorf("request line: %s %s?%s, want POST /upload?%s", got.Method, got.Path, got.Query, tt.query)
			}
			if got.Header.Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got.Header.Get("Content-Type"), tt.contentType)
			}
			if got.Chunked != tt.chunked {
				t.Errorf("chunked: %v, want %v", got.Chunked, tt.chunked)
			}
		})
	}
}

func TestHeadersAndCookiesPass(t *testing.T) {
	t.Parallel()
	h := startProxy(t, program(t, http.HandlerFunc(echo)), nil)
	resp, out := h.get(t, "/x?q=1", "Cookie", "a=1; b=2", "X-Custom", "kept", "Authorization", "Bearer t")
	var got seen
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"Cookie": "a=1; b=2", "X-Custom": "kept", "Authorization": "Bearer t", "X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "http"} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("the program got %s %q, want %q", k, v, want)
		}
	}
	if host := strings.TrimPrefix(h.url, "http://"); got.Host != host || got.Header.Get("X-Forwarded-Host") != host {
		t.Errorf("Host %q, X-Forwarded-Host %q; want the proxy's %q", got.Host, got.Header.Get("X-Forwarded-Host"), host)
	}
	if c := resp.Header.Get("Set-Cookie"); c != "session=abc" {
		t.Errorf("Set-Cookie %q, want it passed", c)
	}
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("the proxy added Access-Control-Allow-Origin %q", v)
	}
}

// TestWebSocketEcho: a WebSocket upgrade passes through, messages go
// both ways, and stopping the proxy closes the connection.
func TestWebSocketEcho(t *testing.T) {
	t.Parallel()
	h := startProxy(t, program(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			c.Write(r.Context(), typ, append([]byte("echo: "), msg...))
		}
	})), nil)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.url, "http")+"/ws", nil)
	if err != nil {
		t.Fatalf("dial through the proxy: %v", err)
	}
	defer c.CloseNow()
	for i := range 3 {
		msg := fmt.Sprintf("hello %d", i)
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "echo: "+msg {
			t.Errorf("got %q, want %q", got, "echo: "+msg)
		}
	}

	// golive's Ctrl-C closes the browser's connection rather than leave it open.
	if err := h.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, _, err := c.Read(ctx); err == nil || ctx.Err() != nil {
		t.Errorf("read after the proxy stopped: %v (context %v), want the connection closed", err, ctx.Err())
	}
}

// TestServerSentEventsUnbuffered: the program sends each event only once
// the client has read the one before, so any buffering in the proxy would
// hang the test.
func TestServerSentEventsUnbuffered(t *testing.T) {
	t.Parallel()
	read := make(chan struct{})
	h := startProxy(t, program(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: event %d\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-read:
			case <-r.Context().Done():
				return
			}
		}
	})), nil)
	req, _ := http.NewRequest("GET", h.url+"/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if sc.Text() != "" {
				lines <- sc.Text()
			}
		}
		close(lines)
	}()
	for i := range 3 {
		select {
		case l := <-lines:
			if want := fmt.Sprintf("data: event %d", i); l != want {
				t.Fatalf("got %q, want %q", l, want)
			}
		case <-time.After(testkit.Timeout):
			t.Fatalf("event %d did not come through while the program waited", i)
		}
		read <- struct{}{}
	}
}
