// Measure and learn: the dashboard, the recovery paradox and the ROI
// calculator on the demo data, as a lead would open them, in German and
// English, on a desktop and on a phone — charts drawn, no sideways
// scrolling, the planted paradox found and named in words.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { login, onEveryScreen, shot, suite, shots } from "./harness.mjs";

const ctx = suite();

const words = {
  de: { hours: /^\d+(\.\d{3})*,\d\sh$/, businessNote: /Geschäftszeit zählt nur/, components: "Produktkomponenten", paradox: /Ein Recovery-Paradox ist sichtbar: .*erster, leichter, nicht vermeidbarer Fehler/, pays: /Service Recovery lohnt sich: ROI/, csat: "CSAT", percent: /\d,\d\s%/ },
  en: { hours: /^\d+(,\d{3})*\.\d\sh$/, businessNote: /Business hours count only/, components: "Product components", paradox: /A recovery paradox is visible: .*first, minor, not controllable/, pays: /Recovery pays: ROI/, csat: "CSAT", percent: /\d\.\d%/ },
};

test("dashboard, recovery paradox and ROI on the demo data", async () => {
  // Standard customers are served in office hours: the dashboard then
  // shows the times in business hours too.
  const admin = await ctx.browser.newPage();
  await login(admin, ctx.server.base, "admin");
  const csrf = await admin.locator("input[name=csrf]").first().inputValue();
  const office = Object.fromEntries(["mon", "tue", "wed", "thu", "fri"].map((d) => [d, [["09:00", "17:00"]]]));
  for (const priority of ["low", "normal", "high", "urgent"]) {
    const res = await admin.request.put(`${ctx.server.base}/api/v1/sla-policies/standard/${priority}`, {
      headers: { "x-csrf-token": csrf },
      data: { first_response_minutes: 480, resolution_minutes: 4320, calendar: { timezone: "Europe/Berlin", week: office } },
    });
    assert.equal(res.status(), 200, await res.text());
  }
  await admin.close();
  await onEveryScreen(ctx, "lena", async (page, lang, device, viewport) => {
    const w = words[lang];

    await page.goto(`${ctx.server.base}/dashboard?days=90`);
    await page.locator('[data-kpi="dashboard-csat"] .tile-value').waitFor();
    assert.match((await page.locator('[data-kpi="dashboard-resolution-business"] .tile-value').textContent()).trim(), w.hours);
    assert.match(await page.locator('[data-note="hours"]').textContent(), w.businessNote);
    assert.match(await page.locator('[data-kpi="dashboard-sla-first"] .tile-value').textContent(), w.percent);
    for (const id of ["chart-trend", "chart-csat", "chart-heatmap", "chart-retention"]) {
      await page.locator(`#${id} .chart-canvas svg`).waitFor({ timeout: 10_000 });
    }
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), viewport.width, "no sideways scroll");
    await shot(page, { path: join(shots, `dashboard-${lang}-${device}.png`), fullPage: true });

    await page.goto(`${ctx.server.base}/analytics/paradox?days=365`);
    assert.match(await page.locator("[data-finding]").textContent(), w.paradox);
    await page.locator("#chart-paradox .chart-canvas svg").waitFor({ timeout: 10_000 });
    assert.ok(await page.locator('table.paradox tr[data-verdict="above"]').count() >= 1);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), viewport.width, "no sideways scroll");
    await shot(page, { path: join(shots, `paradox-${lang}-${device}.png`), fullPage: true });

    await page.goto(`${ctx.server.base}/analytics/roi?days=365`);
    assert.match(await page.locator("[data-finding]").textContent(), w.pays);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), viewport.width, "no sideways scroll");
    await shot(page, { path: join(shots, `roi-${lang}-${device}.png`), fullPage: true });

    // The form keeps inputs in range; a link with one out of range is
    // named on the page, not a raw error.
    assert.equal(await page.locator('input[name="lifetime_months"]').getAttribute("min"), "1");
    await page.goto(`${ctx.server.base}/analytics/roi?lifetime_months=0`);
    assert.equal(await page.locator('p.error[role="alert"]').count(), 1);
    assert.equal(await page.locator('input[name="lifetime_months"][aria-invalid="true"]').count(), 1);

    // Patterns: the planted checkout pattern among the product components.
    await page.goto(`${ctx.server.base}/analytics/patterns`);
    await page.locator("#chart-patterns-component .chart-canvas svg").waitFor({ timeout: 10_000 });
    assert.match(await page.locator("#chart-patterns-component").textContent(), new RegExp(w.components));
    assert.match(await page.locator("#chart-patterns-component").textContent(), /checkout/);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), viewport.width, "no sideways scroll");
    await shot(page, { path: join(shots, `patterns-${lang}-${device}.png`), fullPage: true });

  });
});
