// Issue 20 (playbooks): a lead reads the playbooks and their effectiveness,
// a form error shows in the reader's language, and a case walks through its
// playbook — steps checked off by a form post each, landing on the timeline
// — in German and English, on a desktop and a phone, without sideways scroll.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { suite, onEveryScreen, apiCreate, shot, shots, followNav } from "./harness.mjs";

const ctx = suite();

const noSidewaysScroll = (page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

test("a case walks through its playbook; the pages fit every screen", async () => {
  await onEveryScreen(ctx, "lena", async (page, lang, device) => {
    const base = ctx.server.base;
    const de = lang === "de";
    await followNav(page, "/playbooks");
    await page.waitForURL(/\/playbooks$/);
    const table = page.getByTestId("playbooks");
    assert.match(await table.innerText(), de ? /Abrechnungsfehler/ : /Billing error/);
    assert.match(await page.getByTestId("playbook-figures").innerText(), /v1/, "demo cases measured");
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: list fits`);
    await shot(page, { path: join(shots, `playbooks-list-${lang}-${device}.png`), fullPage: true });

    // The form: a bad hour count is refused next to the field, in the reader's language.
    await page.goto(`${base}/playbooks/new`);
    await page.locator("#pb-name-de").fill("Test");
    await page.locator("#pb-name-en").fill("Test");
    await page.locator("#pb-team").fill("Team");
    await page.locator("#s0-de").fill("Schritt");
    await page.locator("#s0-en").fill("Step");
    await page.locator("#s0-due").fill("bald");
    await page.locator("#playbook-form button[type=submit]").click();
    const err = page.getByTestId("field-error").first();
    assert.match(await err.innerText(), de ? /Geben Sie die Stunden/ : /Give the hours/);
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: form fits`);
    await shot(page, { path: join(shots, `playbooks-form-${lang}-${device}.png`), fullPage: true });

    // A billing case gets the billing playbook; check off two steps.
    await page.goto(`${base}/inbox`);
    const tag = `${lang}-${device}-${Date.now()}`;
    const cust = await apiCreate(page, base, "/api/v1/customers", { name: "Petra Playbook", email: `pb.${tag}@example.de`, language: "de", external_id: `PB-${tag}` });
    const c = await apiCreate(page, base, "/api/v1/cases", { customer_id: cust.id, subject: `Rechnung doppelt abgebucht ${tag}`, channel: "email" });
    await page.goto(`${base}/cases/${c.id}`);
    const panel = page.getByTestId("case-playbook");
    assert.match(await panel.innerText(), de ? /Abrechnungsfehler/ : /Billing error/);
    assert.match(await page.getByTestId("playbook-progress").innerText(), de ? /0 von 3/ : /0 of 3/);
    for (const n of [0, 1]) {
      await panel.getByTestId("step-check").nth(n).click();
      await page.waitForLoadState("load");
    }
    assert.match(await page.getByTestId("playbook-progress").innerText(), de ? /2 von 3/ : /2 of 3/);
    assert.equal(await panel.getByTestId("step-check").nth(0).getAttribute("aria-checked"), "true");
    const events = await page.getByTestId("playbook-event").allInnerTexts();
    assert.deepEqual(events, de
      ? ["Schritt erledigt: Buchung prüfen", "Schritt erledigt: Rückbuchung auslösen"]
      : ["Step done: Check the booking", "Step done: Start the refund"]);
    // The recommended goodwill link opens the goodwill form with the item chosen.
    await panel.getByTestId("step-goodwill").click();
    await page.waitForLoadState("load");
    assert.match(await page.locator("#gw-item option:checked").innerText(), de ? /Gutschein 10/ : /Voucher EUR 10/);
    await page.goto(`${base}/cases/${c.id}#playbook`);
    assert.ok(await noSidewaysScroll(page), `${lang} ${device}: case page fits`);
    await shot(page, { path: join(shots, `playbooks-case-${lang}-${device}.png`), fullPage: false });
  }, { allow: [/^422 .*\/playbooks$/] });
});
