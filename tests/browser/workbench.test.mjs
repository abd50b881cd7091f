// Issue 17, the workbench's remaining gaps: goodwill as a free amount with its
// error beside the field; a bulk action confirmed on a page when JavaScript is
// off; a server-rendered Markdown preview for articles (raw HTML shown as
// text); the customer page of a customer with many long cases does not scroll
// sideways. German and English, 1440×900 and 390×844.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { apiCreate, login, loginIn, onEveryScreen, shot, shots, suite, viewports } from "./harness.mjs";

const ctx = suite();

const words = {
  de: { grant: /Gewähren oder Freigabe anfragen/, amountError: /Bitte einen Betrag wie 25 oder 12,50/, granted: /gewährt/, pending: /wartet auf Freigabe/,
    ask: /Die folgenden 2 Fälle .* zuweisen\?/, yes: "Ja, ausführen", done: /2 Fälle wurden Ihnen zugewiesen/, preview: "Vorschau" },
  en: { grant: /Grant or request approval/, amountError: /Please enter an amount such as 25 or 12\.50/, granted: /granted/, pending: /waiting for approval/,
    ask: /Assign the following 2 cases to .*\?/, yes: "Yes, do it", done: /2 cases assigned to you/, preview: "Preview" },
};

async function noSidewaysScroll(page, what) {
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `${what} scrolls sideways: ${scroll} > ${inner}`);
}

test("goodwill as a free amount: a bad amount is named beside the field; within the limit granted, above it requested", async () => {
  await onEveryScreen(ctx, "anna", async (page, lang, device, viewport) => {
    const w = words[lang];
    const base = ctx.server.base;
    const tag = `${Date.now()}-${lang}-${device}`;
    const customer = await apiCreate(page, base, "/api/v1/customers", { name: `Frei Betrag ${tag}`, language: lang, external_id: `FREE-${tag}` });
    const c = await apiCreate(page, base, "/api/v1/cases", { customer_id: customer.id, subject: `Lieferung verspätet ${tag}`, channel: "email" });
    await page.goto(`${base}/cases/${c.id}`);
    // The catalog is offered cheapest first.
    const values = await page.locator("#gw-item option").evaluateAll((os) => os.map((o) => o.textContent));
    const cents = values.filter((v) => /\(\d/.test(v)).map((v) => Number(v.replace(/.*\(|\).*|[^0-9]/g, "")));
    assert.deepEqual(cents, [...cents].sort((a, b) => a - b), `${lang}: catalog sorted by value: ${values}`);

    await page.locator("#gw-item").selectOption("free");
    await page.locator("#gw-kind").selectOption("voucher");
    await page.locator("#gw-amount").fill("zwölf");
    await page.locator("#gw-reason").fill("Drei Tage zu spät");
    await page.getByRole("button", { name: w.grant }).click();
    const error = page.getByTestId("amount-error");
    await error.waitFor();
    assert.match(await error.textContent(), w.amountError);
    assert.equal(await page.locator("#gw-amount").getAttribute("aria-invalid"), "true");
    // Beside the field: right below the input, and on screen once scrolled to.
    await page.locator("#gw-amount").scrollIntoViewIfNeeded();
    const input = await page.locator("#gw-amount").boundingBox();
    const box = await error.boundingBox();
    assert.ok(box.y >= input.y && box.y - (input.y + input.height) < 40, `${lang} ${device}: the error sits under the field`);
    await shot(page, { path: join(shots, `goodwill-free-error-${lang}-${viewport.width}.png`), clip: { x: 0, y: Math.max(0, input.y - 260), width: viewport.width, height: 420 } });
    await noSidewaysScroll(page, `${lang} ${device} case with a field error`);

    await page.locator("#gw-item").selectOption("free");
    await page.locator("#gw-amount").fill(lang === "de" ? "12,50" : "12.50");
    await page.locator("#gw-reason").fill("Drei Tage zu spät");
    await page.getByRole("button", { name: w.grant }).click();
    await page.waitForURL(/#goodwill/);
    await page.getByTestId("grant").filter({ hasText: w.granted }).waitFor();
    await page.locator("#gw-item").selectOption("free");
    await page.locator("#gw-amount").fill("80");
    await page.locator("#gw-reason").fill("Zweiter Schaden");
    await page.getByRole("button", { name: w.grant }).click();
    await page.waitForURL(/#goodwill/);
    const pending = page.getByTestId("grant").filter({ hasText: w.pending });
    await pending.waitFor();
    // The reason it waits, in the page's language.
    assert.match(await pending.textContent(), lang === "de" ? /braucht die Freigabe einer Teamleitung/ : /needs approval by a lead/);
    await pending.scrollIntoViewIfNeeded();
    await shot(page, { path: join(shots, `goodwill-free-${lang}-${viewport.width}.png`) });
  }, { allow: [/^422 .*\/goodwill$/] });
});

test("bulk actions ask on a page when JavaScript is off", async () => {
  for (const lang of ["de", "en"]) {
    for (const [device, viewport] of viewports) {
      const w = words[lang];
      // The language is the user's: set it with a scripted page first.
      const setup = await ctx.browser.newPage({ viewport });
      await loginIn(setup, ctx.server.base, "ben", lang);
      await setup.close();
      const context = await ctx.browser.newContext({ viewport, javaScriptEnabled: false });
      const page = await context.newPage();
      await login(page, ctx.server.base, "ben");
      const ids = page.locator("input[name=ids]");
      await ids.nth(0).check();
      await ids.nth(1).check();
      const subject = (await page.locator("table.cases a.subject").nth(0).textContent()).trim();
      await page.locator("#bulk button[value=assign]").click();
      const confirm = page.getByTestId("bulk-confirm");
      await confirm.waitFor();
      assert.match(await page.getByTestId("bulk-confirm-question").textContent(), w.ask);
      assert.ok((await confirm.textContent()).includes(subject), `${lang} ${device}: the page names the cases`);
      await noSidewaysScroll(page, `${lang} ${device} bulk confirmation`);
      await shot(page, { path: join(shots, `bulk-confirm-${lang}-${viewport.width}.png`) });
      await page.getByRole("button", { name: w.yes }).click();
      await page.getByTestId("bulk-done").waitFor();
      assert.match(await page.getByTestId("bulk-done").textContent(), w.done);
      await context.close();
    }
  }
});

test("the article editor previews Markdown on the server, raw HTML as text, and saves nothing", async () => {
  await onEveryScreen(ctx, "anna", async (page, lang, device, viewport) => {
    const w = words[lang];
    const base = ctx.server.base;
    const title = `Vorschau-Test ${Date.now()} ${lang} ${device}`;
    await page.goto(`${base}/solutions/new`);
    await page.locator("#solution-title").fill(title);
    await page.locator("#solution-body").fill("## Schritte\n\n1. **Paket** prüfen\n2. [Formular](https://example.org)\n\n<script>window.hacked = 1</script><img src=x onerror=\"window.hacked = 2\">");
    await page.getByRole("button", { name: w.preview, exact: true }).click();
    const preview = page.getByTestId("solution-preview");
    await preview.waitFor();
    assert.equal(await preview.locator("h2", { hasText: "Schritte" }).count(), 1);
    assert.equal(await preview.locator("strong", { hasText: "Paket" }).count(), 1);
    assert.equal(await preview.locator("a[href='https://example.org']").count(), 1);
    assert.equal(await preview.locator("script, img").count(), 0, "raw HTML is not markup");
    assert.match(await preview.textContent(), /<script>window.hacked = 1<\/script>/);
    assert.equal(await page.evaluate(() => window.hacked), undefined);
    // The form keeps what was typed; nothing is saved.
    assert.equal(await page.locator("#solution-title").inputValue(), title);
    await page.goto(`${base}/solutions?q=${encodeURIComponent(title)}`);
    assert.equal(await page.getByText(title).count(), 0, "a preview saves nothing");
    await page.goBack();
    await noSidewaysScroll(page, `${lang} ${device} article preview`);
    await preview.scrollIntoViewIfNeeded();
    await shot(page, { path: join(shots, `solution-preview-${lang}-${viewport.width}.png`) });
  });
});

test("the customer page of a customer with many long cases does not scroll sideways", async () => {
  await onEveryScreen(ctx, "anna", async (page, lang, device, viewport) => {
    const base = ctx.server.base;
    const tag = `${Date.now()}-${lang}-${device}`;
    const customer = await apiCreate(page, base, "/api/v1/customers", {
      name: `Maximiliane Mustermann-Lüdenscheidt ${tag}`, email: `maximiliane.mustermann-luedenscheidt.${tag}@ein-sehr-langer-domainname.example`,
      language: lang, external_id: `LONG-${tag}`, tier: "enterprise",
    });
    for (let i = 0; i < 4; i++) {
      await apiCreate(page, base, "/api/v1/cases", { customer_id: customer.id, subject: `Rechnungskorrekturanforderungsbearbeitungsverzögerung ${i} und noch ein sehr langer Betreff ${tag}`, channel: "email", priority: "high" });
    }
    await page.goto(`${base}/customers/${customer.id}`);
    await page.locator("table.cases a.subject").first().waitFor();
    await noSidewaysScroll(page, `${lang} ${device} customer`);
    await shot(page, { path: join(shots, `customer-long-${lang}-${viewport.width}.png`), fullPage: true });
  });
});
