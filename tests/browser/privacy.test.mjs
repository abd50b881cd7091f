// Data protection on the customer page: an admin downloads a customer's
// data, opens the confirmation page, erases the personal
// data and sees the notice and the pseudonym — in German and English, on a
// desktop and on a phone, without sideways scrolling.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { onEveryScreen, shot, suite, shots } from "./harness.mjs";

const ctx = suite();

const words = {
  de: { erase: "Personenbezogene Daten löschen", done: "Die personenbezogenen Daten wurden gelöscht.", pseudonym: /^Gelöschte Person [0-9a-f]{6}/ },
  en: { erase: "Erase personal data", done: "The personal data has been erased.", pseudonym: /^Erased person [0-9a-f]{6}/ },
};

async function noSideways(page, viewport) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= viewport.width + 1, `no sideways scrolling (${width} px)`);
}

test("export and erase a customer's personal data", async () => {
  let n = 0;
  await onEveryScreen(ctx, "admin", async (page, lang, device, viewport) => {
    const w = words[lang];
    await page.goto(`${ctx.server.base}/customers`);
    const link = page.locator('main a[href^="/customers/0"]').nth(n++);
    await link.click();
    await page.locator('[data-testid="privacy-export"]').waitFor();
    const name = (await page.locator("h1").first().textContent()).split("\n")[0].replace(/\s*(Standard|Premium|Enterprise)\s*$/, "").trim();
    await page.locator("#privacy").scrollIntoViewIfNeeded();
    await shot(page, { path: join(shots, `privacy-customer-${lang}-${device}.png`), fullPage: false });
    // The section fits the screen (the case table above it is the inbox's).
    const box = await page.locator("#privacy").boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= viewport.width + 1, `privacy section fits: ${JSON.stringify(box)}`);

    await page.locator('[data-testid="privacy-erase"]').click();
    // (A wrong confirmation answers 422 with the error at the field:
    // `erase_in_the_ui` in crates/cli/tests/it/privacy.rs.)
    await page.locator('[data-testid="privacy-erase-form"]').waitFor();
    await noSideways(page, viewport);
    await shot(page, { path: join(shots, `privacy-erase-${lang}-${device}.png`), fullPage: true });

    await page.fill("#confirm", name);
    await page.getByRole("button", { name: w.erase }).click();
    await page.locator('[data-testid="privacy-notice"]').waitFor();
    assert.equal(await page.locator('[data-testid="privacy-notice"]').textContent(), w.done);
    assert.match((await page.locator("h1").first().textContent()).trim(), w.pseudonym);
    await shot(page, { path: join(shots, `privacy-erased-${lang}-${device}.png`), fullPage: false });
  });
});

test("set the retention of closed cases", async () => {
  const on = {
    de: "An: Abgeschlossene Fälle werden 24 Monate nach dem Abschluss anonymisiert.",
    en: "On: closed cases are anonymised 24 months after they were closed.",
  };
  await onEveryScreen(ctx, "admin", async (page, lang, device, viewport) => {
    await page.goto(`${ctx.server.base}/settings`);
    await page.locator("#retention").scrollIntoViewIfNeeded();
    await page.fill("#retention-months", "24");
    await page.locator("#retention button[type=submit]").click();
    await page.locator('[data-testid="retention-state"]').waitFor();
    assert.equal((await page.locator('[data-testid="retention-state"]').textContent()).trim(), on[lang]);
    await page.locator("#retention").scrollIntoViewIfNeeded();
    await noSideways(page, viewport);
    await shot(page, { path: join(shots, `privacy-retention-${lang}-${device}.png`), fullPage: false });
  });
});
