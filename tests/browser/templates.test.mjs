// Issue 5: the reply form on the case page offers the templates in the
// customer's language; choosing one fills the reply with the text rendered
// for the case.
import { test } from "node:test";
import assert from "node:assert/strict";
import { login, suite, apiCreate } from "./harness.mjs";

const ctx = suite();

test("picking a template fills the reply with the customer's name", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(page, ctx.server.base, "anna");
  const tag = Date.now();
  const cust = await apiCreate(page, ctx.server.base, "/api/v1/customers", { name: "Jonas Vorlage", email: `vorlage.${tag}@example.de`, language: "de", external_id: `TPL-${tag}` });
  const caseId = (await apiCreate(page, ctx.server.base, "/api/v1/cases", { customer_id: cust.id, subject: `Paket fehlt ${tag}`, channel: "email" })).id;

  await page.goto(`${ctx.server.base}/cases/${caseId}`);
  const picker = page.getByTestId("template-picker");
  const pick = async (name) =>
    picker.selectOption(await picker.locator("option", { hasText: name }).getAttribute("value"));
  assert.equal(await picker.locator("option", { hasText: "Apology (English)" }).count(), 0, "German customer");
  await pick("Entschuldigung (Deutsch)");
  const reply = await page.locator("#reply-body").inputValue();
  assert.match(reply, /^Guten Tag Jonas Vorlage,/);
  assert.match(reply, new RegExp(`„Paket fehlt ${tag}“`));
  assert.doesNotMatch(reply, /\{\{/);
  assert.match(await page.locator("#reply-subject").inputValue(), new RegExp(`^Es tut uns leid: Paket fehlt ${tag}`));

  // Text already written is only replaced after confirming.
  await page.locator("#reply-body").fill("Mein eigener Text");
  page.once("dialog", (d) => d.dismiss());
  await pick("Antwort (Deutsch)");
  assert.equal(await page.locator("#reply-body").inputValue(), "Mein eigener Text");
  page.once("dialog", (d) => d.accept());
  await pick("Entschuldigung (Deutsch)");
  assert.match(await page.locator("#reply-body").inputValue(), /^Guten Tag Jonas Vorlage,/);
  await page.close();
});
