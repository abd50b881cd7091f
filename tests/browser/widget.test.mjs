// Issue 4: the feedback widget on a page served from ANOTHER origin (a small
// node http server on its own port). A German complaint sent through the
// widget appears in the amends feedback stream and opened a case.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { join } from "node:path";
import { login, shot, suite, shots } from "./harness.mjs";

const ctx = suite();
let shop, shopBase;
let siteKey = "";

// The shop: another origin that embeds the widget (registered below).
before(async () => {
  shop = createServer((req, res) => {
    if (req.url !== "/") { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Vasen-Shop</title></head>
<body><h1>Vasen-Shop</h1><p>Schöne Vasen seit 1999.</p>
<script src="${ctx.server.base}/widget.js" data-site-key="${siteKey}" async></script></body></html>`);
  });
  await new Promise((ok) => shop.listen(0, "127.0.0.1", ok));
  shopBase = `http://127.0.0.1:${shop.address().port}`;
});

after(async () => {
  await new Promise((ok) => (shop ? shop.close(ok) : ok()));
});

test("a German complaint through the widget on another origin opens a case", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await login(page, ctx.server.base, "admin");

  // Register the shop in the settings page.
  await page.goto(`${ctx.server.base}/settings/widget`);
  await page.locator("#site-name").fill("Vasen-Shop");
  await page.locator("#site-origins").fill(shopBase);
  await page.locator("#site-q-de").fill("Haben Sie gefunden, was Sie suchen?");
  await page.locator("#site-trigger").selectOption("after_seconds");
  await page.locator("#site-seconds").fill("1");
  await page.getByRole("button", { name: "Website hinzufügen" }).click();
  const row = page.locator("tr", { hasText: "Vasen-Shop" });
  const embed = (await row.getByTestId("widget-embed").textContent()).trim();
  siteKey = embed.match(/data-site-key="(pk_[0-9a-f]+)"/)[1];
  assert.ok(embed.includes("/widget.js"), embed); // base_url is the configured public URL

  // The customer's page on the other origin.
  const shopPage = await ctx.browser.newPage({ viewport: { width: 1100, height: 800 } });
  const errors = [];
  shopPage.on("pageerror", (e) => errors.push(String(e)));
  await shopPage.goto(shopBase);
  assert.notEqual(new URL(shopBase).origin, new URL(ctx.server.base).origin);

  // The micro-survey shows after one second, once per visitor and period.
  const survey = shopPage.getByTestId("amends-survey");
  await survey.waitFor();
  assert.match(await survey.textContent(), /Haben Sie gefunden, was Sie suchen\?/);
  await survey.getByLabel("Ihre Antwort").fill("Nein, die Suche findet keine blauen Vasen.");
  await survey.getByRole("button", { name: "Senden" }).click();
  await shopPage.getByTestId("amends-thanks").waitFor();
  await shopPage.reload();
  await shopPage.getByTestId("amends-open").waitFor();
  assert.ok(await shopPage.evaluate((k) => localStorage.getItem(`amends-survey-${k}`), siteKey), "survey remembered");

  await shopPage.getByTestId("amends-open").click();
  const form = shopPage.getByTestId("amends-form");
  await form.waitFor();
  assert.match(await form.textContent(), /Wie war Ihre Erfahrung\?/);
  await form.getByRole("button", { name: "1 Sterne" }).click();
  const stamp = Date.now();
  await form.getByLabel("Ihr Kommentar").fill(
    `Bestellung ${stamp}: Die Lieferung kam zwei Wochen zu spät und die Vase war kaputt. Ich kündige mein Abo!`,
  );
  await form.getByLabel(/E-Mail/).fill(`widget-${stamp}@example.de`);
  await shot(shopPage, { path: join(shots, "widget-form-de.png"), fullPage: false });
  await form.getByRole("button", { name: "Senden" }).click();
  await shopPage.getByTestId("amends-thanks").waitFor();
  assert.match(await shopPage.getByTestId("amends-thanks").textContent(), /Danke/);
  assert.deepEqual(errors, []);

  // It is in the stream, negative, with the rule that fired and a case.
  await page.goto(`${ctx.server.base}/feedback?channel=widget`);
  const item = page.getByTestId("feedback-item").filter({ hasText: `Bestellung ${stamp}` });
  await item.waitFor();
  assert.match(await item.getByTestId("sentiment").textContent(), /negativ/);
  assert.match(await item.getByTestId("rule-fired").textContent(), /Regel/);
  await item.getByTestId("case-link").click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+$/);
  await page.getByText("Ich kündige mein Abo!").first().waitFor();

  // The survey answer is in the stream too, with its question.
  await page.goto(`${ctx.server.base}/feedback?channel=widget`);
  await page.getByTestId("feedback-item").filter({ hasText: "keine blauen Vasen" }).waitFor();

  // An agent sees the case in the inbox.
  const agent = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(agent, ctx.server.base, "anna");
  await agent.goto(`${ctx.server.base}/inbox?state=open&origin=feedback`);
  await agent.getByRole("link", { name: new RegExp(`Bestellung ${stamp}`) }).waitFor();
});
