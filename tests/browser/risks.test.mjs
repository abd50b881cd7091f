// Issue 20 (prepared recovery): the risk register. A lead opens it from the
// navigation, finds the demo's weakest point — waiting time, complained
// about in about half of its feedback and without a playbook — flagged at
// the top, a covered area linked to its playbook, narrows the period and
// the kind, and starts the missing playbook from the flag with the form
// filled in. German and English, 1440×900 and 390×844, no sideways scroll,
// no serious or critical axe violation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { suite, onEveryScreen, shot, shots, followNav } from "./harness.mjs";

const ctx = suite();
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

test("the risk register ranks the weak points and starts their missing playbook", async () => {
  await onEveryScreen(ctx, "lena", async (page, lang, device) => {
    const base = ctx.server.base;
    const de = lang === "de";
    await followNav(page, "/risks");
    await page.waitForURL(/\/risks$/);
    assert.match(await page.locator("h1").innerText(), de ? /Risikoregister/ : /Risk register/);
    const table = page.locator("table[data-report=risks]");
    const first = table.locator("tbody tr").first();
    assert.equal(await first.getAttribute("data-area"), "topic:waiting_time", "the weakest point first");
    assert.equal(await first.getAttribute("data-unplanned"), "", "flagged");
    const firstText = await first.innerText();
    assert.match(firstText, de ? /Wartezeit/ : /Waiting time/);
    assert.match(firstText, de ? /Kein Playbook/ : /No playbook/);
    assert.match(firstText, de ? /\d+,\d\s%/ : /\d+\.\d%/, "the rate in the reader's numbers");
    assert.match(firstText, de ? /[\d.]+,\d\d\s€/ : /€[\d,]+\.\d\d/, "money in the reader's format");
    const billing = table.locator('tr[data-area="topic:billing"]');
    assert.match(await billing.locator("td.playbook a").innerText(), de ? /Abrechnungsfehler/ : /Billing error/);
    assert.match(await page.locator("[data-unplanned-count]").innerText(), de ? /haben kein Playbook/ : /have no playbook/);
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: the register fits`);
    assert.deepEqual(await axeViolations(page), [], `${lang} ${device}: axe`);
    await shot(page, { path: join(shots, `risks-${lang}-${device}.png`), fullPage: true });
    await shot(page, { path: join(shots, `risks-top-${lang}-${device}.png`) });
    await table.locator("tbody tr").last().scrollIntoViewIfNeeded();
    await shot(page, { path: join(shots, `risks-end-${lang}-${device}.png`) });

    // Narrow the period and the kind: only topics are left.
    await page.locator("select[name=days]").selectOption("30");
    await page.locator("select[name=kind]").selectOption("topic");
    await page.locator("form.filters button[type=submit]").click();
    await page.waitForURL(/days=30&kind=topic/);
    const areas = await table.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.area));
    assert.ok(areas.length > 0 && areas.every((a) => a.startsWith("topic:")), areas.join(" "));
    assert.equal(await page.locator("select[name=days]").inputValue(), "30");

    // The flag's button opens the playbook form for that topic.
    await table.locator('tr[data-area="topic:waiting_time"] td.playbook a.button').click();
    await page.waitForURL(/\/playbooks\/new\?topic=waiting_time$/);
    assert.equal(await page.locator("#pb-topic").inputValue(), "waiting_time");
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: the form fits`);
  });
});

test("agents do not see the register", async () => {
  await onEveryScreen(ctx, "anna", async (page) => {
    const base = ctx.server.base;
    assert.equal(await page.locator('a[href="/risks"]').count(), 0, "no link for agents");
    const res = await page.goto(`${base}/risks`);
    assert.equal(res.status(), 403);
  }, { allow: [/^403 .*\/risks$/] });
});
