// Issue 20: the service report ("what we did for you"). On a resolved case
// the agent sees the report as the customer will read it — in the
// customer's language — and sends it on its own with one button; the
// timeline and a confirmation say so. German and English, desktop and phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { apiCreate, onEveryScreen, shot, shots, suite } from "./harness.mjs";

const ctx = suite({ smtp: true, env: { AMENDS_JOB_POLL: "100ms" } });

const words = {
  de: { heading: "Leistungsbericht", notYet: /sobald der Fall gelöst ist/, send: "Bericht jetzt senden", flash: "Der Leistungsbericht ist in der Warteschlange.", report: /was wir dafür getan haben:[\s\S]*Als Entschuldigung: Gutschein im Wert von 15,00/ },
  en: { heading: "Service report", notYet: /once the case is resolved/, send: "Send the report now", flash: "The service report is queued.", report: /Here is what we did:[\s\S]*As an apology: Voucher worth €15\.00/ },
};

test("a resolved case shows its service report and sends it once", async () => {
  await onEveryScreen(ctx, "admin", async (page, lang, device) => {
    const base = ctx.server.base;
    const w = words[lang];
    await page.goto(`${base}/inbox`);
    const tag = `${lang}-${device}-${Date.now()}`;
    const customer = await apiCreate(page, base, "/api/v1/customers", { name: "Alex Brandt", email: `alex.${tag}@example.de`, language: lang, external_id: `SR-${tag}` });
    const c = await apiCreate(page, base, "/api/v1/cases", { customer_id: customer.id, subject: `Paket beschädigt ${tag}`, channel: "email" });
    await page.goto(`${base}/cases/${c.id}#service-report`);
    const panel = page.getByTestId("service-report");
    assert.match(await panel.textContent(), w.notYet);

    const csrf = await page.locator("input[name=csrf]").first().inputValue();
    const post = (path, data) => page.request.post(`${base}${path}`, { headers: { "x-csrf-token": csrf }, data });
    assert.equal((await post(`/api/v1/cases/${c.id}/goodwill`, { kind: "voucher", value_cents: 1500, reason: "Entschuldigung" })).status(), 201);
    for (const to of ["acknowledged", "resolved"]) {
      assert.equal((await post(`/api/v1/cases/${c.id}/transitions`, { to })).status(), 200);
    }

    await page.goto(`${base}/cases/${c.id}`);
    assert.match(await panel.getByTestId("service-report-text").textContent(), w.report);
    assert.equal(await panel.getByTestId("service-report-text").getAttribute("lang"), lang);
    await panel.scrollIntoViewIfNeeded();
    await shot(page, { path: join(shots, `service-report-${lang}-${device}.png`) });
    await panel.getByRole("button", { name: w.send }).click();
    await page.waitForURL(new RegExp(`/cases/${c.id}`));
    assert.equal((await page.getByTestId("flash").textContent()).trim(), w.flash);
    const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok(scroll <= client + 1, `the case page scrolls sideways: ${scroll} > ${client}`);
  });
});
