/* amends feedback widget. Embed with
   <script src="https://amends.example/widget.js" data-site-key="pk_…" async></script>
   Shows a feedback button (rating 1–5 and a comment) and, if the site has
   one, a micro-survey on exit intent or after N seconds, at most once per
   visitor per period. While the visitor types (three words or more) it
   shows up to three matching public articles above the send button and
   reports what the visitor did with them (shown, clicked, sent anyway,
   left after reading). No dependencies, no cookies (localStorage only). */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-site-key]");
  if (!script) return;
  var key = script.getAttribute("data-site-key");
  var component = script.getAttribute("data-component");
  if (!key || window["__amendsWidget_" + key]) return;
  window["__amendsWidget_" + key] = true;
  var base = new URL(script.src, location.href).origin;
  var T = {
    de: {
      button: "Feedback", title: "Wie war Ihre Erfahrung?", rating: "Bewertung", star: "Sterne",
      comment: "Ihr Kommentar", email: "E-Mail (optional, für eine Antwort)", send: "Senden",
      close: "Schließen", thanks: "Danke für Ihr Feedback!", error: "Das hat nicht geklappt. Bitte später erneut versuchen.",
      empty: "Bitte schreiben Sie einen Kommentar oder wählen Sie eine Bewertung.", answer: "Ihre Antwort",
      help: "Vielleicht hilft das:"
    },
    en: {
      button: "Feedback", title: "How was your experience?", rating: "Rating", star: "stars",
      comment: "Your comment", email: "Email (optional, for a reply)", send: "Send",
      close: "Close", thanks: "Thank you for your feedback!", error: "That did not work. Please try again later.",
      empty: "Please write a comment or choose a rating.", answer: "Your answer",
      help: "This might help:"
    }
  };
  function store(k, v) {
    try { if (v === undefined) return localStorage.getItem(k); localStorage.setItem(k, v); } catch (e) { return null; }
    return null;
  }
  var visitor = store("amends-visitor");
  if (!visitor) {
    visitor = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now()).replace(/-/g, "");
    store("amends-visitor", visitor);
  }
  var q = "?site_key=" + encodeURIComponent(key);

  fetch(base + "/api/v1/public/widget-config" + q, { mode: "cors" })
    .then(function (r) { if (!r.ok) throw new Error("widget config " + r.status); return r.json(); })
    .then(start)
    .catch(function (e) { if (window.console) console.warn("amends widget:", e.message); });

  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    for (var a in attrs || {}) n.setAttribute(a, attrs[a]);
    if (text) n.textContent = text;
    return n;
  }

  function start(cfg) {
    var t = T[cfg.language] || T.de;
    var host = el("div", { "data-amends-widget": "" });
    document.body.appendChild(host);
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var style = el("style");
    style.textContent =
      ".b{position:fixed;right:16px;bottom:16px;z-index:2147483000;background:#1d4ed8;color:#fff;border:0;border-radius:20px;padding:10px 16px;font:600 14px system-ui,sans-serif;cursor:pointer}" +
      ".p{position:fixed;right:16px;bottom:64px;z-index:2147483001;width:320px;max-width:calc(100vw - 32px);background:#fff;color:#111;border:1px solid #ccc;border-radius:8px;padding:14px;font:14px system-ui,sans-serif;box-shadow:0 4px 16px rgba(0,0,0,.2)}" +
      ".p h2{font-size:16px;margin:0 0 8px}.p label{display:block;margin:8px 0 4px}.p textarea,.p input[type=email]{width:100%;box-sizing:border-box;font:inherit;padding:6px}" +
      ".s{display:flex;gap:4px}.s button{flex:1;padding:6px;border:1px solid #999;background:#f5f5f5;border-radius:4px;cursor:pointer;font:inherit}.s button[aria-pressed=true]{background:#1d4ed8;color:#fff}" +
      ".hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}.r{display:flex;justify-content:space-between;margin-top:10px}.m{margin-top:8px}" +
      ".r button{padding:6px 12px;font:inherit;cursor:pointer}" +
      ".h{margin-top:8px;padding:8px;background:#f3f6fd;border-radius:6px}.h p{margin:0 0 4px;font-weight:600}.h ul{margin:0;padding-left:18px}.h li{margin:2px 0}.h a{color:#1d4ed8}.h small{display:block;color:#555}";
    root.appendChild(style);
    var btn = el("button", { "class": "b", type: "button", "aria-haspopup": "dialog", "data-testid": "amends-open" }, t.button);
    root.appendChild(btn);
    var panel = null;

    function form(opts) {
      if (panel) panel.remove();
      var p = el("form", { "class": "p", role: "dialog", "aria-label": opts.title, "data-testid": opts.testid });
      p.appendChild(el("h2", {}, opts.title));
      var rating = null;
      if (opts.withRating) {
        p.appendChild(el("label", {}, t.rating));
        var stars = el("div", { "class": "s", role: "group", "aria-label": t.rating });
        [1, 2, 3, 4, 5].forEach(function (n) {
          var s = el("button", { type: "button", "aria-pressed": "false", "aria-label": n + " " + t.star, "data-rating": String(n) }, String(n));
          s.addEventListener("click", function () {
            rating = n;
            stars.querySelectorAll("button").forEach(function (o) { o.setAttribute("aria-pressed", String(o === s)); });
          });
          stars.appendChild(s);
        });
        p.appendChild(stars);
      }
      var cid = "amends-c-" + opts.testid;
      p.appendChild(el("label", { "for": cid }, opts.commentLabel));
      var ta = el("textarea", { id: cid, name: "comment", rows: "4", maxlength: "5000" });
      p.appendChild(ta);
      var eid = "amends-e-" + opts.testid;
      p.appendChild(el("label", { "for": eid }, t.email));
      var em = el("input", { id: eid, name: "email", type: "email", maxlength: "254", autocomplete: "email" });
      p.appendChild(em);
      // The honeypot: invisible to people, filled by naive bots.
      var hpw = el("div", { "class": "hp", "aria-hidden": "true" });
      var hp = el("input", { name: "website", type: "text", tabindex: "-1", autocomplete: "off" });
      hpw.appendChild(hp);
      p.appendChild(hpw);
      var helps = opts.withRating ? suggestions(ta) : null;
      if (helps) p.appendChild(helps.box);
      var msg = el("p", { "class": "m", role: "status", "aria-live": "polite" });
      p.appendChild(msg);
      var row = el("div", { "class": "r" });
      var close = el("button", { type: "button" }, t.close);
      var send = el("button", { type: "submit" }, t.send);
      row.appendChild(close);
      row.appendChild(send);
      p.appendChild(row);
      close.addEventListener("click", function () { p.remove(); panel = null; btn.focus(); });
      p.addEventListener("keydown", function (e) { if (e.key === "Escape") close.click(); });
      p.addEventListener("submit", function (e) {
        e.preventDefault();
        var comment = ta.value.trim();
        if (!comment && !rating) { msg.textContent = t.empty; return; }
        send.disabled = true;
        if (helps) helps.sent();
        var body = { site_key: key, comment: comment, email: em.value.trim() || null, visitor: visitor,
          page: location.href.slice(0, 500), website: hp.value };
        if (rating) body.rating = rating;
        if (opts.question) body.survey_question = opts.question;
        if (component) body.component = component.slice(0, 100);
        fetch(base + "/api/v1/public/feedback" + q, {
          method: "POST", mode: "cors", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
        }).then(function (r) {
          if (!r.ok) throw new Error(String(r.status));
          p.textContent = "";
          p.appendChild(el("p", { role: "status", "data-testid": "amends-thanks" }, t.thanks));
          setTimeout(function () { if (panel === p) { p.remove(); panel = null; } }, 4000);
        }).catch(function () { msg.textContent = t.error; send.disabled = false; });
      });
      root.appendChild(p);
      panel = p;
      (p.querySelector(".s button") || ta).focus();
    }

    // Suggested articles while the visitor types: a session per opened form.
    function suggestions(ta) {
      var session = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now()).replace(/-/g, "").slice(0, 32);
      var box = el("div", { "class": "h", "data-testid": "amends-suggestions", hidden: "" });
      box.appendChild(el("p", {}, t.help));
      var list = el("ul");
      box.appendChild(list);
      var shown = {}, clicked = {}, done = false, timer = null, asked = "";
      function event(name, id, beacon) {
        var body = JSON.stringify({ session: session, event: name, article_id: id, lang: cfg.language });
        var url = base + "/api/v1/public/deflection" + q;
        if (beacon && navigator.sendBeacon) {
          navigator.sendBeacon(url, new Blob([body], { type: "text/plain" }));
          return;
        }
        fetch(url, { method: "POST", mode: "cors", keepalive: true, headers: { "Content-Type": "text/plain" }, body: body })
          .catch(function () {});
      }
      function render(items) {
        list.textContent = "";
        items.forEach(function (a) {
          if (!/^https?:\/\//.test(a.url)) return;
          var li = el("li");
          var link = el("a", { href: a.url, target: "_blank", rel: "noopener", "data-article": a.id }, a.title);
          link.addEventListener("click", function () {
            if (!clicked[a.id]) { clicked[a.id] = true; event("clicked", a.id); }
          });
          li.appendChild(link);
          if (a.excerpt) li.appendChild(el("small", {}, a.excerpt));
          list.appendChild(li);
          if (!shown[a.id]) { shown[a.id] = true; event("suggested", a.id); }
        });
        if (list.childNodes.length) box.removeAttribute("hidden"); else box.setAttribute("hidden", "");
      }
      function ask() {
        var text = ta.value.trim();
        if (text.split(/\s+/).filter(Boolean).length < 3 || text === asked) return;
        asked = text;
        fetch(base + "/api/v1/public/suggestions" + q + "&lang=" + encodeURIComponent(cfg.language) +
          "&q=" + encodeURIComponent(text.slice(0, 500)), { mode: "cors" })
          .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
          .then(function (d) { if (asked === text) render(d.suggestions || []); })
          .catch(function () {});
      }
      ta.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 400); });
      // Leaving after reading without sending: the articles helped.
      window.addEventListener("pagehide", function () {
        var ids = Object.keys(clicked);
        if (done || !ids.length) return;
        done = true;
        ids.forEach(function (id) { event("resolved_without_sending", id, true); });
      });
      return {
        box: box,
        sent: function () {
          if (done) return;
          done = true;
          Object.keys(shown).forEach(function (id) { event("sent_anyway", id); });
        }
      };
    }

    btn.addEventListener("click", function () {
      form({ title: t.title, commentLabel: t.comment, withRating: true, testid: "amends-form" });
    });

    var s = cfg.survey;
    if (!s) return;
    var seenKey = "amends-survey-" + key;
    var seen = Number(store(seenKey) || 0);
    if (seen && Date.now() - seen < s.period_days * 86400000) return;
    var shown = false;
    function show() {
      if (shown || panel) return;
      shown = true;
      store(seenKey, String(Date.now()));
      form({ title: s.question, commentLabel: t.answer, withRating: false, testid: "amends-survey", question: s.question });
    }
    if (s.trigger === "after_seconds") {
      setTimeout(show, Math.max(1, s.after_seconds || 30) * 1000);
    } else {
      document.addEventListener("mouseout", function (e) {
        if (!e.relatedTarget && e.clientY <= 0) show();
      });
    }
  }
})();
