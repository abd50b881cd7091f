// Issue 5: the reply form on the case page offers the templates in the
// customer's language; choosing one fills the reply with the text rendered
// for the case.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBrowser, login } from "./harness.mjs";

let server, browser;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("picking a template fills the reply with the customer's name", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(page, server.base, "anna");
  const csrf = await page.locator("input[name=csrf]").first().inputValue();
  const tag = Date.now();
  const cust = await page.request.post(`${server.base}/api/v1/customers`, {
    headers: { "x-csrf-token": csrf },
    data: { name: "Jonas Vorlage", email: `vorlage.${tag}@example.de`, language: "de", external_id: `TPL-${tag}` },
  });
  assert.equal(cust.status(), 201);
  const created = await page.request.post(`${server.base}/api/v1/cases`, {
    headers: { "x-csrf-token": csrf },
    data: { customer_id: (await cust.json()).id, subject: `Paket fehlt ${tag}`, channel: "email" },
  });
  assert.equal(created.status(), 201);
  const caseId = (await created.json()).id;

  await page.goto(`${server.base}/cases/${caseId}`);
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
