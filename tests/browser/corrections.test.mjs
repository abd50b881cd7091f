// Corrections: a lead reads a feedback item differently from the text
// analytics, corrects its sentiment and topics in the stream, sees who
// corrected it, and finds it on the corrections page (training data) — in
// German and English, on a desktop and on a phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { apiCreate, onEveryScreen, shot, suite, shots } from "./harness.mjs";

const ctx = suite();

const words = {
  de: { correct: "Korrigieren", save: "Korrektur speichern", by: /^Korrigiert von Lena Vogel.*: positiv /, page: "Korrekturen" },
  en: { correct: "Correct", save: "Save correction", by: /^Corrected by Lena Vogel.*: positive /, page: "Corrections" },
};

test("correct a feedback item and find it among the corrections", async () => {
  await onEveryScreen(ctx, "lena", async (page, lang, device, viewport) => {
    const w = words[lang];

    await page.goto(`${ctx.server.base}/feedback?sentiment=negative`);
    const item = page.locator('[data-testid="feedback-item"]').first();
    const id = await item.getAttribute("data-feedback-id");
    await item.locator("summary", { hasText: w.correct }).click();
    await item.locator("select[name=sentiment]").selectOption("positive");
    await item.locator("input[name=topics]").first().check();
    await item.getByRole("button", { name: w.save }).click();
    const corrected = page.locator(`#feedback-${id} [data-testid="correction"]`);
    await corrected.waitFor();
    assert.match(await corrected.textContent(), w.by);
    await shot(page, { path: join(shots, `corrections-stream-${lang}-${device}.png`), fullPage: false });

    await page.goto(`${ctx.server.base}/corrections`);
    assert.equal(await page.locator("h1").textContent(), w.page);
    const row = page.locator(`[data-testid="corrections"] a[href="/feedback#feedback-${id}"]`);
    assert.equal(await row.count(), 1, "the corrected item is listed once");
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width + 1, `no sideways scrolling (${width} px)`);
    await shot(page, { path: join(shots, `corrections-${lang}-${device}.png`), fullPage: true });
  });
});

const model = {
  de: { queued: /Training eingeplant/, inUse: /eigenen Modell, Version \d+/, percent: /\d+,\d\s%/ },
  en: { queued: /Training queued/, inUse: /company model version \d+/, percent: /\d+\.\d\s?%/ },
};

test("an admin trains a company model, reads its held-out accuracy and switches it on", async () => {
  await onEveryScreen(ctx, "admin", async (page, lang, device, viewport) => {
    const w = model[lang];
    await page.goto(`${ctx.server.base}/corrections`);
    const versions = page.locator("[data-text-models] [data-version]");
    if ((await versions.count()) === 0) {
      // The team corrects 40 items as they read them (a quarter is held out).
      const feedback = await (await page.request.get(`${ctx.server.base}/api/v1/feedback?limit=40`)).json();
      for (const f of feedback.items) {
        await apiCreate(page, ctx.server.base, `/api/v1/feedback/${f.id}/corrections`, { sentiment: f.rating >= 4 ? "positive" : "negative", topics: [] });
      }
      await page.locator("[data-text-train]").click();
      await page.waitForURL(/\/corrections/);
      assert.match(await page.locator("body").textContent(), w.queued);
      for (let i = 0; i < 240 && (await versions.count()) === 0; i++) {
        await page.waitForTimeout(500);
        await page.reload();
      }
    }
    const row = versions.first();
    // Both accuracies on the held-out corrections, in the page's locale.
    assert.match(await row.locator("td").nth(3).textContent(), w.percent);
    assert.match(await row.locator("td").nth(4).textContent(), w.percent);
    if ((await row.locator("[data-active]").count()) === 0) {
      await row.locator("[data-activate]").click();
      await page.waitForURL(/\/corrections/);
    }
    await page.locator("[data-text-models] [data-active]").waitFor();
    assert.match(await page.locator("[data-in-use]").textContent(), w.inUse);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width + 1, `no sideways scrolling (${width} px)`);
    await page.locator("#text-models").scrollIntoViewIfNeeded();
    await shot(page, { path: join(shots, `corrections-model-${lang}-${device}.png`), fullPage: false });
  });
});
