// Hints while a subject is typed: FAQ articles, and a signed-in customer's own solved tickets.
// Loaded as a file (the pages' CSP allows no inline script); text goes in with textContent only.
(function () {
  "use strict";
  var DELAY_MS = 350;

  function item(list, href, title, detail) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = href;
    a.textContent = title;
    a.target = "_blank";
    a.rel = "noopener";
    li.appendChild(a);
    if (detail) {
      var p = document.createElement("p");
      p.className = "muted";
      p.textContent = detail;
      li.appendChild(p);
    }
    list.appendChild(li);
  }

  function setUp(form) {
    var input = form.querySelector("[data-hints=subject]");
    var panel = form.querySelector("[data-testid=hints]");
    if (!input || !panel) return;
    var articles = panel.querySelector("[data-testid=hint-articles]");
    var tickets = panel.querySelector("[data-testid=hint-tickets]");
    var timer = null;
    var asked = "";
    var latest = 0;

    function team() {
      var select = form.querySelector("select[name=team], input[name=team]");
      return (select && select.value) || form.getAttribute("data-team") || "";
    }

    function show(data) {
      articles.textContent = "";
      tickets.textContent = "";
      (data.articles || []).forEach(function (a) { item(articles, a.url, a.title, a.excerpt); });
      (data.tickets || []).forEach(function (t) { item(tickets, t.url, t.number + " · " + t.subject, t.status); });
      articles.parentNode.hidden = !articles.children.length;
      tickets.parentNode.hidden = !tickets.children.length;
      panel.hidden = !(articles.children.length || tickets.children.length);
    }

    function ask() {
      var q = input.value.trim();
      if (q === asked) return;
      asked = q;
      if (q.length < 2) { show({}); return; }
      var mine = ++latest;
      var url = form.getAttribute("data-hints-url") + "?q=" + encodeURIComponent(q) + "&team=" + encodeURIComponent(team());
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : {}; })
        .then(function (data) { if (mine === latest) show(data); })
        .catch(function () { /* hints are a nicety: stay quiet */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });
  }

  document.querySelectorAll("form[data-hints-url]").forEach(setUp);
})();
