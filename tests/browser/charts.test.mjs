// Charts: the SLA report draws first-response and resolution attainment per
// policy with the vendored ECharts (an SVG inside .chart-canvas), on a desktop
// and on a phone, in German and in English; the numbers stay as a table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loginIn, shot, suite, viewports, shots, collectErrors } from "./harness.mjs";

const ctx = suite();

test("the SLA report draws attainment per policy as a bar chart", async () => {
  for (const [lang, caption, table] of [
    ["de", "SLA-Erfüllung je Richtlinie", "Zahlen als Tabelle"],
    ["en", "SLA attainment by policy", "Numbers as a table"],
  ]) {
    for (const [device, viewport] of viewports) {
      const page = await ctx.browser.newPage({ viewport });
      const errors = collectErrors(page);
      page.on("console", (m) => { if (m.type() === "error" && !/404/.test(m.text())) errors.push(m.text()); });
      await loginIn(page, ctx.server.base, "lena", lang);
      await page.goto(`${ctx.server.base}/reports/sla?days=90`);
      assert.equal(await page.locator("html").getAttribute("lang"), lang);
      const figure = page.locator("figure.chart#sla-by-policy-chart");
      await figure.locator("figcaption", { hasText: caption }).waitFor();
      const svg = figure.locator(".chart-canvas svg");
      await svg.waitFor({ timeout: 10_000 });
      const box = await svg.boundingBox();
      assert.ok(box.width > 300 && box.width <= viewport.width, `svg fits the ${device}: ${box.width}`);
      assert.ok(box.height >= 200, `svg has height: ${box.height}`);
      // ECharts drew bars (paths) and the legend names both series.
      assert.ok(await svg.locator("path").count() > 4);
      const text = await svg.textContent();
      assert.match(text, lang === "de" ? /Erste Antwort/ : /First response/);
      assert.match(text, lang === "de" ? /Lösung/ : /Resolution/);
      assert.match(text, lang === "de" ? /100\s%/ : /100%/, "the axis is formatted as percent in the page language");
      // The table with the same numbers is still there, folded.
      await figure.locator("details > summary", { hasText: table }).waitFor();
      assert.equal(await figure.locator("details table tbody tr").count() > 0, true);
      assert.deepEqual(errors, []);
      await shot(page, { path: join(shots, `sla-chart-${lang}-${device}.png`), fullPage: false });
      await page.close();
    }
  }
});
