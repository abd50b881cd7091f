// Issue 20 (insight routing): a team lead opens the insight inbox from the
// navigation, finds the insight that two customers' feedback about one
// component made in a team's inbox, marks it fixed in release "2.4.1",
// notifies the reporters and sees the confirmation with the count of
// customers notified. German and English, 1440×900 and 390×844, no
// sideways scroll, no serious or critical axe violation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { suite, onEveryScreen, shot, shots, followNav, apiCreate } from "./harness.mjs";

const ctx = suite({ smtp: true });
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

const noSidewaysScroll = (page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

async function axeViolations(page) {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  return found.filter((v) => v.impact === "serious" || v.impact === "critical");
}

test("a team lead marks an insight fixed in 2.4.1 and notifies its reporters", async () => {
  await onEveryScreen(ctx, "lena", async (page, lang, device) => {
    const base = ctx.server.base;
    const de = lang === "de";
    const component = `app-${lang}-${device}`;
    const team = await apiCreate(page, base, "/api/v1/teams", {
      name: `Produkt ${lang} ${device}`, rules: [{ kind: "component", value: component }],
    });
    for (const [who, language, text] of [
      ["ida", "de", "Die App stürzt beim Bezahlen ab, das ist wirklich ärgerlich."],
      ["tom", "en", "The app crashes when I pay, this is really annoying."],
    ]) {
      await apiCreate(page, base, "/api/v1/feedback", {
        customer_email: `${who}-${lang}-${device}@example.com`, channel: "widget", rating: 1, text, language, component,
      });
    }
    await followNav(page, "/insights");
    await page.waitForURL(/\/insights$/);
    assert.match(await page.locator("h1").innerText(), de ? /Erkenntnisse/ : /Insights/);
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: the inbox fits`);
    assert.deepEqual(await axeViolations(page), [], `${lang} ${device}: axe on the inbox`);
    await shot(page, { path: join(shots, `insights-${lang}-${device}.png`), fullPage: true });

    await page.locator("select[name=team]").selectOption(team.id);
    await page.locator("form.filters button[type=submit]").click();
    await page.waitForURL(/team=/);
    const card = page.locator("[data-insight]");
    assert.equal(await card.count(), 1);
    assert.match(await card.innerText(), de ? /2 Meldungen.*2 Kund:innen/s : /2 reports.*2 customers/s);
    await card.locator("h2 a").click();
    await page.waitForURL(/\/insights\/[0-9a-f-]+$/);
    await page.locator("#release").fill("2.4.1");
    await page.locator("#summary_de").fill("Absturz beim Bezahlen");
    await page.locator("#summary_en").fill("the crash when paying");
    await page.getByTestId("insight-fixed").click();
    await page.locator('[data-state="fixed"]').waitFor();
    assert.match(await page.locator("[data-release]").innerText(), de ? /Behoben in Version 2\.4\.1/ : /Fixed in release 2\.4\.1/);
    await shot(page, { path: join(shots, `insight-fixed-${lang}-${device}.png`), fullPage: true });
    await page.getByTestId("insight-notify").click();
    const notice = page.locator("[data-notified]");
    await notice.waitFor();
    assert.equal(await notice.getAttribute("data-notified"), "2");
    assert.match(await notice.innerText(), de ? /2 Kund:innen werden informiert/ : /2 customers are being notified/);
    assert.equal(await page.locator("[data-notified-total]").innerText(), "2");
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: the insight fits`);
    assert.deepEqual(await axeViolations(page), [], `${lang} ${device}: axe on the insight`);
    await shot(page, { path: join(shots, `insight-notified-${lang}-${device}.png`), fullPage: true });

    // The teams page lists the team with its rule.
    await page.goto(`${base}/teams`);
    assert.match(await page.locator(`[data-team="Produkt ${lang} ${device}"]`).innerText(), new RegExp(component));
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: the teams page fits`);
    await shot(page, { path: join(shots, `teams-${lang}-${device}.png`), fullPage: true });
    await page.goBack();

    // A second click tells nobody twice.
    await page.getByTestId("insight-notify").click();
    await page.waitForURL(/notified=0/);
    assert.match(await page.locator("[data-notified]").innerText(), de ? /2 waren bereits informiert/ : /2 had been notified before/);
  });
});

test("agents do not see the inbox", async () => {
  await onEveryScreen(ctx, "anna", async (page) => {
    const base = ctx.server.base;
    assert.equal(await page.locator('a[href="/insights"]').count(), 0, "no link for agents");
    const res = await page.goto(`${base}/insights`);
    assert.equal(res.status(), 403);
  }, { allow: [/^403 .*\/insights$/] });
});
