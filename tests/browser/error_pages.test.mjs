// Refused pages and unreadable goodwill-rule conditions in the reader's
// language, inside the page layout, on a desktop and a phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { onEveryScreen, shot, shots, suite } from "./harness.mjs";

const ctx = suite();

const noSidewaysScroll = async (page) =>
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));

test("an agent refused a page reads why in their language", async () => {
  const texts = {
    de: { title: "Nicht erlaubt", detail: "Ihre Rolle darf diese Seite nicht öffnen." },
    en: { title: "Not allowed", detail: "Your role may not open this page." },
  };
  await onEveryScreen(ctx, "anna", async (page, lang, device) => {
    await page.goto(`${ctx.server.base}/settings/users`);
    const error = page.getByTestId("error-page");
    await error.waitFor();
    assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), texts[lang].title);
    assert.equal(await page.getByTestId("error-detail").textContent(), texts[lang].detail);
    // The navigation stays, so the agent can go on working.
    assert.ok(await page.locator("header.top").isVisible());
    await noSidewaysScroll(page);
    await shot(page, { path: join(shots, `error-refused-${lang}-${device}.png`) });
  }, { allow: [/^403 .*\/settings\/users$/] });
});

test("an unreadable rule condition is explained next to the field", async () => {
  const texts = {
    de: /„kind = flut“ fehlt ein Vergleich|„flut“ ist kein Wert von kind/,
    en: /“flut” is not a value of kind/,
  };
  await onEveryScreen(ctx, "admin", async (page, lang, device) => {
    await page.goto(`${ctx.server.base}/settings/goodwill`);
    await page.locator("#rule-name").fill("Flut");
    await page.locator("#rule-condition").fill("kind = flut");
    await page.locator("#rule-condition").press("Enter");
    const error = page.locator("#rule-condition-error");
    await error.waitFor();
    assert.match(await error.textContent(), texts[lang]);
    if (lang === "de") assert.doesNotMatch(await error.textContent(), /must be|one of/);
    // What the admin typed stays, to be mended rather than typed again.
    assert.equal(await page.locator("#rule-condition").inputValue(), "kind = flut");
    assert.equal(await page.locator("#rule-name").inputValue(), "Flut");
    await noSidewaysScroll(page);
    await error.scrollIntoViewIfNeeded();
    await shot(page, { path: join(shots, `error-rule-condition-${lang}-${device}.png`) });
  }, { allow: [/^422 .*\/settings\/goodwill\/rules$/] });
});
