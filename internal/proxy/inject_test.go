package proxy

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/golive-dev/golive/internal/testkit"
)

const tag = `<script src="/__golive/reload.js"></script>`

type encoder struct {
	name   string
	encode func(io.Writer) io.WriteCloser
	decode func(io.Reader) (io.Reader, error)
}

var encoders = []encoder{
	{"", func(w io.Writer) io.WriteCloser { return nopWriteCloser{w} }, func(r io.Reader) (io.Reader, error) { return r, nil }},
	{"gzip", func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }, func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
	{"deflate", func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) }, func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) }},
	{"br", func(w io.Writer) io.WriteCloser { return brotli.NewWriter(w) }, func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }},
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

func encodeWith(e encoder, s string) []byte {
	var b bytes.Buffer
	w := e.encode(&b)
	io.WriteString(w, s)
	w.Close()
	return b.Bytes()
}

// page serves body as text/html in encoding enc, with a Content-Length
// or chunked.
func page(enc encoder, body string, withLength bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data := encodeWith(enc, body)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if enc.name != "" {
			w.Header().Set("Content-Encoding", enc.name)
		}
		if withLength {
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data)
			return
		}
		for len(data) > 0 { // several flushed writes: chunked
			n := min(len(data), 7)
			w.Write(data[:n])
			w.(http.Flusher).Flush()
			data = data[n:]
		}
	}
}

func TestInjectionDecodesAndEncodes(t *testing.T) {
	t.Parallel()
	bodies := []struct{ name, in, want string }{
		{"before </body>", "<html><body><p>hi</p></body></html>", "<html><body><p>hi</p>" + tag + "</body></html>"},
		{"upper case", "<HTML><BODY>x</BODY></HTML>", "<HTML><BODY>x" + tag + "</BODY></HTML>"},
		{"no </body>", "<p>a fragment of a page", "<p>a fragment of a page" + tag},
		{"first </body> only", "<body>a</body><!-- </body> -->", "<body>a" + tag + "</body><!-- </body> -->"},
		{"long page", "<body>" + strings.Repeat("<p>row</p>\n", 20000) + "</body>", "<body>" + strings.Repeat("<p>row</p>\n", 20000) + tag + "</body>"},
	}
	for _, enc := range encoders {
		for _, withLength := range []bool{true, false} {
			for _, b := range bodies {
				name := enc.name + "/" + b.name
				if name[0] == '/' {
					name = "identity" + name
				}
				if !withLength {
					name += "/chunked"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					h := startProxy(t, program(t, page(enc, b.in, withLength)), nil)
					resp, raw := h.get(t, "/", "Accept", "text/html", "Accept-Encoding", "gzip, deflate, br, zstd")
					if got := resp.Header.Get("Content-Encoding"); got != enc.name {
						t.Fatalf("Content-Encoding %q, want %q", got, enc.name)
					}
					if withLength && resp.ContentLength != int64(len(raw)) {
						t.Errorf("Content-Length %d, body %d bytes", resp.ContentLength, len(raw))
					}
					if enc.name != "" && !withLength && resp.ContentLength != -1 {
						t.Errorf("a chunked compressed page got Content-Length %d", resp.ContentLength)
					}
					r, err := enc.decode(bytes.NewReader(raw))
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(r)
					if err != nil {
						t.Fatalf("decode: %v", err)
					}
					if string(got) != b.want {
						t.Errorf("page:\n got %.200q\nwant %.200q", got, b.want)
					}
				})
			}
		}
	}
}

func TestRawDeflateStaysRaw(t *testing.T) {
	t.Parallel()
	raw := encoder{"deflate", func(w io.Writer) io.WriteCloser { fw, _ := flate.NewWriter(w, 5); return fw },
		func(r io.Reader) (io.Reader, error) { return flate.NewReader(r), nil }}
	h := startProxy(t, program(t, page(raw, "<body>x</body>", true)), nil)
	_, body := h.get(t, "/", "Accept", "text/html")
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(body)))
	if err != nil || string(got) != "<body>x"+tag+"</body>" {
		t.Errorf("raw deflate page: %q, %v", got, err)
	}
}

// TestUntouched: what is not a whole HTML page passes byte for byte, with
// its headers as they were.
func TestUntouched(t *testing.T) {
	t.Parallel()
	html := "<html><body>fragment</body></html>"
	tests := []struct {
		name        string
		contentType string
		header      []string
		method      string
	}{
		{"htmx fragment", "text/html", []string{"HX-Request", "true"}, "GET"},
		{"datastar fragment", "text/html", []string{"Datastar-Request", "true"}, "GET"},
		{"json", "application/json", nil, "GET"},
		{"css", "text/css", nil, "GET"},
		{"utf-16 page", "text/html; charset=utf-16", nil, "GET"},
		{"head", "text/html", nil, "HEAD"},
		{"range", "text/html", []string{"Range", "bytes=0-4"}, "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := startProxy(t, program(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.Header().Set("Content-Length", strconv.Itoa(len(html)))
				w.Header().Set("ETag", `"v1"`)
				if r.Header.Get("Range") != "" {
					w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/1000", len(html)-1))
					w.WriteHeader(http.StatusPartialContent)
				}
				io.WriteString(w, html)
			})), nil)
			req, _ := http.NewRequest(tt.method, h.url+"/", nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			resp, body := h.do(t, req)
			if tt.method == "GET" && string(body) != html {
				t.Errorf("body %q, want it untouched", body)
			}
			if resp.ContentLength != int64(len(html)) || resp.Header.Get("ETag") != `"v1"` {
				t.Errorf("headers changed: Content-Length %d, ETag %q", resp.ContentLength, resp.Header.Get("ETag"))
			}
		})
	}
}

// TestUnknownEncodingNotAsked: a page request never invites an encoding
// the proxy cannot decode, so every page can carry the script.
func TestUnknownEncodingNotAsked(t *testing.T) {
	t.Parallel()
	asked := make(chan string, 2)
	h := startProxy(t, program(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- r.Header.Get("Accept-Encoding")
	})), nil)
	h.get(t, "/", "Accept", "text/html,*/*", "Accept-Encoding", "gzip, deflate, br, zstd")
	if got := <-asked; got != "gzip, deflate, br" {
		t.Errorf("page request Accept-Encoding %q, want zstd dropped", got)
	}
	h.get(t, "/api", "Accept", "application/json", "Accept-Encoding", "gzip, zstd")
	if got := <-asked; got != "gzip, zstd" {
		t.Errorf("API request Accept-Encoding %q, want it as sent", got)
	}
}

func TestCSPNonceCopied(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"script-src 'self' 'nonce-r4nd0m' 'strict-dynamic'; object-src 'none'": "r4nd0m",
		"default-src 'nonce-fromdefault'":                                      "fromdefault",
		"default-src 'nonce-d'; script-src 'nonce-s'":                          "s",
		"img-src 'self'": "",
	}
	for policy, nonce := range tests {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			h := startProxy(t, program(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Header().Set("Content-Security-Policy", policy)
				io.WriteString(w, "<body></body>")
			})), nil)
			resp, body := h.get(t, "/", "Accept", "text/html")
			want := tag
			if nonce != "" {
				want = `<script src="/__golive/reload.js" nonce="` + nonce + `"></script>`
			}
			if string(body) != "<body>"+want+"</body>" {
				t.Errorf("page %q, want the tag %q", body, want)
			}
			if resp.Header.Get("Content-Security-Policy") != policy {
				t.Errorf("the policy changed to %q", resp.Header.Get("Content-Security-Policy"))
			}
		})
	}
}

// TestStreamedPageNotBuffered: the program sends the head of a page and
// waits until the browser has it; a proxy that buffered the document
// would hang.
func TestStreamedPageNotBuffered(t *testing.T) {
	t.Parallel()
	for _, enc := range encoders {
		t.Run("encoding "+enc.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan struct{})
			h := startProxy(t, program(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				if enc.name != "" {
					w.Header().Set("Content-Encoding", enc.name)
				}
				cw := enc.encode(w)
				flusher, _ := cw.(interface{ Flush() error })
				io.WriteString(cw, "<html><head><title>t</title></head><body><p>first</p>")
				if flusher != nil {
					flusher.Flush()
				}
				w.(http.Flusher).Flush()
				select {
				case <-got:
				case <-r.Context().Done():
					return
				}
				io.WriteString(cw, "<p>second</p></body></html>")
				cw.Close()
			})), nil)
			req, _ := http.NewRequest("GET", h.url+"/", nil)
			req.Header.Set("Accept", "text/html")
			resp, err := h.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			dec, err := enc.decode(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			var seen bytes.Buffer
			buf := make([]byte, 1024)
			deadline := time.Now().Add(testkit.Timeout)
			for !strings.Contains(seen.String(), "<p>first</p>") {
				if time.Now().After(deadline) {
					t.Fatalf("the head of the page did not come through while the program waited; got %q", seen.String())
				}
				n, err := dec.Read(buf)
				seen.Write(buf[:n])
				if err != nil {
					t.Fatalf("read: %v (got %q)", err, seen.String())
				}
			}
			close(got)
			rest, err := io.ReadAll(dec)
			if err != nil {
				t.Fatal(err)
			}
			seen.Write(rest)
			if want := "<html><head><title>t</title></head><body><p>first</p><p>second</p>" + tag + "</body></html>"; seen.String() != want {
				t.Errorf("page %q, want %q", seen.String(), want)
			}
		})
	}
}

func TestInserterAcrossReads(t *testing.T) {
	t.Parallel()
	page := "<html><body>text < and <b>bold</b></BoDy></html>"
	for size := 1; size <= len(page); size++ {
		var out bytes.Buffer
		in := inserter{tag: []byte("<T>")}
		for p := page; len(p) > 0; p = p[min(len(p), size):] {
			if err := in.write(&out, []byte(p[:min(len(p), size)])); err != nil {
				t.Fatal(err)
			}
		}
		in.finish(&out)
		if want := "<html><body>text < and <b>bold</b><T></BoDy></html>"; out.String() != want {
			t.Fatalf("reads of %d bytes: %q, want %q", size, out.String(), want)
		}
	}
}
