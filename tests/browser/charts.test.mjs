// Charts: the SLA report draws first-response and resolution attainment per
// policy with the vendored ECharts (an SVG inside .chart-canvas), on a desktop
// and on a phone, in German and in English; the numbers stay as a table.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { startServer, startBrowser, login, shot } from "./harness.mjs";

const shots = resolve(import.meta.dirname, "screenshots");
let server, browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const viewports = [
  ["desktop", { width: 1440, height: 900 }],
  ["phone", { width: 390, height: 844 }],
];

test("the SLA report draws attainment per policy as a bar chart", async () => {
  for (const [lang, caption, table] of [
    ["de", "SLA-Erfüllung je Richtlinie", "Zahlen als Tabelle"],
    ["en", "SLA attainment by policy", "Numbers as a table"],
  ]) {
    for (const [device, viewport] of viewports) {
      const page = await browser.newPage({ viewport });
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => { if (m.type() === "error" && !/404/.test(m.text())) errors.push(m.text()); });
      page.on("response", (r) => { if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(`${r.status()} ${r.url()}`); });
      await login(page, server.base, "lena");
      // The choice is kept in the user's profile, so switch only when needed.
      if (await page.locator("html").getAttribute("lang") !== lang) {
        await page.getByLabel(/^(Sprache|Language)$/).first().selectOption(lang);
        await page.locator(`html[lang="${lang}"]`).waitFor({ state: "attached" });
      }
      await page.goto(`${server.base}/reports/sla?days=90`);
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
