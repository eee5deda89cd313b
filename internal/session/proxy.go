package session

import (
	"context"
	"time"

	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/proxy"
	"github.com/golive-dev/golive/watcher"
)

// listenProxy starts the browser proxy's listener when the proxy has a
// target, before the first build, so that a taken port is said at once
// and the browser can open the address while the program builds. It taps
// the session's logger: the proxy learns of builds and starts from the
// events.
func (s *Session) listenProxy(readyCheck bool) (*proxy.Server, error) {
	p := s.cfg.Proxy
	target := s.cfg.ProxyTarget()
	if target == "" {
		if p.Target != "off" && (p.Listen != config.ProxyListen || len(p.ReloadOnly) > 0) {
			s.opts.Log.Warnf("the browser proxy is off: it has no target; set proxy.target, or run.ready to an http:// address")
		}
		return nil, nil
	}
	px, err := proxy.New(proxy.Options{
		Listen: p.Listen, Anywhere: p.Listen == config.ProxyListen, Target: target,
		Dir: s.opts.Dir, Editor: p.Editor, Wait: time.Duration(p.Wait),
		ReadyCheck: readyCheck, Restarts: s.cfg.Run.Restart != "never", Log: s.opts.Log, Service: s.opts.Service,
		Deps: s.opts.ProxyDeps,
	})
	if err != nil {
		return nil, err
	}
	if err := px.Listen(); err != nil {
		return nil, err
	}
	s.opts.Log = s.opts.Log.Tap(px.Observe)
	if s.opts.OnProxy != nil {
		s.opts.OnProxy(px.Observe)
	}
	return px, nil
}

// reloadOnly is the test of a proxy.reload_only file: it matches one of
// globs and the program does not embed it, since an embedded file is
// built in and its change needs a build.
func reloadOnly(globs []string, embedded func(rel string) bool) (func(rel string) bool, error) {
	match, err := watcher.Globs(globs)
	if err != nil {
		return nil, err
	}
	return func(rel string) bool { return match(rel) && !embedded(rel) }, nil
}

// splitAssets hands the proxy the batches made only of proxy.reload_only
// files, which need no build, and passes every other batch on. A batch
// with both goes on whole: the restart reloads the pages anyway.
func (s *Session) splitAssets(ctx context.Context, in <-chan watcher.Batch, out chan<- watcher.Batch, px *proxy.Server, asset func(string) bool) {
	defer close(out)
	for {
		var b watcher.Batch
		var ok bool
		select {
		case <-ctx.Done():
			return
		case b, ok = <-in:
			if !ok {
				return
			}
		}
		if paths, only := assetsOnly(b, asset); only && !b.Tentative {
			s.opts.Log.Emit(events.Changed(paths))
			px.Assets(paths)
			continue
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return
		}
	}
}

func assetsOnly(b watcher.Batch, asset func(string) bool) ([]string, bool) {
	paths := make([]string, 0, len(b.Changes))
	for _, c := range b.Changes {
		if !asset(c.Path) {
			return nil, false
		}
		paths = append(paths, c.Path)
	}
	return paths, len(paths) > 0
}
