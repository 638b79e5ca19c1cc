// Earshot's one script. The pages work without it; with it:
// - the inbox and the open conversation refresh themselves when the server's event stream
//   (/live) says something changed;
// - SLA countdowns tick (and turn red when breached) without a reload;
// - saved replies go into the reply box;
// - the listening-query editor checks the query as you type and previews what it matches.
"use strict";

(function () {
  function announce(text) {
    var status = document.getElementById("live-status");
    if (status) status.textContent = text;
  }

  function words(minutes) {
    if (minutes >= 1440) return Math.floor(minutes / 1440) + " d " + Math.floor((minutes % 1440) / 60) + " h";
    if (minutes >= 60) return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
    return minutes + " min";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".sla[data-due]").forEach(function (el) {
      var left = Number(el.getAttribute("data-due")) - now;
      var minutes = Math.floor(Math.abs(left) / 60000);
      if (left < 0) {
        el.textContent = "breached " + words(minutes) + " ago";
        el.classList.add("breached");
      } else {
        el.textContent = words(minutes) + " left";
        el.classList.remove("breached");
      }
    });
  }

  function refreshInbox(tbody) {
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", "rows");
    var before = {};
    tbody.querySelectorAll("tr[data-id]").forEach(function (tr) { before[tr.getAttribute("data-id")] = true; });
    return fetch(url.toString(), { credentials: "same-origin" }).then(function (r) {
      if (r.redirected || !r.ok) return;
      return r.text().then(function (html) {
        tbody.innerHTML = html;
        var fresh = 0;
        tbody.querySelectorAll("tr[data-id]").forEach(function (tr) {
          if (!before[tr.getAttribute("data-id")]) { tr.classList.add("fresh"); fresh++; }
        });
        tick();
        announce(fresh ? fresh + " new conversation" + (fresh > 1 ? "s" : "") + " in the inbox" : "Inbox updated");
      });
    });
  }

  function refreshConversation(root) {
    var reply = document.getElementById("reply-text");
    return fetch(window.location.pathname, { credentials: "same-origin" }).then(function (r) {
      if (r.redirected || !r.ok) return;
      return r.text().then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html");
        ["thread", "history", "summary"].forEach(function (id) {
          var now = document.getElementById(id), then = next.getElementById(id);
          if (now && then) now.innerHTML = then.innerHTML;
        });
        // The collision check compares against the newest message the agent has seen.
        var seen = next.querySelector("input[name=last_seen_message_id]");
        var mine = document.querySelector("input[name=last_seen_message_id]");
        if (seen && mine && (!reply || reply.value === "")) mine.value = seen.value;
        tick();
        announce("Conversation updated");
      });
    });
  }

  function live() {
    var inbox = document.getElementById("inbox-rows");
    var conversation = document.querySelector("[data-live=conversation]");
    if (!(inbox || conversation) || !window.EventSource) return;
    var busy = false, again = false;
    var source = new EventSource("/live");
    source.addEventListener("changed", function (e) {
      var ids = [];
      try { ids = JSON.parse(e.data); } catch (_) {}
      if (conversation && ids.indexOf(Number(conversation.getAttribute("data-id"))) < 0) return;
      if (busy) { again = true; return; }
      busy = true;
      var run = function () {
        (inbox ? refreshInbox(inbox) : refreshConversation(conversation)).finally(function () {
          if (again) { again = false; run(); } else { busy = false; }
        });
      };
      run();
    });
    document.documentElement.setAttribute("data-live", "connected");
  }

  function savedReplies() {
    document.querySelectorAll("select[data-insert]").forEach(function (select) {
      select.addEventListener("change", function () {
        var box = document.getElementById(select.getAttribute("data-insert"));
        if (!box || !select.value) return;
        box.value = box.value ? box.value + "\n" + select.value : select.value;
        select.value = "";
        box.focus();
      });
    });
  }

  function queryEditor() {
    var box = document.querySelector("textarea[data-check]");
    if (!box) return;
    var out = document.getElementById("topic-check");
    var preview = document.getElementById("topic-preview");
    var timer = null, asked = 0;
    function check() {
      var q = box.value;
      if (!q.trim()) { out.textContent = ""; preview.innerHTML = ""; return; }
      var n = ++asked;
      fetch(box.getAttribute("data-check") + "?query=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (res) {
          if (n !== asked) return;
          preview.innerHTML = "";
          if (!res.ok) {
            out.className = "check bad";
            out.textContent = "Column " + res.column + ": " + res.message;
            box.setAttribute("aria-invalid", "true");
            return;
          }
          box.removeAttribute("aria-invalid");
          out.className = "check ok";
          out.textContent = "Valid. Matches " + res.matched + " of the last " + res.scanned + " messages" +
            (res.complete === false ? " (the preview's time ran out before the rest)." : ".");
          var list = document.createElement("ul");
          res.samples.forEach(function (s) {
            var li = document.createElement("li");
            li.textContent = s.channel + " · @" + s.author + ": " + s.text;
            list.appendChild(li);
          });
          preview.appendChild(list);
        })
        .catch(function () {});
    }
    box.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 250); });
    check();
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
    live();
    savedReplies();
    queryEditor();
  });
})();
