// golive's page script, served by its proxy at /__golive/reload.js. It
// reloads the page once the new program is ready, swaps stylesheets in
// place, and shows a failed build over the page.
//
// One tab per browser holds a Web Lock and with it the one connection to
// golive; it passes every message to the other tabs on a BroadcastChannel,
// so tabs never use up the browser's connections to the origin. When it
// goes (pagehide), the lock passes to another tab, which connects. Where
// Web Locks are missing (a page not served from localhost is not a secure
// context), each tab connects on its own.
(() => {
  "use strict";
  if (window.__golive) return;
  // What the page knows of golive, for a look from the console (and for
  // golive's browser test): conn is set while this tab holds the
  // connection, after golive's hello on it; tabs is the count golive last
  // took from it.
  const state = (window.__golive = { session: null, conn: 0, tabs: 0 });

  const me = Math.random().toString(36).slice(2);
  // golive's own 502 page: any ready program is news to it.
  const down = !!(document.currentScript && document.currentScript.hasAttribute("data-golive-down"));
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("golive") : null;
  const locks = navigator.locks && channel ? navigator.locks : null;
  let session = null; // the golive this page has heard from
  let gen = 0;        // the reloads golive had sent when this page heard from it
  let lead = null;    // set while this tab holds the connection
  let abort = null;   // withdraws this tab's wait for the lock

  function handle(m) {
    switch (m.type) {
      case "hello":
        // A new golive, or a reload this page missed (it was in the
        // back-forward cache, or its connection was dropped or changing
        // hands): the program serving now is newer than the page.
        if (m.ready && (down || (session !== null && (session !== m.session || gen !== (m.gen || 0))))) {
          location.reload();
          return;
        }
        session = state.session = m.session;
        gen = m.gen || 0;
        m.errors ? show(m.errors) : hide();
        break;
      case "reload":
        location.reload();
        break;
      case "css":
        swapStyles();
        break;
      case "errors":
        show(m);
        break;
      case "clear":
        hide();
        break;
    }
  }

  // The connection, held by the leading tab (or by every tab without
  // locks). It reconnects with a growing pause, so a stopped golive costs
  // the page a request every few seconds, not a stream of them.
  function connect(onMessage) {
    let source = null, pause = 250, timer = 0, closed = false;
    const open = () => {
      source = new EventSource("/__golive/events");
      source.onopen = () => { pause = 250; };
      source.onmessage = (e) => onMessage(JSON.parse(e.data));
      source.onerror = () => {
        source.close();
        if (!closed) timer = setTimeout(open, pause);
        pause = Math.min(pause * 2, 4000);
      };
    };
    open();
    return () => { closed = true; clearTimeout(timer); if (source) source.close(); };
  }

  // How often the leading tab asks who is there: a tab that closed
  // without its "bye" (a crash, a killed renderer) drops out of the count
  // after two rounds without an answer.
  const roll = 3000;

  function becomeLeader(release) {
    const tabs = new Map([[me, Infinity]]); // tab → the round it last answered
    let conn = 0, last = null, told = 0, round = 0;
    const tellCount = () => {
      if (!conn || told === tabs.size) return;
      const n = (told = tabs.size);
      fetch("/__golive/tabs?conn=" + conn + "&tabs=" + n, { method: "POST", keepalive: true })
        .then((r) => { if (r.ok) state.tabs = n; })
        .catch(() => {});
    };
    const close = connect((m) => {
      if (m.type === "hello") { conn = state.conn = m.conn; told = 0; tellCount(); }
      if (m.type === "hello" || m.type === "errors" || m.type === "clear") last = m;
      channel.postMessage({ kind: "msg", msg: m });
      handle(m);
    });
    const ask = () => {
      round++;
      for (const [id, r] of tabs) if (r < round - 2) tabs.delete(id);
      tellCount();
      channel.postMessage({ kind: "who" }); // the tabs that are there answer
    };
    const timer = setInterval(ask, roll);
    lead = {
      join(id) {
        if (!tabs.has(id) && last) channel.postMessage({ kind: "msg", msg: last, to: id });
        tabs.set(id, round);
        tellCount();
      },
      leave(id) { tabs.delete(id); tellCount(); },
      stop() { clearInterval(timer); close(); release(); lead = null; state.conn = state.tabs = 0; },
    };
    ask();
  }

  function join() {
    if (!locks) {
      const close = connect((m) => {
        if (m.type === "hello") state.conn = m.conn;
        handle(m);
      });
      lead = { join() {}, leave() {}, stop() { close(); lead = null; } };
      return;
    }
    channel.postMessage({ kind: "hi", from: me });
    abort = new AbortController();
    locks.request("golive", { signal: abort.signal }, () => new Promise((release) => becomeLeader(release)))
      .catch(() => {}); // withdrawn on pagehide
  }

  if (channel) {
    channel.onmessage = ({ data }) => {
      if (data.kind === "msg" && !lead && (!data.to || data.to === me)) handle(data.msg);
      if (data.kind === "who" && !lead) channel.postMessage({ kind: "hi", from: me });
      if (data.kind === "hi" && lead) lead.join(data.from);
      if (data.kind === "bye" && lead) lead.leave(data.from);
    };
  }

  window.addEventListener("pagehide", () => {
    if (lead) lead.stop();
    else if (channel) channel.postMessage({ kind: "bye", from: me });
    if (abort) abort.abort(); // a hidden page must not become the leader
  });
  window.addEventListener("pageshow", (e) => { if (e.persisted) join(); }); // back from the bfcache
  join();

  // Stylesheets of this origin load again under a new query; the old
  // sheet goes once the new one is in, so nothing flashes unstyled.
  const replaced = new WeakSet(); // sheets whose successor is loading
  function swapStyles() {
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin || replaced.has(link)) continue;
      replaced.add(link);
      url.searchParams.set("__golive", Date.now().toString(36));
      const next = link.cloneNode();
      next.href = url.href;
      next.onload = next.onerror = () => link.remove();
      link.after(next);
    }
  }

  // The overlay lives in a shadow root: the page's styles do not reach it,
  // and its own do not leak out. Text goes in as text, never as markup.
  // The host element itself stands in the page, where a page rule beats
  // :host, so its own box is set inline and !important (through the
  // CSSOM, which a strict style-src allows).
  const hostStyle = [["all", "initial"], ["position", "fixed"], ["inset", "0"], ["z-index", "2147483647"],
    ["display", "block"], ["visibility", "visible"], ["opacity", "1"], ["overflow", "auto"],
    ["background", "rgba(20, 20, 20, .92)"], ["color", "#eee"],
    ["font", "14px/1.5 ui-monospace, Menlo, Consolas, monospace"]];
  const style = `
    .box { max-width: 960px; margin: 48px auto; padding: 0 24px; }
    h1 { font-size: 18px; color: #ff6b6b; margin: 0 0 16px; }
    ol { list-style: none; padding: 0; margin: 0; }
    li { margin: 0 0 8px; white-space: pre-wrap; }
    a { color: #7fb6ff; }
    pre { white-space: pre-wrap; color: #ccc; }
    button { position: absolute; top: 12px; right: 16px; font: inherit; background: none; color: #aaa; border: 0; cursor: pointer; }`;

  // A constructed sheet, which a Content-Security-Policy without
  // 'unsafe-inline' for styles does not block, as it would a <style>.
  let sheet = null;
  try {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(style);
  } catch (e) {
    sheet = null;
  }

  function show(m) {
    let host = document.getElementById("__golive_overlay");
    if (!host) {
      host = document.createElement("golive-overlay");
      host.id = "__golive_overlay";
      for (const [k, v] of hostStyle) host.style.setProperty(k, v, "important");
      host.attachShadow({ mode: "open" });
      (document.body || document.documentElement).appendChild(host);
    }
    const root = host.shadowRoot;
    root.replaceChildren();
    if (sheet) root.adoptedStyleSheets = [sheet];
    else root.appendChild(el("style", "", style));
    const box = el("div", "box");
    const n = (m.diagnostics || []).length;
    box.appendChild(el("h1", "", "build failed" + (n ? " (" + n + (n === 1 ? " error)" : " errors)") : "")));
    const list = el("ol");
    for (const d of m.diagnostics || []) {
      const item = el("li");
      const where = d.file + ":" + d.line + (d.column ? ":" + d.column : "");
      if (d.href) {
        const a = el("a", "", where);
        a.href = d.href;
        item.appendChild(a);
      } else {
        item.appendChild(document.createTextNode(where));
      }
      item.appendChild(document.createTextNode(": " + d.message));
      list.appendChild(item);
    }
    box.appendChild(list);
    if (m.output) box.appendChild(el("pre", "", m.output));
    const close = el("button", "", "×");
    close.title = "hide until the next build";
    close.onclick = () => host.remove();
    root.append(close, box);
  }

  function hide() {
    const host = document.getElementById("__golive_overlay");
    if (host) host.remove();
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
})();
