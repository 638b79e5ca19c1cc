// Earshot's web chat widget. Put on a page of a site the channel allows:
//
//   <script src="https://earshot.example/widget.js" data-channel="42" async></script>
//
// It keeps the visitor's identity in this browser (localStorage), sends their messages to
// POST /chat/{channel}/messages (each with its own id, so a retry never doubles one), and
// shows the conversation, replies included, from the server-sent events of
// GET /chat/{channel}/events. When no agent is online it asks for an email to answer later.
// Everything is drawn inside a shadow root, so the page's styles and the widget's stay apart.
"use strict";

(function () {
  var script = document.currentScript ||
    document.querySelector('script[src*="widget.js"][data-channel]');
  if (!script) return;
  var channel = script.getAttribute("data-channel");
  var base = new URL(script.src, window.location.href).origin;
  var key = "earshot-chat-" + base + "-" + channel;
  var saved = {};
  try { saved = JSON.parse(window.localStorage.getItem(key) || "{}") || {}; } catch (e) { saved = {}; }
  function save() { try { window.localStorage.setItem(key, JSON.stringify(saved)); } catch (e) { /* private mode */ } }

  var host = document.createElement("div");
  host.setAttribute("data-earshot-chat", channel);
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    '<style>' +
    ':host{all:initial;font:14px/1.4 system-ui,sans-serif;color:#1c1c1c}' +
    '.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;background:#2454d6;color:#fff;font:inherit;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.25)}' +
    '.launcher .unread{display:inline-block;min-width:1.4em;margin-left:.5em;border-radius:1em;background:#fff;color:#2454d6;font-weight:600}' +
    '.panel{position:fixed;right:20px;bottom:76px;z-index:2147483000;width:320px;max-width:calc(100vw - 40px);height:440px;max-height:calc(100vh - 100px);display:flex;flex-direction:column;background:#fff;border-radius:10px;box-shadow:0 4px 24px rgba(0,0,0,.25);overflow:hidden}' +
    '.panel[hidden]{display:none}' +
    'header{padding:10px 14px;background:#2454d6;color:#fff;font-weight:600;display:flex;justify-content:space-between;align-items:center}' +
    'header button{background:none;border:0;color:#fff;font-size:18px;cursor:pointer}' +
    '.log{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px;background:#f6f7f9}' +
    '.line{max-width:80%;padding:7px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}' +
    '.line.in{align-self:flex-end;background:#2454d6;color:#fff}' +
    '.line.out{align-self:flex-start;background:#fff;border:1px solid #dde}' +
    '.line.note{align-self:center;background:none;color:#555;font-size:12px;text-align:center}' +
    '.line.pending{opacity:.6}.line.failed{background:#b3261e}' +
    'form{display:flex;flex-direction:column;gap:6px;padding:8px;border-top:1px solid #dde}' +
    'form .away{font-size:12px;color:#444}' +
    'input,textarea{font:inherit;padding:6px;border:1px solid #bbc;border-radius:6px}' +
    'textarea{resize:none;height:3.2em}' +
    'form button{align-self:flex-end;border:0;border-radius:6px;padding:6px 14px;background:#2454d6;color:#fff;font:inherit;cursor:pointer}' +
    '.error{color:#b3261e;font-size:12px}' +
    '</style>' +
    '<button class="launcher" type="button" aria-expanded="false">Chat with us<span class="unread" hidden></span></button>' +
    '<section class="panel" role="dialog" aria-label="Chat" hidden>' +
    '<header><span class="title">Chat</span><button type="button" class="close" aria-label="Close chat">×</button></header>' +
    '<div class="log" role="log" aria-live="polite"></div>' +
    '<form novalidate>' +
    '<div class="contact" hidden><p class="away">Nobody is online right now. Leave your email and we will answer there.</p>' +
    '<input name="name" autocomplete="name" placeholder="Your name" aria-label="Your name" maxlength="100">' +
    '<input name="email" type="email" autocomplete="email" placeholder="Your email" aria-label="Your email"></div>' +
    '<textarea name="text" placeholder="Write a message…" aria-label="Message" maxlength="4000"></textarea>' +
    '<div class="error" role="alert"></div>' +
    '<button type="submit">Send</button>' +
    '</form></section>';

  var $ = function (s) { return root.querySelector(s); };
  var launcher = $(".launcher"), panel = $(".panel"), log = $(".log"), form = $("form");
  var unread = $(".unread"), errorBox = $(".error"), contact = $(".contact");
  var seen = {}, unreadCount = 0, visitor = null, greeted = false, session = null;

  function line(cls, text) {
    var el = document.createElement("div");
    el.className = "line " + cls;
    el.textContent = text;
    log.appendChild(el);
    log.scrollTop = log.scrollHeight;
    return el;
  }

  function open(show) {
    panel.hidden = !show;
    launcher.setAttribute("aria-expanded", show ? "true" : "false");
    if (show) {
      unreadCount = 0;
      unread.hidden = true;
      form.elements.text.focus();
    }
  }
  launcher.addEventListener("click", function () { open(panel.hidden); });
  $(".close").addEventListener("click", function () { open(false); });

  function post(path, body) {
    return fetch(base + "/chat/" + channel + path, {
      // text/plain keeps it a simple request (no preflight); the server reads JSON anyway.
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "content-type": "text/plain;charset=UTF-8" },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { var e = new Error(j.message || ("HTTP " + r.status)); e.status = r.status; throw e; }
        return j;
      });
    });
  }

  function listen() {
    var url = base + "/chat/" + channel + "/events?visitor=" + encodeURIComponent(visitor);
    var events = new EventSource(url);
    events.addEventListener("message", function (ev) {
      var m = JSON.parse(ev.data);
      if (seen[m.id]) return;
      seen[m.id] = true;
      if (m.direction === "in") {
        var pending = log.querySelectorAll(".line.pending");
        for (var i = 0; i < pending.length; i++) {
          if (pending[i].textContent === m.text) { pending[i].remove(); break; }
        }
        line("in", m.text);
      } else {
        line("out", m.text);
        if (panel.hidden) {
          unreadCount++;
          unread.textContent = String(unreadCount);
          unread.hidden = false;
        }
      }
    });
  }

  function start() {
    return post("/session", { visitor: saved.visitor || null }).then(function (s) {
      session = s;
      visitor = s.visitor;
      if (saved.visitor !== visitor) { saved.visitor = visitor; save(); }
      $(".title").textContent = s.name || "Chat";
      if (!greeted) { line("note", s.greeting); greeted = true; }
      contact.hidden = !s.ask_email || !!saved.email;
      if (saved.name) form.elements.name.value = saved.name;
      listen();
    });
  }

  function newId() {
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function send(text, id, el) {
    var body = { visitor: visitor, id: id, text: text, page: window.location.href };
    if (saved.name) body.name = saved.name;
    if (saved.email) body.email = saved.email;
    el.className = "line in pending";
    return post("/messages", body).catch(function (e) {
      el.className = "line in failed";
      el.title = "Not sent: " + e.message + " (click to try again)";
      el.onclick = function () { el.onclick = null; send(text, id, el); };
      errorBox.textContent = "Not sent: " + e.message;
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errorBox.textContent = "";
    var text = form.elements.text.value.trim();
    if (!text) return;
    if (!visitor) { errorBox.textContent = "The chat is not connected yet; try again in a moment."; return; }
    if (!contact.hidden) {
      var email = form.elements.email.value.trim(), name = form.elements.name.value.trim();
      if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
        errorBox.textContent = "That email does not look right.";
        return;
      }
      if (email) saved.email = email;
      if (name) saved.name = name;
      save();
      if (email) contact.hidden = true;
    }
    form.elements.text.value = "";
    send(text, newId(), line("in pending", text));
  });
  form.elements.text.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });

  function mount() {
    document.body.appendChild(host);
    start().catch(function (e) {
      errorBox.textContent = e.status === 403
        ? "This chat is not available on this site."
        : "The chat could not connect: " + e.message;
      host.setAttribute("data-state", "refused");
    });
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
