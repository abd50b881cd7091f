// Training cases: the best and failed recoveries of the demo data as a
// lead opens them, in German and English, on a desktop and on a phone; a
// case study is anonymised, prints without the navigation and downloads
// as Markdown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { onEveryScreen, shot, suite, shots, followNav } from "./harness.mjs";

const ctx = suite();

const words = {
  de: { best: "Beste Wiedergutmachungen", failed: "Gescheiterte Wiedergutmachungen", questions: "Fragen zur Diskussion", customer: "Kund:in A", day: /Tag \d+/ },
  en: { best: "Best recoveries", failed: "Failed recoveries", questions: "Questions for discussion", customer: "Customer A", day: /day \d+/ },
};

test("training cases on the demo data", async () => {
  await onEveryScreen(ctx, "lena", async (page, lang, device, viewport) => {
    const w = words[lang];

    // Reached from the navigation.
    await page.goto(`${ctx.server.base}/dashboard`);
    await followNav(page, "/training");
    await page.waitForURL(/\/training$/);
    assert.equal(await page.locator("h2").first().textContent(), w.best);
    const best = await page.locator('table[data-report="training"] tbody tr').count();
    assert.ok(best >= 1, "the demo has best recoveries");
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), viewport.width, "no sideways scroll");
    await shot(page, { path: join(shots, `training-best-${lang}-${device}.png`), fullPage: true });

    await page.locator('select[name="outcome"]').selectOption("failed");
    await page.locator("form.filters button[type=submit]").click();
    await page.waitForURL(/outcome=failed/);
    assert.equal(await page.locator("h2").first().textContent(), w.failed);
    assert.ok(await page.locator('table[data-report="training"] tbody tr').count() >= 1, "the demo has failed recoveries");
    await shot(page, { path: join(shots, `training-failed-${lang}-${device}.png`), fullPage: true });

    // One study: anonymised, relative days, questions; printable.
    await page.locator('table[data-report="training"] tbody tr a').first().click();
    await page.locator("article.study").waitFor();
    const text = await page.locator("article.study").textContent();
    assert.ok(text.includes(w.questions), "questions");
    assert.match(text, w.day);
    assert.ok(!/@/.test(text), "no e-mail address");
    const questions = await page.locator("ol.questions li").count();
    assert.ok(questions >= 2 && questions <= 4, `2–4 questions, got ${questions}`);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), viewport.width, "no sideways scroll");
    await shot(page, { path: join(shots, `training-case-${lang}-${device}.png`), fullPage: true });
    await page.emulateMedia({ media: "print" });
    assert.equal(await page.locator("header.top").isVisible(), false, "no navigation in print");
    assert.equal(await page.locator("[data-print]").isVisible(), false, "no buttons in print");
    if (device === "desktop") await shot(page, { path: join(shots, `training-case-print-${lang}.png`), fullPage: true });
    await page.emulateMedia({ media: "screen" });

    // The Markdown download.
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("[data-markdown]").click()]);
    assert.match(download.suggestedFilename(), /^training-[0-9a-f]{32}\.md$/);
    const chunks = [];
    for await (const c of await download.createReadStream()) chunks.push(c);
    const md = Buffer.concat(chunks).toString("utf8");
    assert.ok(md.startsWith("# "), md);
    assert.ok(md.includes(`## ${w.questions}`), md);
    assert.ok(!/@/.test(md), "no e-mail address in Markdown");

  });
});
