// Issue 17 (triage, phones, accessibility): the inbox opens on the open
// cases, due first, with a count that is the view's; twenty and more rows fit
// a desktop screen; pages go forward and back; bulk actions ask first and
// say what they did, and so does the keyboard's "a". No agent page scrolls
// sideways on a phone, the navigation folds into a menu there, and axe finds
// no serious or critical violation on the agent pages. German and English,
// 1440×900 and 390×844.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { onEveryScreen, shot, shots, suite } from "./harness.mjs";

const ctx = suite();
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

async function noSidewaysScroll(page, what) {
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `${what} scrolls sideways: ${scroll} > ${inner}`);
}

// The serious and critical violations axe finds on the page.
async function axeViolations(page) {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  return found.filter((v) => v.impact === "serious" || v.impact === "critical");
}

// The agent pages: inbox, a case, its customer, a search, the dashboard.
async function agentPages(page, base) {
  await page.goto(`${base}/inbox`);
  const caseHref = await page.locator("table.cases a.subject").first().getAttribute("href");
  await page.goto(`${base}${caseHref}`);
  const customerHref = await page.locator(".case-side a[href^='/customers/']").first().getAttribute("href");
  return [
    ["inbox", "/inbox"],
    ["case", caseHref],
    ["customer", customerHref],
    ["search", "/search?q=Lieferung"],
    ["dashboard", "/dashboard"],
  ];
}

test("the inbox for triage: default view, counts, paging, bulk with confirmation, keyboard feedback", async () => {
  await onEveryScreen(ctx, "lena", async (page, lang, device, viewport) => {
    const base = ctx.server.base;
    await page.goto(`${base}/inbox`);
    // The default view is "open", marked as current; its chip and the heading agree.
    const current = page.locator("nav.views a[aria-current=page]");
    assert.equal(await current.getAttribute("data-view"), "open", `${lang} ${device}: default view`);
    const chip = (await current.locator(".count").innerText()).trim();
    const heading = await page.getByTestId("inbox-count").innerText();
    assert.ok(heading.includes(chip.replace("+", "")), `${lang} ${device}: heading "${heading}" shows the view's count ${chip}`);
    // No closed case in the open view; due first (no "done" badge).
    assert.equal(await page.locator("table.cases .sla-done").count(), 0, "no finished cases in the open view");
    // The overdue view counts differently from the open view and lists overdue cases only.
    await page.locator('nav.views a[data-view="overdue"]').click();
    await page.waitForURL(/view=overdue/);
    const overdue = await page.locator("table.cases .sla").allInnerTexts();
    assert.ok(overdue.every((t) => /überfällig|overdue/.test(t)), `${lang} ${device}: only overdue cases: ${overdue.slice(0, 3)}`);
    await page.locator('nav.views a[data-view="soon"]').click();
    await page.waitForURL(/view=soon/);
    const soon = await page.locator("table.cases .sla").allInnerTexts();
    assert.ok(soon.every((t) => !/überfällig|overdue/.test(t)), `${lang} ${device}: "soon" holds no overdue case`);
    await page.goto(`${base}/inbox`);
    await shot(page, { path: join(shots, `triage-inbox-${lang}-${viewport.width}.png`) });
    if (device === "desktop") {
      const visible = await page.evaluate(() => Array.from(document.querySelectorAll("tr[data-case-row]"))
        .filter((r) => r.getBoundingClientRect().bottom <= window.innerHeight).length);
      assert.ok(visible >= 20, `${lang}: ${visible} rows visible at 1440×900`);
    }
    await noSidewaysScroll(page, `${lang} ${device} inbox`);

    // Paging: next, then back to the same first row.
    const firstRow = await page.locator("tr[data-case-row]").first().getAttribute("data-href");
    await page.locator("a[rel=next]").click();
    await page.waitForURL(/cursor=/);
    assert.notEqual(await page.locator("tr[data-case-row]").first().getAttribute("data-href"), firstRow);
    await page.locator("a[rel=prev]").click();
    await page.waitForLoadState();
    assert.equal(await page.locator("tr[data-case-row]").first().getAttribute("data-href"), firstRow, "previous page is the first");

    // Bulk: the dialog names the number; "cancel" changes nothing.
    const boxes = page.locator("input[name=ids]");
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    let asked = "";
    page.once("dialog", (d) => { asked = d.message(); d.dismiss(); });
    await page.locator("#bulk button[value=assign]").click();
    assert.match(asked, /2/, `${lang} ${device}: the confirmation names two cases: ${asked}`);
    assert.equal(new URL(page.url()).searchParams.get("done"), null, "dismissed: nothing done");
    page.once("dialog", (d) => d.accept());
    await page.locator("#bulk button[value=assign]").click();
    await page.getByTestId("bulk-done").waitFor();
    assert.match(await page.getByTestId("bulk-done").innerText(), lang === "de" ? /2 Fälle wurden Ihnen zugewiesen/ : /2 cases assigned to you/);

    // Keyboard: j marks a row, a assigns it to me and says so.
    if (device === "desktop") {
      await page.locator("h1").click();
      await page.keyboard.press("j");
      await page.keyboard.press("a");
      // The message of the bulk action above is still on screen until the new page loads:
      // wait for the keyboard action's own message, not for any message.
      const one = lang === "de" ? /1 Fall wurde Ihnen zugewiesen/ : /1 case assigned to you/;
      await page.getByTestId("bulk-done").filter({ hasText: one }).waitFor();
    }
  });
});

test("no agent page scrolls sideways on a phone; the navigation is a menu there", async () => {
  await onEveryScreen(ctx, "lena", async (page, lang, device, viewport) => {
    const base = ctx.server.base;
    const pages = await agentPages(page, base);
    // Every page of the navigation, too.
    await page.goto(`${base}/inbox`);
    const nav = await page.locator(".nav-wide a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    for (const href of nav) if (href !== "/api/docs") pages.push([href, href]);
    for (const [name, href] of pages) {
      await page.goto(`${base}${href}`);
      await noSidewaysScroll(page, `${lang} ${device} ${name}`);
      if (["inbox", "case", "customer", "search", "dashboard"].includes(name)) {
        await shot(page, { path: join(shots, `agent-${name}-${lang}-${viewport.width}.png`) });
      }
    }
    await page.goto(`${base}/inbox`);
    const menu = page.locator("details.nav-menu");
    if (device === "phone") {
      assert.equal(await page.locator(".nav-wide").isVisible(), false, "the long navigation is folded");
      const top = await page.locator("header.top").boundingBox();
      assert.ok(top.height < 844 / 6, `${lang}: the header takes ${top.height} px`);
      // Keyboard: focus the menu button, open it with Enter, follow a link.
      await menu.locator("summary").focus();
      await page.keyboard.press("Enter");
      await menu.getByRole("link", { name: lang === "de" ? "Kunden" : "Customers" }).first().waitFor();
      await shot(page, { path: join(shots, `nav-menu-${lang}-390.png`) });
    } else {
      assert.equal(await menu.isVisible(), false, "no menu button on a desktop");
    }
  });
});

test("axe finds no serious or critical violation on the agent pages", async () => {
  await onEveryScreen(ctx, "anna", async (page, lang, device) => {
    const base = ctx.server.base;
    for (const [name, href] of await agentPages(page, base)) {
      await page.goto(`${base}${href}`);
      const found = await axeViolations(page);
      assert.deepEqual(found, [], `${lang} ${device} ${name}: ${JSON.stringify(found, null, 1)}`);
    }
  });
});

test("the case page: actions above the fold at 1440×900", async () => {
  await onEveryScreen(ctx, "anna", async (page, lang, device, viewport) => {
    const base = ctx.server.base;
    const [, [, caseHref]] = await agentPages(page, base);
    await page.goto(`${base}${caseHref}`);
    await shot(page, { path: join(shots, `case-${lang}-${viewport.width}.png`) });
    if (device !== "desktop") return;
    for (const sel of ["#assignee", "#reply-body", "#gw-reason", "[data-testid=case-actions]"]) {
      const box = await page.locator(sel).first().boundingBox();
      assert.ok(box && box.y < 900, `${lang}: ${sel} at ${box?.y} px, below the fold`);
    }
  });
});

test("settings: plain titles, goodwill limits one role per line, SLA targets as durations", async () => {
  await onEveryScreen(ctx, "admin", async (page, lang, device, viewport) => {
    const base = ctx.server.base;
    for (const path of ["/settings", "/settings/jobs", "/settings/goodwill", "/settings/sla", "/settings/users"]) {
      await page.goto(`${base}${path}`);
      const title = await page.title();
      assert.ok(!/[<>]/.test(title), `${lang} ${path}: title "${title}" is plain text`);
      await noSidewaysScroll(page, `${lang} ${device} ${path}`);
    }
    await page.goto(`${base}/settings/goodwill`);
    const tops = await page.locator("form.limit-form").evaluateAll((fs) => fs.map((f) => f.getBoundingClientRect().top));
    assert.ok(tops.length >= 3, "a form per role");
    for (let i = 1; i < tops.length; i++) assert.ok(tops[i] > tops[i - 1] + 10, `${lang} ${device}: role ${i} on its own line`);
    await shot(page, { path: join(shots, `goodwill-settings-${lang}-${viewport.width}.png`) });
    await page.goto(`${base}/settings/sla`);
    const cells = (await page.locator("main table").first().innerText());
    assert.match(cells, lang === "de" ? /\d Tage|\d Std\./ : /\d days|\d h/, `${lang}: SLA targets as durations`);
    assert.doesNotMatch(cells, /\d{3,} min/, `${lang}: no raw minutes`);
    await shot(page, { path: join(shots, `sla-settings-${lang}-${viewport.width}.png`) });
  });
});
