// amends — progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var lang = document.body.getAttribute("data-lang") || "de";
  var serverNow = Date.parse(document.body.getAttribute("data-now") || "") || Date.now();
  var skew = Date.now() - serverNow;

  // Live SLA countdowns (the server renders the first value).
  function tick() {
    var now = Date.now() - skew;
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      // The text is the server's (in the user's language); the live refresh
      // renews it. Here a clock that ran out turns to "breached".
      if (due - now < 0) { el.className = "sla sla-breached"; }
    });
  }
  setInterval(tick, 30000);

  // Destructive actions ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
    });
  });

  // Reply template picker: fills the reply with the template rendered for
  // this case (the server puts the rendered text into data-body).
  document.querySelectorAll("select[data-template-picker]").forEach(function (s) {
    var target = document.getElementById(s.getAttribute("data-target"));
    if (!target) return;
    s.addEventListener("change", function () {
      var opt = s.options[s.selectedIndex];
      var body = opt && opt.getAttribute("data-body");
      if (body === null || body === undefined) return;
      if (target.value.trim() !== "" && target.value !== body &&
          !window.confirm(s.getAttribute("data-confirm-replace") || "?")) return;
      target.value = body;
      var subject = document.getElementById("reply-subject");
      if (subject && opt.getAttribute("data-subject")) subject.value = opt.getAttribute("data-subject");
      target.focus();
    });
  });

  // Bulk actions in the inbox ask first, naming how many cases they touch
  // (the keyboard's "assign to me" has said what it does already).
  var bulk = document.getElementById("bulk");
  if (bulk) {
    // Said yes here: the server does not ask again (without a script it
    // answers with a page that asks).
    var confirmed = function () {
      var c = bulk.querySelector("input[name=confirmed]");
      if (!c) { c = document.createElement("input"); c.type = "hidden"; c.name = "confirmed"; bulk.appendChild(c); }
      c.value = "1";
    };
    bulk.addEventListener("submit", function (e) {
      if (bulk.getAttribute("data-confirmed") === "1") { bulk.removeAttribute("data-confirmed"); confirmed(); return; }
      var n = document.querySelectorAll("input[name=ids]:checked").length;
      if (n === 0) { window.alert(bulk.getAttribute("data-bulk-none")); e.preventDefault(); return; }
      var move = e.submitter && e.submitter.value === "transition";
      var text = bulk.getAttribute(move ? "data-bulk-confirm-move" : "data-bulk-confirm-assign").replace("{n}", n);
      if (window.confirm(text)) confirmed(); else e.preventDefault();
    });
  }

  // Language switch submits on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });

  // Select all in the inbox.
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[name=ids]").forEach(function (c) { c.checked = box.checked; });
    });
  });

  // Keyboard: j/k move, o/Enter open, x select, a assign selected (or current) to me.
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("tr[data-case-row]")); };
  var current = -1;
  function mark(i) {
    var r = rows();
    if (!r.length) return;
    current = Math.max(0, Math.min(i, r.length - 1));
    r.forEach(function (row, j) { row.classList.toggle("selected-row", j === current); });
    r[current].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    // "/" focuses the search box in the navigation.
    if (e.key === "/") {
      var box = document.querySelector("[data-search-box]");
      if (box) { box.focus(); box.select(); e.preventDefault(); }
      return;
    }
    var r = rows();
    if (!r.length) return;
    if (e.key === "j") { mark(current + 1); e.preventDefault(); }
    else if (e.key === "k") { mark(current - 1); e.preventDefault(); }
    else if ((e.key === "o" || e.key === "Enter") && current >= 0) { window.location = r[current].getAttribute("data-href"); }
    else if (e.key === "x" && current >= 0) {
      var box = r[current].querySelector("input[name=ids]");
      if (box) box.checked = !box.checked;
    } else if (e.key === "a" && current >= 0) {
      var form = document.getElementById("bulk");
      if (!form) return;
      var any = document.querySelector("input[name=ids]:checked");
      if (!any) { var b = r[current].querySelector("input[name=ids]"); if (b) b.checked = true; }
      form.querySelector("select[name=assignee]").value = "me";
      var status = document.querySelector("[data-kbd-status]");
      if (status) {
        status.textContent = form.getAttribute("data-assigning");
        status.className = "notice";
      }
      form.setAttribute("data-confirmed", "1");
      var btn = form.querySelector("button[value=assign]");
      if (btn) btn.click();
    }
  });

  // Live refresh of the inbox rows every 60 s, unless the user is selecting.
  var live = document.querySelector("[data-live-region]");
  if (live && window.fetch) {
    setInterval(function () {
      if (document.querySelector("input[name=ids]:checked") || document.hidden) return;
      fetch(window.location.href, { credentials: "same-origin" }).then(function (res) {
        return res.ok ? res.text() : null;
      }).then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-live-region]");
        if (fresh) {
          var y = window.scrollY;
          live.innerHTML = fresh.innerHTML;
          window.scrollTo(0, y);
          serverNow = Date.parse(doc.body.getAttribute("data-now") || "") || serverNow;
          skew = Date.now() - serverNow;
          if (current >= 0) mark(current);
          tick();
        }
      }).catch(function () {});
    }, 60000);
  }

  // Incident page: live figures while the fan-out runs; reload once when done.
  var progress = document.querySelector("[data-progress-url]");
  if (progress && window.fetch && progress.getAttribute("data-pending") !== "0") {
    var timer = setInterval(function () {
      fetch(progress.getAttribute("data-progress-url"), { credentials: "same-origin" }).then(function (res) {
        return res.ok ? res.json() : null;
      }).then(function (t) {
        if (!t) return;
        Object.keys(t).forEach(function (k) {
          var el = progress.querySelector('[data-total="' + k + '"]');
          if (el) el.textContent = t[k];
        });
        if (t.pending === 0) { clearInterval(timer); window.location.reload(); }
      }).catch(function () {});
    }, 1500);
  }

  // A file input fills the textarea it names (CSV uploads without multipart).
  document.querySelectorAll("input[type=file][data-fill]").forEach(function (input) {
    input.addEventListener("change", function () {
      var target = document.getElementById(input.getAttribute("data-fill"));
      var file = input.files && input.files[0];
      if (!target || !file || !window.FileReader) return;
      var reader = new FileReader();
      reader.onload = function () { target.value = reader.result; };
      reader.readAsText(file);
    });
  });
})();
