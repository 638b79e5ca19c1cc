// End-to-end: the agent inbox, a conversation and the dashboard in a real headless Chromium
// (Debian's chromium package, driven by playwright-core) against a real `earshot serve` on
// a fresh SQLite database. Run by ./scripts/test (after the Rust tests) and by .ci/run.
//
// It signs in (and is refused with a bad password), watches a message posted to the API
// appear in the open inbox without a reload, opens it, replies (the SLA is met and the reply
// is in the thread), sees the customer's answer arrive in the open thread, assigns it to
// another agent, resolves it, checks that nobody signed out
// reaches a page or the API, opens a conversation from a listening post on the Listening
// page, and writes screenshots of the inbox, a conversation, the Listening page and the
// dashboard to docs/screenshots/ (shown in the README).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
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
const PASSWORD = "correct horse battery staple";

let dir, db, server, base, token, browser, agents = {};
let serverLog = "";

function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); });
  });
}

function earshot(args, env = {}) {
  return execFileSync(bin, ["--database", db, ...args], {
    env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

async function api(method, path, body, bearer = token) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const minutesAgo = (m) => new Date(Date.now() - m * 60000).toISOString();

// Customers writing in over the last hours, some already answered, on several channels: what
// a care team's inbox looks like at mid-morning.
function morning() {
  const m = (channel, id, handle, name, text, ago, extra = {}) => ({
    channel, external_id: id, author: { external_id: "u-" + handle, handle, display_name: name, followers: extra.followers ?? 120 },
    text, created_at: minutesAgo(ago), visibility: extra.visibility ?? "public", ...(extra.reply ? { in_reply_to: extra.reply } : {}),
  });
  const out = (channel, id, text, ago, reply) => ({
    channel, external_id: id, direction: "out", author: { external_id: "acme", handle: "AcmeCare" },
    text, created_at: minutesAgo(ago), in_reply_to: reply,
  });
  return [
    m("x", "t1", "jo_r", "Jo Rivera", "@AcmeCare my order #4411 never arrived and nobody answers. This is the third time!!", 300, { followers: 2400 }),
    m("email", "e1", "priya", "Priya Shah", "Hello, I was charged twice for my subscription this month. Can you refund the second payment?", 240, { visibility: "private" }),
    m("instagram", "i1", "mo.travels", "Mo", "love the new app update, the dark mode is gorgeous 😍", 200),
    m("facebook", "f1", "lee.k", "Lee Kim", "Is the charger compatible with the older model? Thinking of buying two.", 150),
    out("facebook", "f1r", "Hi Lee! Yes, it works with every model since 2019.", 140, "f1"),
    m("whatsapp", "w1", "ana_m", "Ana Martínez", "Mi pedido llegó roto, ¿cómo hago la devolución?", 90, { visibility: "private" }),
    m("x", "t2", "sam_dev", "Sam", "@AcmeCare the app keeps crashing on login since this morning, can't access my account", 60, { followers: 18000 }),
    m("reddit", "r1", "throwaway_42", null, "Anyone else thinking of cancelling Acme? Support takes days to reply.", 45),
    m("email", "e2", "chen", "Chen Wei", "Could you add an export to CSV option for invoices? It would save us hours.", 30, { visibility: "private" }),
    m("mastodon", "ma1", "fern", "Fern", "My smart plug caught fire and burned the socket, this is dangerous!", 20),
  ];
}

// Two weeks of earlier, answered conversations (seeded, so every run draws the same
// dashboard): a few a day per channel, answered after minutes to a day.
function history() {
  let seed = 7;
  // A linear congruential generator; its high bits, the low ones repeat too soon.
  const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 65536) % n; };
  const channels = ["x", "x", "email", "facebook", "instagram", "whatsapp", "reddit"];
  const texts = [
    "my refund still hasn't arrived, it's been two weeks",
    "thanks so much for the quick help yesterday!",
    "how do I change the delivery address on my order?",
    "the app is down again, can't log in",
    "great service at the store today, well done",
    "I was charged twice, please fix this",
    "when will the new model be back in stock?",
    "your courier left my package in the rain, it's ruined",
  ];
  const out = [];
  for (let day = 14; day >= 1; day--) {
    const n = 3 + rand(6);
    for (let k = 0; k < n; k++) {
      const channel = channels[rand(channels.length)];
      const id = `h-${day}-${k}`;
      const wrote = day * 1440 - rand(600);
      const waited = [4, 12, 35, 70, 180, 400, 900][rand(7)];
      out.push({ channel, external_id: id, author: { external_id: `hu-${rand(40)}`, handle: `customer${rand(40)}` },
        text: texts[rand(texts.length)], created_at: minutesAgo(wrote) });
      out.push({ channel, external_id: id + "-r", direction: "out", author: { external_id: "acme", handle: "AcmeCare" },
        text: "Thanks for reaching out, we're on it.", created_at: minutesAgo(wrote - waited), in_reply_to: id });
    }
  }
  return out;
}

before(async () => {
  assert.ok(existsSync(bin), `the earshot binary is missing at ${bin}: build it with cargo build -p earshot`);
  assert.ok(existsSync(chromiumPath), `Chromium is missing at ${chromiumPath}: apt-get install chromium`);
  dir = mkdtempSync(join(tmpdir(), "earshot-e2e-"));
  db = `sqlite://${join(dir, "e2e.db")}`;
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
  const team = await api("POST", "/api/v1/teams", { name: "Front line" });
  assert.equal(team.status, 201, JSON.stringify(team.body));
  for (const [key, name] of [["ana", "Ana Agent"], ["ben", "Ben Backup"]]) {
    const a = await api("POST", "/api/v1/agents", { name, email: `${key}@acme.test`, team_id: team.body.id, capacity: 20, availability: key === "ana" ? "online" : "offline" });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    agents[key] = a.body;
  }
  earshot(["user", "create", "--workspace", "acme", "--email", "ana@acme.test", "--name", "Ana Agent", "--role", "admin", "--agent-id", String(agents.ana.id)], { EARSHOT_PASSWORD: PASSWORD });
  for (const [name, query] of [["Refunds", "refund* OR charged"], ["Delivery", "deliver* OR package OR courier OR arrived"], ["Outage", "down OR crash* OR \"can't log in\""]]) {
    const t = await api("POST", "/api/v1/topics", { name, query });
    assert.equal(t.status, 201, JSON.stringify(t.body));
  }
  const conversations = [];
  for (const batch of [history(), morning()]) {
    const posted = await api("POST", "/api/v1/messages", batch);
    assert.ok(posted.status < 300, JSON.stringify(posted.body));
    conversations.push(...posted.body.results.map((r) => r.conversation_id));
  }
  // Part of the morning is already taken: Ana has three, Ben (away today) one.
  const morningIds = [...new Set(conversations.slice(-10))];
  for (const [k, who] of [[0, "ana"], [1, "ana"], [3, "ana"], [5, "ben"]]) {
    const r = await api("POST", `/api/v1/conversations/${morningIds[k]}/assign`, { agent_id: agents[who].id, team_id: agents[who].team_id });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: chromiumPath, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function signIn(page, password = PASSWORD) {
  await page.goto(base + "/");
  assert.match(page.url(), /\/login$/);
  await page.getByLabel("Email").fill("ana@acme.test");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a bad password is refused", async () => {
  const page = await browser.newPage();
  await signIn(page, "not the password");
  await page.getByRole("alert").filter({ hasText: "Wrong email or password." }).waitFor();
  assert.match(page.url(), /\/login$/);
  await page.close();
});

test("nobody signed out reaches a page or the API", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  for (const path of ["/inbox", "/dashboard", "/settings/people", "/c/1"]) {
    await page.goto(base + path);
    assert.match(page.url(), /\/login$/, path);
  }
  const res = await api("GET", "/api/v1/conversations", undefined, null);
  assert.equal(res.status, 401);
  await context.close();
});

test("the care loop: a new message appears live, is answered in time, handed over and resolved", async () => {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  await signIn(page);
  await page.waitForURL(/\/inbox$/);
  await page.getByRole("heading", { name: "Inbox" }).waitFor();
  // Wait until the live stream is open, then mark the page: a reload would lose the mark.
  await page.waitForFunction(() => document.documentElement.getAttribute("data-live") === "connected");
  await page.evaluate(() => { window.__notReloaded = true; });

  const text = `@AcmeCare my package says delivered but it isn't here, order #${Date.now() % 100000}`;
  const posted = await api("POST", "/api/v1/messages", [{
    channel: "x", external_id: "live-1", author: { external_id: "u-kai", handle: "kai_o", display_name: "Kai Osei", followers: 530 },
    text, created_at: new Date().toISOString(),
  }]);
  assert.ok(posted.status < 300, JSON.stringify(posted.body));
  const id = posted.body.results[0].conversation_id;
  const row = page.locator(`#inbox-rows tr[data-id="${id}"]`);
  await row.waitFor({ timeout: 10000 });
  assert.equal(await page.evaluate(() => window.__notReloaded), true, "the inbox updated without a reload");
  assert.match(await row.innerText(), /Kai Osei/);
  assert.match(await row.innerText(), /left/, "the SLA time left is shown");
  await page.screenshot({ path: join(shots, "inbox.png"), fullPage: true });

  await row.getByRole("link", { name: "Kai Osei" }).click();
  await page.waitForURL(new RegExp(`/c/${id}$`));
  await page.getByText(text).waitFor();

  const reply = "So sorry, Kai! We've opened a trace with the courier and will DM you within the hour.";
  await page.getByLabel("Your reply to Kai Osei").fill(reply);
  await page.getByRole("button", { name: "Send reply" }).click();
  await page.waitForURL(new RegExp(`/c/${id}$`));
  await page.locator("#thread .msg.out").filter({ hasText: reply }).waitFor();
  await page.locator("#history").getByText("sla answered").waitFor();
  assert.match(await page.locator("#history").innerText(), /within the SLA/);

  // The customer writes back while the page is open: it appears in the thread, no reload.
  await page.evaluate(() => { window.__notReloaded = true; });
  const followUp = "Thanks! It's order 4471, the courier app says 'left at door'.";
  const again = await api("POST", "/api/v1/messages", [{
    channel: "x", external_id: "live-2", in_reply_to: "live-1", author: { external_id: "u-kai", handle: "kai_o" },
    text: followUp, created_at: new Date().toISOString(),
  }]);
  assert.ok(again.status < 300, JSON.stringify(again.body));
  await page.locator("#thread .msg.in").filter({ hasText: followUp }).waitFor({ timeout: 10000 });
  assert.equal(await page.evaluate(() => window.__notReloaded), true, "the thread updated without a reload");

  await page.getByLabel("Assignee").selectOption({ label: "Ben Backup" });
  await page.getByRole("button", { name: "Assign" }).click();
  await page.locator("#assignee").filter({ hasText: "Ben Backup" }).waitFor();
  await page.locator("#history").getByText("to Ben Backup").waitFor();

  await page.getByLabel("Private note (only your team sees it)").fill("Courier trace #88231 opened.");
  await page.getByRole("button", { name: "Add note" }).click();
  await page.locator("#history").getByText("Courier trace #88231 opened.").waitFor();
  await page.locator("details.why summary").first().click();
  await page.screenshot({ path: join(shots, "conversation.png"), fullPage: true });

  await page.getByRole("button", { name: "Resolve" }).click();
  await page.locator("#status").filter({ hasText: "resolved" }).waitFor();

  // The API agrees with what the page shows.
  const shown = await api("GET", `/api/v1/conversations/${id}`);
  assert.equal(shown.body.conversation?.status ?? shown.body.status, "resolved");
  assert.equal(shown.body.conversation?.assignee_id ?? shown.body.assignee_id, agents.ben.id);

  await page.goto(base + "/dashboard");
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  assert.ok(await page.locator("svg[role=img]").count() >= 4, "the dashboard draws charts");
  assert.notEqual((await page.locator("#kpi-median").innerText()).trim(), "—", "first responses are measured");
  await page.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
  await context.close();
});

test("a listening post that matched no topic is found on the Listening page and opened as a conversation", async () => {
  const words = `Anyone else's Acme blender smoking on first use? ${Date.now() % 100000}`;
  const heard = await api("POST", "/api/v1/messages", [
    { channel: "x", account: "public", source: "listening", external_id: "heard-1",
      author: { external_id: "u-rin", handle: "rin_cooks", display_name: "Rin", followers: 48200 },
      text: words, url: "https://x.com/rin_cooks/status/1", created_at: minutesAgo(12) },
    { channel: "x", account: "public", source: "listening", external_id: "heard-2",
      author: { external_id: "u-tom", handle: "tom_b", followers: 12 },
      text: "sunny afternoon at the lake", created_at: minutesAgo(30) },
  ]);
  assert.ok(heard.status < 300, JSON.stringify(heard.body));
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  await signIn(page);
  await page.waitForURL(/\/inbox$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Listening" }).click();
  await page.getByRole("heading", { name: "Heard, not matched" }).waitFor();
  const post = page.locator("li.heard-post").filter({ hasText: words });
  await post.waitFor();
  assert.match(await post.innerText(), /@rin_cooks/);
  assert.match(await post.innerText(), /48200 followers/);
  await page.screenshot({ path: join(shots, "listening.png"), fullPage: true });
  await page.getByLabel("Words").fill("lake");
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator("li.heard-post").filter({ hasText: "sunny afternoon" }).waitFor();
  assert.equal(await page.locator("li.heard-post").filter({ hasText: words }).count(), 0, "the search narrows the list");
  await page.goto(base + "/listening");
  await page.locator("li.heard-post").filter({ hasText: words }).getByRole("button", { name: "Open a conversation" }).click();
  await page.waitForURL(/\/c\/\d+$/);
  await page.getByText(words).waitFor();
  const id = Number(page.url().split("/").pop());
  const shown = await api("GET", `/api/v1/conversations/${id}`);
  assert.equal(shown.status, 200);
  assert.equal(shown.body.conversation.channel_kind, "x");
  await context.close();
});

test("the inbox stays usable on a phone-sized screen and by keyboard", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page);
  await page.waitForURL(/\/inbox$/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 400, `no sideways scrolling of the page (${width}px wide)`);
  // The first Tab reaches the skip link, which leads to the content.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content");
  await context.close();
});

test("a customer opens their preference link, reads what is kept and chooses how much to hear", async () => {
  const found = await api("GET", "/api/v1/contacts?q=Priya");
  assert.equal(found.status, 200, JSON.stringify(found.body));
  const id = found.body.items[0].id;
  const link = await api("POST", `/api/v1/contacts/${id}/preference-link`, { days: 7 });
  assert.equal(link.status, 200, JSON.stringify(link.body));
  // No account, no session: the link alone opens the page.
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  const res = await page.goto(base + link.body.url);
  assert.equal(res.status(), 200);
  assert.equal(res.headers()["cache-control"], "no-store");
  await page.getByRole("heading", { name: "Hello Priya Shah: your choices" }).waitFor();
  await page.getByRole("heading", { name: "What we keep about you, and why" }).waitFor();
  await page.getByLabel(/Co-creation/).check();
  await page.getByLabel(/Invitations to give ideas/).check();
  await page.getByLabel(/Offers and campaigns/).uncheck();
  await page.getByRole("button", { name: "Save my choices" }).click();
  await page.getByRole("status").filter({ hasText: "your choices are saved" }).waitFor();
  assert.equal(await page.getByLabel(/Co-creation/).isChecked(), true, "the page shows what was saved");
  await page.screenshot({ path: join(shots, "preferences.png"), fullPage: true });
  const contact = await api("GET", `/api/v1/contacts/${id}`);
  assert.equal(contact.body.engagement_level, "co_creation");
  assert.deepEqual(
    contact.body.purposes.filter((p) => p.granted).map((p) => p.purpose),
    ["support", "updates", "surveys", "research"],
  );
  // A link changed by hand opens nothing.
  const forged = await page.goto(base + link.body.url.replace(/\.(\d+)\./, (_, n) => `.${Number(n) + 1}.`));
  assert.equal(forged.status(), 400);
  await page.getByRole("heading", { name: "This link does not work" }).waitFor();
  await context.close();
});
