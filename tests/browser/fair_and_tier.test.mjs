// Issue 20 (what is fair, tier offers, feature panel): a customer answers
// "what would you consider fair?" on the public page in their language (a
// bad amount is refused next to the field first), and the agent sees the
// answer on the case page and its timeline; the fairness report, the tier
// offers and the panel show the demo. German and English, desktop and
// phone, without sideways scroll.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { suite, onEveryScreen, apiCreate, shot, shots, followNav } from "./harness.mjs";

const ctx = suite();

const noSidewaysScroll = (page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

test("the customer says what is fair; the agent sees it; the reports fit every screen", async () => {
  await onEveryScreen(ctx, "lena", async (page, lang, device) => {
    const base = ctx.server.base;
    const de = lang === "de";
    const tag = `${lang}-${device}-${Date.now()}`;
    await page.goto(`${base}/inbox`);
    const cust = await apiCreate(page, base, "/api/v1/customers", { name: "Fiona Fair", email: `fair.${tag}@example.de`, language: lang, external_id: `FAIR-${tag}` });
    const c = await apiCreate(page, base, "/api/v1/cases", { customer_id: cust.id, subject: `Paket beschädigt ${tag}`, channel: "email" });
    const res = await page.request.get(`${base}/api/v1/cases/${c.id}/fair-expectation`);
    assert.equal(res.status(), 200);
    const token = (await res.json()).link.split("/fair/")[1];

    // The customer's page (no login needed), in the customer's language.
    const customer = await ctx.browser.newPage({ viewport: page.viewportSize() });
    await customer.goto(`${base}/fair/${token}`);
    assert.match(await customer.locator("h1").innerText(), de ? /Was wäre für Sie fair\?/ : /What would you consider fair\?/);
    await customer.getByLabel(de ? "Ein Gutschein" : "A voucher").check();
    await customer.locator("#fair-amount").fill("zehn");
    await customer.getByRole("button", { name: de ? "Antwort senden" : "Send answer" }).click();
    await customer.waitForLoadState("load");
    assert.match(await customer.getByTestId("fair-amount-error").innerText(), de ? /Betrag in Euro/ : /amount in euros/);
    assert.equal(await customer.locator("#fair-amount").getAttribute("aria-invalid"), "true");
    assert.ok(await noSidewaysScroll(customer), `${lang} ${device}: public form fits`);
    await shot(customer, { path: join(shots, `fair-public-error-${lang}-${device}.png`), fullPage: true });
    await customer.locator("#fair-amount").fill("25");
    await customer.locator("#fair-note").fill(de ? "Der Inhalt war zerbrochen" : "The contents were broken");
    await customer.getByRole("button", { name: de ? "Antwort senden" : "Send answer" }).click();
    await customer.getByTestId("fair-thanks").waitFor();
    await shot(customer, { path: join(shots, `fair-public-thanks-${lang}-${device}.png`), fullPage: true });
    await customer.close();

    // The agent's case page: the answer, the comparison, the timeline.
    await page.goto(`${base}/cases/${c.id}`);
    const panel = page.getByTestId("case-fair");
    assert.match(await page.getByTestId("fair-current").innerText(), de ? /Ein Gutschein · 25,00\s€/ : /A voucher · €25\.00/);
    assert.match(await page.getByTestId("fair-comparison").innerText(), de ? /weniger als erwartet/ : /less than expected/);
    assert.match(await page.getByTestId("fair-note").innerText(), de ? /zerbrochen/ : /broken/);
    assert.match(await page.getByTestId("fair-event").first().innerText(), de ? /Ein Gutschein/ : /A voucher/);
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: case page fits`);
    await panel.scrollIntoViewIfNeeded();
    await shot(page, { path: join(shots, `fair-case-${lang}-${device}.png`), fullPage: true });
    await panel.screenshot({ path: join(shots, `fair-case-panel-${lang}-${device}.png`) });
    await page.locator(".event-fair_expectation").first().screenshot({ path: join(shots, `fair-case-event-${lang}-${device}.png`) });

    // The reports over the demo.
    await page.goto(`${base}/analytics/fairness`);
    assert.match(await page.getByTestId("fair-finding").innerText(), de ? /Gewährt ≥ erwartet: CSAT/ : /Granted ≥ expected: CSAT/);
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: fairness report fits`);
    await shot(page, { path: join(shots, `fair-report-${lang}-${device}.png`), fullPage: true });
    await followNav(page, "/dashboard");
    await page.goto(`${base}/offers`);
    assert.match(await page.getByTestId("offers-funnel").innerText(), de ? /angeboten/ : /offered/);
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: offers fit`);
    await shot(page, { path: join(shots, `tier-offers-${lang}-${device}.png`), fullPage: true });
    await page.goto(`${base}/panel`);
    assert.match(await page.getByTestId("panel-counts").innerText(), de ? /zurückgewonnene Kunden/ : /recovered customers/);
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: panel fits`);
    await shot(page, { path: join(shots, `tier-panel-${lang}-${device}.png`), fullPage: true });
  }, { allow: [/422 .*\/fair\//] });
});
