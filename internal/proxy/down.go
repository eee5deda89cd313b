package proxy

import (
	"fmt"
	"html/template"
	"net/http"
)

// downPage is the answer while nothing answers at the target. It carries
// the page script, so it shows a failed build's errors and turns into the
// program's page once a program is ready; it also asks again by itself,
// unless a failed build means only an edit can help.
var downPage = template.Must(template.New("down").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>golive: waiting for the program</title>
{{if .Retry}}<meta http-equiv="refresh" content="2">{{end}}
<style>body{font:15px/1.5 system-ui,sans-serif;margin:48px auto;max-width:720px;padding:0 24px;color:#222}
code{font:13px ui-monospace,Menlo,Consolas,monospace;background:#f2f2f2;padding:2px 4px}</style></head>
<body><h1>The program is not answering</h1>
<p>golive's proxy could not reach <code>{{.Target}}</code>: {{.Reason}}.</p>
<p>{{if .Retry}}This page tries again every 2 seconds, and reloads by itself once a new program is ready.{{else}}The last build failed or the program exited; this page reloads by itself once a new program is ready.{{end}}</p>
<script src="{{.Script}}" data-golive-down></script>
</body></html>
`))

// serveDown is the ReverseProxy's error handler: the program did not
// answer within the wait, or a page could not be decoded.
func (s *Server) serveDown(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the browser went away; nobody reads an answer
	}
	if !wantsPage(r) { // fetch, a fragment, an image: a line, not a page
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, fmt.Sprintf("golive proxy: the program at %s is not answering: %v", s.target, err), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadGateway)
	downPage.Execute(w, map[string]any{
		"Target": s.target.String(),
		"Reason": err.Error(),
		"Retry":  !s.hub.hopeless(),
		"Script": scriptPath,
	})
}
