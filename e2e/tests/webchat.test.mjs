// End-to-end: the web chat widget on a shop's page in a real headless Chromium, against a
// real `earshot serve` on a fresh SQLite database. The shop is another origin (its own
// server on another port), as on a real site.
//
// The visitor opens the chat, is asked for an email because nobody is online, writes; the
// message reaches the inbox as a web_chat conversation; an agent answers through the API and
// the answer appears in the open widget without a reload; after a reload the conversation is
// still there (the visitor's identity is kept in the browser); and a page on an origin the
// channel does not allow gets no chat. Writes docs/screenshots/webchat.png.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const bin = process.env.EARSHOT_BIN || join(root, "target", "debug", "earshot");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const shots = join(root, "docs", "screenshots");

let dir, db, server, base, token, browser, shop, shopPort, channel;
let serverLog = "";

function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); });
  });
}

function earshot(args) {
  return execFileSync(bin, ["--database", db, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

async function api(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// The shop's page, with the tag the channel's settings show.
function shopPage() {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Shop</title>
<style>body{font:16px system-ui;margin:40px;background:#fafafa} h1{color:#333}</style></head>
<body><h1>Acme Shop</h1><p>Smart plugs, chargers and more.</p>
<script src="${base}/widget.js" data-channel="${channel}" async></script></body></html>`;
}

before(async () => {
  assert.ok(existsSync(bin), `the earshot binary is missing at ${bin}: build it with cargo build -p earshot`);
  assert.ok(existsSync(chromiumPath), `Chromium is missing at ${chromiumPath}: apt-get install chromium`);
  dir = mkdtempSync(join(tmpdir(), "earshot-chat-"));
  db = `sqlite://${join(dir, "chat.db")}`;
  earshot(["migrate"]);
  token = earshot(["token", "create", "--workspace", "acme"]);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ["--database", db, "serve", "--bind", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
  server.stdout.on("data", (d) => { serverLog += d; });
  server.stderr.on("data", (d) => { serverLog += d; });
  for (let i = 0; ; i++) {
    try { if ((await fetch(base + "/healthz")).ok) break; } catch (_) {}
    if (i > 100) throw new Error("earshot serve did not start:\n" + serverLog);
    await new Promise((r) => setTimeout(r, 100));
  }
  shopPort = await freePort();
  const ch = await api("POST", "/api/v1/channels", {
    kind: "web_chat", name: "Acme Shop chat",
    settings: { allowed_origins: `http://127.0.0.1:${shopPort}`, greeting: "Hi! Ask us anything about your order." },
  });
  assert.equal(ch.status, 201, JSON.stringify(ch.body));
  channel = ch.body.id;
  assert.match(ch.body.embed, /widget\.js" data-channel="\d+"/);
  shop = createServer((req, res) => { res.writeHead(200, { "content-type": "text/html" }); res.end(shopPage()); });
  await new Promise((ok) => shop.listen(shopPort, "127.0.0.1", ok));
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: chromiumPath, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  shop?.close();
  server?.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function waitFor(what, check, ms = 20000) {
  const until = Date.now() + ms;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${serverLog.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("a visitor chats from the shop's page and sees the agent's answer live", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${shopPort}/`);
  await page.getByRole("button", { name: "Chat with us" }).click();
  await page.getByText("Hi! Ask us anything about your order.").waitFor();
  // Nobody is online: the widget asks for an email.
  await page.getByText("Nobody is online right now").waitFor();
  await page.getByLabel("Your name").fill("Jo Rivera");
  await page.getByLabel("Your email").fill("jo@example.com");
  await page.getByLabel("Message").fill("Hello, does the smart plug work with the older hub?");
  await page.getByRole("button", { name: "Send" }).click();
  // Shown as the visitor's once the server has it (the pending copy replaced).
  await page.locator(".line.in:not(.pending)").filter({ hasText: "older hub" }).waitFor();

  // It is in the inbox, as a web chat conversation from the email the visitor gave.
  const found = await waitFor("the conversation in the API", async () => {
    const list = await api("GET", "/api/v1/conversations?limit=10");
    return list.body.items.find((c) => c.channel_kind === "web_chat");
  });
  const full = await api("GET", `/api/v1/conversations/${found.id}`);
  assert.match(JSON.stringify(full.body), /jo@example\.com/);

  // An agent answers; the open widget shows it without a reload.
  const agent = await api("POST", "/api/v1/agents", { name: "Ana Agent", email: "ana@acme.test" });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
  const r = await api("POST", `/api/v1/conversations/${found.id}/reply`, { text: "Hi Jo! Yes, every hub since 2019 works.", agent_id: agent.body.id });
  assert.ok(r.status < 300, JSON.stringify(r.body));
  await page.locator(".line.out").filter({ hasText: "every hub since 2019" }).waitFor({ timeout: 20000 });
  await page.screenshot({ path: join(shots, "webchat.png") });
  const outbox = await waitFor("the reply delivered", async () => {
    const o = await api("GET", `/api/v1/outbox?conversation_id=${found.id}`);
    return o.body[0]?.delivery === "delivered" && o.body;
  });
  assert.equal(outbox[0].delivery, "delivered");

  // A reload keeps the conversation: the visitor's identity lives in the browser.
  await page.reload();
  await page.getByRole("button", { name: "Chat with us" }).click();
  await page.locator(".line.out").filter({ hasText: "every hub since 2019" }).waitFor();
  await page.locator(".line.in").filter({ hasText: "older hub" }).waitFor();
  // The email was given once; it is not asked again.
  assert.equal(await page.getByLabel("Your email").isVisible(), false);
  await context.close();
});

test("a page on an origin the channel does not allow gets no chat", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Same page, other origin: localhost is not 127.0.0.1 to a browser.
  await page.goto(`http://localhost:${shopPort}/`);
  await page.locator('[data-earshot-chat][data-state="refused"]').waitFor({ state: "attached" });
  await page.getByRole("button", { name: "Chat with us" }).click();
  await page.getByText("This chat is not available on this site.").waitFor();
  await context.close();
});
