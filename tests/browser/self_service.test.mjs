// Issue 20, self-service answers: a widget visitor on another origin types a
// question, is shown a matching public article ("Vielleicht hilft das:" /
// "This might help:"), opens it and does NOT send — the deflection report
// then counts one more deflected session. In German and English, at 1440 and
// 390 px, with screenshots of the widget and the report.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { join } from "node:path";
import { loginIn, shot, suite, shots, viewports, apiCreate, collectErrors } from "./harness.mjs";

const ctx = suite();
let shop, shopBase;
const keys = {};

// The shop: another origin; `/?lang=de|en` embeds that language's site.
before(async () => {
  shop = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const lang = url.searchParams.get("lang");
    if (url.pathname !== "/" || !keys[lang]) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Shop</title></head>
<body><h1>Shop</h1><script src="${ctx.server.base}/widget.js" data-site-key="${keys[lang]}" async></script></body></html>`);
  });
  await new Promise((ok) => shop.listen(0, "127.0.0.1", ok));
  shopBase = `http://127.0.0.1:${shop.address().port}`;
});

after(async () => {
  await new Promise((ok) => (shop ? shop.close(ok) : ok()));
});

const QUESTION = {
  de: { text: "Ich habe mein Passwort vergessen, was nun?", article: "Passwort vergessen", help: "Vielleicht hilft das:", open: "Feedback" },
  en: { text: "I forgot my password, how do I reset it?", article: "Reset your password", help: "This might help:", open: "Feedback" },
};

async function deflected(page) {
  const res = await page.request.get(`${ctx.server.base}/api/v1/analytics/deflection?days=7`);
  assert.equal(res.status(), 200);
  return (await res.json()).total.deflected;
}

test("a visitor shown an article who does not send counts as deflected", async () => {
  const admin = await ctx.browser.newPage({ viewport: { width: 1440, height: 900 } });
  await loginIn(admin, ctx.server.base, "admin", "de");
  await admin.goto(`${ctx.server.base}/settings/widget`);
  for (const lang of ["de", "en"]) {
    const site = await apiCreate(admin, ctx.server.base, "/api/v1/widget-sites",
      { name: `Shop ${lang}`, allowed_origins: [shopBase], language: lang });
    keys[lang] = site.site_key;
  }

  for (const lang of ["de", "en"]) {
    for (const [device, viewport] of viewports) {
      const q = QUESTION[lang];
      const before = await deflected(admin);
      const visitor = await ctx.browser.newContext({ viewport });
      const shopPage = await visitor.newPage();
      const errors = collectErrors(shopPage);
      await shopPage.goto(`${shopBase}/?lang=${lang}`);
      await shopPage.getByTestId("amends-open").click();
      const form = shopPage.getByTestId("amends-form");
      await form.locator("textarea").pressSequentially(q.text, { delay: 10 });
      const box = shopPage.getByTestId("amends-suggestions");
      await box.waitFor({ state: "visible" });
      assert.match(await box.textContent(), new RegExp(q.help.replace(/[.:]/g, "\\$&")));
      const link = box.getByRole("link", { name: q.article });
      await link.waitFor();
      assert.match(await link.getAttribute("href"), /\/help\/articles\/[0-9a-f-]+$/);
      await shot(shopPage, { path: join(shots, `self-service-widget-${lang}-${device}.png`) });
      const [article] = await Promise.all([visitor.waitForEvent("page"), link.click()]);
      await article.waitForLoadState();
      assert.match(await article.locator("h1").first().textContent(), new RegExp(q.article));
      // Leaves without sending.
      await shopPage.close({ runBeforeUnload: true });
      assert.deepEqual(errors, [], `${lang} ${device}`);
      await visitor.close();

      let now = before;
      for (let i = 0; i < 50 && now !== before + 1; i++) {
        await admin.waitForTimeout(100);
        now = await deflected(admin);
      }
      assert.equal(now, before + 1, `${lang} ${device}: one more deflected session`);
    }
  }

  // The report in both languages on both screens.
  for (const lang of ["de", "en"]) {
    for (const [device, viewport] of viewports) {
      const page = await ctx.browser.newPage({ viewport });
      const errors = collectErrors(page);
      await loginIn(page, ctx.server.base, "admin", lang);
      await page.goto(`${ctx.server.base}/analytics/deflection?days=7`);
      await page.locator("h1", { hasText: lang === "de" ? "Antworten zur Selbsthilfe" : "Self-service answers" }).waitFor();
      const rate = await page.locator('[data-figure="rate"]').textContent();
      assert.match(rate, lang === "de" ? /\d+,\d\s?%/ : /\d+\.\d\s?%/, rate);
      await page.locator('[data-report="deflection-articles"]').waitFor();
      await shot(page, { path: join(shots, `self-service-report-${lang}-${device}.png`), fullPage: true });
      assert.deepEqual(errors, [], `${lang} ${device}`);
      await page.close();
    }
  }
});

test("the help center suggests articles while the customer types", async () => {
  for (const lang of ["de", "en"]) {
    for (const [device, viewport] of viewports) {
      const q = QUESTION[lang];
      const page = await ctx.browser.newPage({ viewport });
      const errors = collectErrors(page);
      await page.goto(`${ctx.server.base}/help?lang=${lang}`);
      await page.locator("#help-q").pressSequentially(q.text, { delay: 10 });
      const box = page.getByTestId("help-suggestions");
      await box.waitFor({ state: "visible" });
      assert.match(await box.textContent(), new RegExp(q.help.replace(/[.:]/g, "\\$&")));
      await box.getByRole("link", { name: q.article }).waitFor();
      await shot(page, { path: join(shots, `self-service-help-${lang}-${device}.png`) });
      await box.getByRole("link", { name: q.article }).click();
      await page.locator("h1", { hasText: q.article }).waitFor();
      assert.deepEqual(errors, [], `${lang} ${device}`);
      await page.close();
    }
  }
});
