package proxy

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
)

// scriptPath is where the pages' script is served, on the proxy's own mux.
const scriptPath = "/__golive/reload.js"

// maxBuffered bounds a compressed page with a Content-Length that is
// decoded whole to state its new length; a longer one streams, chunked.
const maxBuffered = 16 << 20

// injectable reports whether resp is a whole HTML page the script goes
// into: not a fragment that htmx or Datastar swaps into a page that has
// it already, not a body-less answer or a range of a page, not a charset where ASCII bytes are
// not characters, and not an encoding golive cannot decode.
func injectable(resp *http.Response) bool {
	req := resp.Request
	if req.Method == http.MethodHead || req.Header.Get("HX-Request") != "" || req.Header.Get("Datastar-Request") != "" {
		return false
	}
	switch {
	case resp.StatusCode < 200, resp.StatusCode == http.StatusNoContent, resp.StatusCode == http.StatusNotModified,
		resp.StatusCode == http.StatusPartialContent, resp.Header.Get("Content-Range") != "":
		return false // no body, or a part of one
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "text/html" {
		return false
	}
	if cs := strings.ToLower(params["charset"]); strings.HasPrefix(cs, "utf-16") || strings.HasPrefix(cs, "utf-32") {
		return false
	}
	_, ok := codecs[encodingOf(resp.Header)]
	return ok
}

func encodingOf(h http.Header) string {
	return strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding")))
}

// codec decodes and encodes one Content-Encoding.
type codec struct {
	decode func(io.Reader) (io.Reader, error)
	encode func(io.Writer) flushWriter
}

type flushWriter interface {
	io.WriteCloser
	Flush() error
}

var codecs = map[string]codec{
	"":         {decode: func(r io.Reader) (io.Reader, error) { return r, nil }, encode: func(w io.Writer) flushWriter { return nopFlusher{w} }},
	"identity": {decode: func(r io.Reader) (io.Reader, error) { return r, nil }, encode: func(w io.Writer) flushWriter { return nopFlusher{w} }},
	"gzip":     {decode: gunzip, encode: func(w io.Writer) flushWriter { return gzip.NewWriter(w) }},
	"x-gzip":   {decode: gunzip, encode: func(w io.Writer) flushWriter { return gzip.NewWriter(w) }},
	"br": {
		decode: func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
		encode: func(w io.Writer) flushWriter { return brotli.NewWriter(w) },
	},
	// deflate is the zlib format by the RFC; some servers send raw
	// deflate, which is then sent back raw (inflate says which).
	"deflate": {decode: inflate, encode: func(w io.Writer) flushWriter { return zlib.NewWriter(w) }},
}

func gunzip(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }

// rawDeflate marks a decoder of raw deflate, so the encoder matches.
type rawDeflate struct{ io.Reader }

func inflate(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil {
		return nil, err
	}
	// A zlib stream starts with CMF 0x?8 and a check that divides by 31.
	if head[0]&0x0f == 8 && (uint(head[0])<<8|uint(head[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return rawDeflate{flate.NewReader(br)}, nil
}

type nopFlusher struct{ io.Writer }

func (nopFlusher) Flush() error { return nil }
func (nopFlusher) Close() error { return nil }

// scriptTag is the one tag added to a page, with the nonce that the
// page's Content-Security-Policy allows scripts by, if it names one.
func scriptTag(h http.Header) []byte {
	tag := `<script src="` + scriptPath + `"`
	if n := cspNonce(h); n != "" {
		tag += ` nonce="` + html.EscapeString(n) + `"`
	}
	return []byte(tag + `></script>`)
}

// cspNonce finds the nonce of script-src (or of default-src, which stands
// in for it when there is none) in the enforced policies.
func cspNonce(h http.Header) string {
	for _, policy := range h.Values("Content-Security-Policy") {
		var fallback string
		for _, dir := range strings.Split(policy, ";") {
			fields := strings.Fields(dir)
			if len(fields) == 0 {
				continue
			}
			name := strings.ToLower(fields[0])
			if name != "script-src" && name != "script-src-elem" && name != "default-src" {
				continue
			}
			for _, src := range fields[1:] {
				if n, ok := strings.CutPrefix(src, "'nonce-"); ok && strings.HasSuffix(n, "'") {
					if name == "default-src" {
						fallback = strings.TrimSuffix(n, "'")
					} else {
						return strings.TrimSuffix(n, "'")
					}
				}
			}
		}
		if fallback != "" {
			return fallback
		}
	}
	return ""
}

// inject puts the script tag into resp's body: decoded, the tag added as
// the bytes pass, encoded again. A page of known length keeps a correct
// Content-Length; a streamed page stays streamed.
func inject(resp *http.Response) error {
	enc := encodingOf(resp.Header)
	c := codecs[enc]
	tr := &transformer{src: resp.Body, codec: c, ins: inserter{tag: scriptTag(resp.Header)}}
	tr.enc = c.encode(&tr.out)
	plain := enc == "" || enc == "identity"
	switch {
	case resp.ContentLength >= 0 && plain:
		resp.ContentLength += int64(len(tr.ins.tag))
		resp.Body = tr
	case resp.ContentLength >= 0 && resp.ContentLength <= maxBuffered:
		body, err := io.ReadAll(tr)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("decode the page (%s): %w", enc, err)
		}
		resp.ContentLength = int64(len(body))
		resp.Body = io.NopCloser(bytes.NewReader(body))
	default:
		resp.ContentLength = -1
		resp.Body = tr
	}
	if resp.ContentLength >= 0 {
		resp.Header.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	} else {
		resp.Header.Del("Content-Length")
	}
	return nil
}

// transformer is the page's body on its way out: each read of the
// program's body is decoded, passed through the inserter and encoded and
// flushed at once, so a streamed page reaches the browser as it comes.
type transformer struct {
	src   io.ReadCloser
	codec codec
	dec   io.Reader // made on the first read: a decoder reads its header
	enc   flushWriter
	ins   inserter
	out   bytes.Buffer
	buf   []byte
	done  bool // the encoder is closed
}

func (t *transformer) Read(p []byte) (int, error) {
	for t.out.Len() == 0 && !t.done {
		if err := t.step(); err != nil {
			return 0, err
		}
	}
	if t.out.Len() > 0 {
		return t.out.Read(p)
	}
	return 0, io.EOF
}

// step moves one read of the program's body to out.
func (t *transformer) step() error {
	if t.dec == nil {
		d, err := t.codec.decode(t.src)
		if err != nil {
			return err
		}
		if _, raw := d.(rawDeflate); raw {
			t.enc = nopCloseFlate(&t.out)
		}
		t.dec, t.buf = d, make([]byte, 32<<10)
	}
	n, err := t.dec.Read(t.buf)
	if n > 0 {
		if werr := t.ins.write(t.enc, t.buf[:n]); werr != nil {
			return werr
		}
	}
	switch {
	case err == io.EOF:
		if werr := t.ins.finish(t.enc); werr != nil {
			return werr
		}
		t.done = true
		return t.enc.Close()
	case err != nil:
		return err
	}
	return t.enc.Flush()
}

func (t *transformer) Close() error { return t.src.Close() }

func nopCloseFlate(w io.Writer) flushWriter {
	fw, _ := flate.NewWriter(w, flate.DefaultCompression) // only a bad level fails
	return fw
}

// inserter adds tag before the first </body>, or at the end of a page
// without one. It holds back only the bytes that may be the start of a
// </body> split across two reads.
type inserter struct {
	tag  []byte
	done bool
	held []byte
}

const bodyEnd = "</body>"

func (in *inserter) write(w io.Writer, p []byte) error {
	if in.done {
		_, err := w.Write(p)
		return err
	}
	buf := append(in.held, p...)
	if i := indexFold(buf, bodyEnd); i >= 0 {
		in.done, in.held = true, nil
		return writeAll(w, buf[:i], in.tag, buf[i:])
	}
	keep := partialSuffix(buf, bodyEnd)
	in.held = append([]byte(nil), buf[len(buf)-keep:]...)
	_, err := w.Write(buf[:len(buf)-keep])
	return err
}

func (in *inserter) finish(w io.Writer) error {
	if in.done {
		return nil
	}
	in.done = true
	return writeAll(w, in.held, in.tag)
}

func writeAll(w io.Writer, parts ...[]byte) error {
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// indexFold is bytes.Index for a sub that starts with '<', ignoring
// ASCII case.
func indexFold(s []byte, sub string) int {
	for i := 0; ; i++ {
		j := bytes.IndexByte(s[i:], '<')
		if j < 0 {
			return -1
		}
		i += j
		if len(s)-i < len(sub) {
			return -1
		}
		if bytes.EqualFold(s[i:i+len(sub)], []byte(sub)) {
			return i
		}
	}
}

// partialSuffix is the length of the longest end of s that begins sub.
func partialSuffix(s []byte, sub string) int {
	for n := min(len(s), len(sub)-1); n > 0; n-- {
		if bytes.EqualFold(s[len(s)-n:], []byte(sub[:n])) {
			return n
		}
	}
	return 0
}
