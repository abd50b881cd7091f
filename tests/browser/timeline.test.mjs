// Issue 17: a reply is on the case timeline the moment it is sent, with its
// delivery state (queued: this server has no SMTP, and the page says so in
// words), a confirmation after the form post, and the count of pending
// goodwill approvals next to "Approvals" — German and English, desktop and phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { onEveryScreen, shot, shots, suite, apiCreate } from "./harness.mjs";

const ctx = suite({ env: { AMENDS_JOB_POLL: "100ms" } });

const words = {
  de: { flash: "Antwort steht im Verlauf und wird gesendet.", queued: "in der Warteschlange", smtp: /kein SMTP-Server eingerichtet/, pending: /warte[tn]? auf Freigabe/ },
  en: { flash: "Reply is on the timeline and being sent.", queued: "queued", smtp: /No SMTP server is configured/, pending: /waiting for approval/ },
};

test("a reply shows at once with its state, a confirmation and the approvals count", async () => {
  await onEveryScreen(ctx, "lena", async (page, lang, device, viewport) => {
    const base = ctx.server.base;
    const w = words[lang];
    const tag = `${lang}-${device}-${Date.now()}`;
    const customer = await apiCreate(page, base, "/api/v1/customers", { name: "Kim Berger", email: `kim.${tag}@example.de`, language: lang, external_id: `TL-${tag}` });
    const c = await apiCreate(page, base, "/api/v1/cases", { customer_id: customer.id, subject: `Lieferung fehlt ${tag}`, channel: "email" });
    // A request above the lead's own limit waits for approval.
    const csrf = await page.locator("input[name=csrf]").first().inputValue();
    const gw = await page.request.post(`${base}/api/v1/cases/${c.id}/goodwill`, {
      headers: { "x-csrf-token": csrf },
      data: { kind: "refund", value_cents: 90000, currency: "EUR", reason: "Ersatz" },
    });
    assert.equal(gw.status(), 202, await gw.text());

    await page.goto(`${base}/cases/${c.id}`);
    const body = `Wir schicken Ersatz (${tag}).`;
    await page.locator("#reply-body").fill(body);
    await page.locator("#reply button[type=submit]").click();
    await page.waitForURL(new RegExp(`/cases/${c.id}`));

    const flash = page.getByTestId("flash");
    assert.equal((await flash.textContent()).trim(), w.flash);
    assert.equal(await flash.getAttribute("role"), "status");
    const reply = page.locator(".event-message_out", { hasText: body });
    assert.equal((await reply.getByTestId("delivery-state").textContent()).trim(), w.queued);
    assert.match(await reply.getByTestId("delivery-note").textContent(), w.smtp);

    const badge = page.getByTestId("approvals-badge").first();
    assert.match(await badge.textContent(), w.pending);
    assert.ok(Number((await badge.locator("[aria-hidden=true]").textContent()).trim()) >= 1);

    await shot(page, { path: join(shots, `timeline-reply-${lang}-${device}.png`), fullPage: true });
    const wide = await page.evaluate((w) => [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > w + 1).slice(0, 8).map((e) => `${e.tagName}.${e.className}#${e.id}`), viewport.width);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), viewport.width, `no sideways scroll: ${wide}`);
  });
});
