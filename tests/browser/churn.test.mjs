// Churn risk on the demo data: the model trained by the job queued with the
// demo, its card (AUC in words, calibration chart with its table, drivers)
// and the open cases by risk × value, in German and English, on a desktop
// and a phone; an agent sees only their own cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { onEveryScreen, loginIn, shot, suite, shots } from "./harness.mjs";

const ctx = suite();

const words = {
  de: { auc: /^AUC 0,\d\d: Von zwei zurückgehaltenen Kunden/, driver: /(erhöht|senkt) die Chance zu gehen/, percent: /\d,\d\s%/ },
  en: { auc: /^AUC 0\.\d\d: of two held-out customers/, driver: /(raises|lowers) the odds of leaving/, percent: /\d\.\d%/ },
};

test("the churn page on the demo data", async () => {
  await onEveryScreen(ctx, "lena", async (page, lang, device, viewport) => {
    const w = words[lang];
    // The demo queues the training; wait for its model.
    for (let i = 0; i < 120; i++) {
      await page.goto(`${ctx.server.base}/analytics/churn`);
      if (await page.locator("[data-model-card]").count()) break;
      await page.waitForTimeout(500);
    }
    assert.match(await page.locator("[data-auc]").textContent(), w.auc);
    const auc = Number((await page.locator("[data-auc]").textContent()).match(/AUC (0[.,]\d\d)/)[1].replace(",", "."));
    assert.ok(auc > 0.6, `AUC ${auc}`);
    assert.ok(await page.locator("[data-drivers] li").count() >= 3);
    assert.match(await page.locator("[data-drivers] li").first().textContent(), w.driver);
    await page.locator("#churn-calibration .chart-canvas svg").waitFor({ timeout: 10_000 });
    assert.match(await page.locator('[data-report="churn-calibration"] tbody td').nth(1).textContent(), w.percent);
    assert.ok(await page.locator('[data-report="churn-cases"] tbody tr').count() >= 5);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), viewport.width, "no sideways scroll");
    await shot(page, { path: join(shots, `churn-${lang}-${device}.png`), fullPage: true });

    // The inbox's churn view lists the same cases in the same order and leads here.
    const ranked = await page.locator('[data-report="churn-cases"] tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.case));
    await page.goto(`${ctx.server.base}/inbox`);
    await page.locator('[data-view="churn"]').click();
    await page.waitForURL(/view=churn/);
    const inbox = await page.locator("[data-case-row]").evaluateAll((rows) => rows.map((r) => r.dataset.href.split("/").pop()));
    assert.deepEqual(inbox.slice(0, 5), ranked.slice(0, 5));
    await shot(page, { path: join(shots, `inbox-churn-${lang}-${device}.png`), fullPage: true });
    await page.locator('[data-testid="churn-view-note"] a').click();
    await page.waitForURL(/\/analytics\/churn$/);
  });
});

test("an agent sees fewer cases than the team and no train button", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1440, height: 900 } });
  await loginIn(page, ctx.server.base, "anna", "de");
  await page.goto(`${ctx.server.base}/analytics/churn?limit=500`);
  await page.locator("[data-model-card]").waitFor();
  assert.equal(await page.locator("[data-train]").count(), 0);
  // The lead's list is the team's; the agent's is a part of it.
  const ids = async (p) => p.locator('[data-report="churn-cases"] tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.case));
  const own = await ids(page);
  const lead = await ctx.browser.newPage({ viewport: { width: 1440, height: 900 } });
  await loginIn(lead, ctx.server.base, "lena", "de");
  await lead.goto(`${ctx.server.base}/analytics/churn?limit=500`);
  const team = await ids(lead);
  assert.ok(own.length < team.length, `${own.length} of ${team.length}`);
  await lead.close();
  await page.close();
});
