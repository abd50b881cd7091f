// Merging duplicate customers and keeping accounts: a lead opens the list of
// possible duplicates from the customers page, merges a pair after the
// confirmation with counts, and sees the combined customer page; then
// creates and renames an account (with the field error of a taken name) —
// in German and English, on a desktop and on a phone, without sideways
// scrolling.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { apiCreate, onEveryScreen, shot, suite, shots } from "./harness.mjs";

const ctx = suite();

const words = {
  de: { merged: "Die Kund:innen wurden zusammengeführt.", saved: "Gespeichert.", taken: "Ein Firmenkonto mit diesem Namen gibt es schon." },
  en: { merged: "The customers were merged.", saved: "Saved.", taken: "An account with this name exists already." },
};

async function noSideways(page, viewport) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= viewport.width + 1, `no sideways scrolling (${width} px)`);
}

test("merge a pair of duplicates from the duplicates list", async () => {
  await onEveryScreen(ctx, "admin", async (page, lang, device, viewport) => {
    const w = words[lang];
    const tag = `${lang}${device}`;
    const name = `Dora Doppel ${tag}`;
    await page.goto(`${ctx.server.base}/customers`);
    const keep = await apiCreate(page, ctx.server.base, "/api/v1/customers",
      { name, email: `dora.${tag}@example.org`, language: lang });
    const dup = await apiCreate(page, ctx.server.base, "/api/v1/customers",
      { name: name.toLowerCase(), email: `d.doppel.${tag}@example.org`, language: lang, tier: "premium" });
    await apiCreate(page, ctx.server.base, "/api/v1/cases",
      { customer_id: dup.id, subject: `Paket fehlt ${tag}`, channel: "email" });

    await page.goto(`${ctx.server.base}/customers`);
    await page.locator('[data-testid="customers-duplicates"]').click();
    await page.locator('[data-testid="duplicate-pairs"]').waitFor();
    await noSideways(page, viewport);
    await shot(page, { path: join(shots, `merge-duplicates-${lang}-${device}.png`), fullPage: false });
    const row = page.locator('[data-testid="duplicate-pair"]', { hasText: name });
    await row.locator('[data-testid="duplicate-merge"]').click();

    await page.locator('[data-testid="merge-confirm"]').waitFor();
    assert.equal((await page.locator('[data-testid="merge-count-cases"]').textContent()).trim(), "1");
    await noSideways(page, viewport);
    await shot(page, { path: join(shots, `merge-confirm-${lang}-${device}.png`), fullPage: true });
    await page.locator('[data-testid="merge-submit"]').click();

    await page.waitForURL(new RegExp(`/customers/${keep.id}$`));
    assert.equal((await page.locator('[data-testid="flash"]').textContent()).trim(), w.merged);
    await page.getByRole("link", { name: `Paket fehlt ${tag}` }).first().waitFor();
    await noSideways(page, viewport);
    await shot(page, { path: join(shots, `merge-done-${lang}-${device}.png`), fullPage: false });
    // An old link to the duplicate leads to the survivor.
    await page.goto(`${ctx.server.base}/customers/${dup.id}`);
    await page.waitForURL(new RegExp(`/customers/${keep.id}$`));
  });
});

test("create and rename an account", async () => {
  await onEveryScreen(ctx, "admin", async (page, lang, device, viewport) => {
    const w = words[lang];
    const tag = `${lang}${device}`;
    await page.goto(`${ctx.server.base}/accounts`);
    await apiCreate(page, ctx.server.base, "/api/v1/accounts", { name: `Birke AG ${tag}` });
    await page.fill("#name", `Ahorn GmbH ${tag}`);
    await page.locator('[data-testid="account-form"] button[type=submit]').click();
    await page.locator('[data-testid="account-edit"]').click();
    await page.locator('[data-testid="account-edit-form"]').waitFor();
    // A taken name: the error next to the field, in the reader's language.
    await page.fill("#name", `Birke AG ${tag}`);
    await page.locator('[data-testid="account-edit-form"] button[type=submit]').click();
    await page.locator("#name-error").waitFor();
    assert.equal((await page.locator("#name-error").textContent()).trim(), w.taken);
    await noSideways(page, viewport);
    await shot(page, { path: join(shots, `account-edit-error-${lang}-${device}.png`), fullPage: false });
    await page.fill("#name", `Ahorn & Söhne ${tag}`);
    await page.locator('[data-testid="account-edit-form"] button[type=submit]').click();
    await page.locator('[data-testid="flash"]').waitFor();
    assert.equal((await page.locator('[data-testid="flash"]').textContent()).trim(), w.saved);
    assert.match(await page.locator("h1").first().textContent(), new RegExp(`Ahorn & Söhne ${tag}`));
    await page.goto(`${ctx.server.base}/accounts`);
    await page.locator('[data-testid="account-row"]', { hasText: `Ahorn & Söhne ${tag}` }).waitFor();
    await noSideways(page, viewport);
    await shot(page, { path: join(shots, `accounts-${lang}-${device}.png`), fullPage: false });
  }, { allow: [/422 .*\/accounts\/.*\/edit$/] });
});
