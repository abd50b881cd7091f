// Issue 5 (solution database): an agent writes an article in the editor
// (an empty title is refused next to the field), finds it by another word
// form, and a customer finds it in the public help center in English; a
// lead themes the help center.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { login, shot, suite, shots } from "./harness.mjs";

const ctx = suite();

test("write an article, find it with a typo, read it in the public help center", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(page, ctx.server.base, "emma"); // English UI
  await page.getByRole("link", { name: "Solutions" }).click();
  await page.waitForURL(/\/solutions/);
  await page.getByRole("link", { name: "New article" }).click();
  await page.locator("#solution-language").selectOption("en");
  await page.locator("#solution-body").fill("Open **Settings → Notifications** and switch off the newsletter.");
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator("#solution-title[aria-invalid=true]").waitFor();
  assert.match(await page.locator("#title-error").textContent(), /title of 1 to 200/);
  await page.locator("#solution-title").fill("Unsubscribe from the newsletter");
  await page.locator("#solution-tags").fill("account, email");
  await page.getByLabel(/Public: show in the help center/).check();
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/\/solutions\/[0-9a-f-]{36}$/);
  assert.match(await page.getByTestId("solution-body").innerHTML(), /<strong>Settings → Notifications<\/strong>/);

  // Found by another word form and with a typo.
  await page.goto(`${ctx.server.base}/solutions?q=newsleter+unsubscribing&lang=en`);
  await page.getByTestId("solutions").getByText("Unsubscribe from the newsletter").waitFor();
  await page.getByTestId("did-you-mean").waitFor();

  // The public help center (no login) in English.
  const customer = await ctx.browser.newPage({ viewport: { width: 390, height: 800 }, locale: "en-GB" });
  await customer.goto(`${ctx.server.base}/help`);
  await customer.getByRole("heading", { name: "Articles" }).waitFor();
  await customer.getByPlaceholder("How can we help?").fill("newsletter");
  await customer.getByRole("button", { name: "Search" }).click();
  await customer.getByRole("link", { name: "Unsubscribe from the newsletter" }).click();
  await customer.getByTestId("help-article").getByText("switch off the newsletter").waitFor();
  assert.equal(await customer.getByText("Refund a double charge").count(), 0, "internal articles stay internal");
  await shot(customer, { path: join(shots, "help-article-en.png"), fullPage: true });

  // A lead themes it; a bad colour is refused next to the field.
  const lead = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(lead, ctx.server.base, "lena");
  await lead.goto(`${ctx.server.base}/settings/help-center`);
  await lead.locator("#help-primary_color").fill("rot");
  await lead.getByRole("button", { name: "Speichern" }).click();
  await lead.locator("#help-primary_color[aria-invalid=true]").waitFor();
  assert.match(await lead.locator("#primary_color-error").textContent(), /#1f5f8b/);
  await lead.locator("#help-primary_color").fill("#0a7d55");
  await lead.locator("#help-title_de").fill("Kundenhilfe");
  await lead.getByRole("button", { name: "Speichern" }).click();
  await lead.getByText("Gespeichert.").waitFor();
  const de = await ctx.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await de.goto(`${ctx.server.base}/help?lang=de`);
  await de.getByText("Kundenhilfe").first().waitFor();
  const bg = await de.locator(".help-top").evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(bg, "rgb(10, 125, 85)");
  await de.getByRole("link", { name: "Beschädigtes Paket: Ersatz oder Erstattung" }).waitFor();
  await shot(de, { path: join(shots, "help-home-de.png"), fullPage: true });
});
