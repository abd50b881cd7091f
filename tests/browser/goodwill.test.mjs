// Issue 5 ("Done when"): an agent opens a case, sees the SLA countdown, the
// assessment and a suggested article, sends the German apology template
// (it reaches a local SMTP server), grants a voucher within her limit and
// requests one above it; a lead approves the request in the queue; the
// ledger and the customer page show both.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { login, shot, suite, shots, apiCreate, followNav } from "./harness.mjs";

const ctx = suite({ env: { AMENDS_JOB_POLL: "100ms" }, smtp: true });

async function itemValue(page, name) {
  return page.locator("#gw-item option", { hasText: name }).getAttribute("value");
}

test("the workbench: SLA, assessment, suggested article, apology, goodwill with approval, ledger and customer page", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await login(page, ctx.server.base, "anna");
  const tag = Date.now();
  const customerId = (await apiCreate(page, ctx.server.base, "/api/v1/customers", { name: `Greta Kulanz ${tag}`, email: `kulanz.${tag}@example.de`, language: "de", external_id: `GW-${tag}` })).id;
  const caseId = (await apiCreate(page, ctx.server.base, "/api/v1/cases", { customer_id: customerId, subject: `Paket beschädigt ${tag}`, channel: "email" })).id;

  // The SLA countdown, the assessment with its explanation (first failure:
  // the paradox is possible) and a suggested article from the case text.
  await page.goto(`${ctx.server.base}/cases/${caseId}`);
  const countdown = page.locator(".sla[data-due]").first();
  await countdown.waitFor();
  assert.match(await countdown.textContent(), /^(in \d+ (Min\.|Std\.|Tagen)|seit \d+ (Min\.|Std\.|Tagen) überfällig)$/);
  const assessment = page.getByTestId("assessment");
  await assessment.waitFor();
  assert.match(await assessment.textContent(), /Service-Recovery-Paradox/);
  const suggested = page.getByTestId("suggested-solutions");
  await suggested.getByText("Beschädigtes Paket: Ersatz oder Erstattung").waitFor();
  await suggested.locator("li", { hasText: "Beschädigtes Paket" }).getByRole("button", { name: "Für diesen Fall verwenden" }).click();
  await page.waitForURL(/#solutions/);
  await page.getByTestId("linked-solutions").getByText("Beschädigtes Paket: Ersatz oder Erstattung").waitFor();

  // The German apology template, filled for the customer, goes out by mail
  // and lands on the timeline.
  const picker = page.getByTestId("template-picker");
  await picker.selectOption(await picker.locator("option", { hasText: "Entschuldigung (Deutsch)" }).getAttribute("value"));
  assert.match(await page.locator("#reply-body").inputValue(), new RegExp(`^Guten Tag Greta Kulanz ${tag},`));
  await page.getByRole("button", { name: /Antwort senden/ }).click();
  await page.waitForURL(new RegExp(`/cases/${caseId}`));
  const mail = await ctx.sink.waitFor((m) => m.includes(`kulanz.${tag}@example.de`) && m.includes("tut uns aufrichtig"));
  assert.match(mail, /Guten Tag Greta Kulanz/);
  await page.goto(`${ctx.server.base}/cases/${caseId}`);
  await page.locator(".event-message_out").first().waitFor();

  // A blank reason is refused next to the field; nothing is granted.
  await page.locator("#gw-reason").fill("   ");
  await page.getByRole("button", { name: /Gewähren oder Freigabe anfragen/ }).click();
  await page.locator("#gw-reason[aria-invalid=true]").waitFor();
  assert.match(await page.locator("#gw-reason-error").textContent(), /Bitte begründen Sie die Kulanz/);
  assert.equal(await page.getByTestId("grant").count(), 0);

  // 25 EUR is within anna's 50 EUR: granted at once.
  await page.locator("#gw-item").selectOption(await itemValue(page, "Gutschein 25 €"));
  await page.locator("#gw-reason").fill("Paket kam beschädigt an");
  await page.getByRole("button", { name: /Gewähren oder Freigabe anfragen/ }).click();
  await page.waitForURL(/#goodwill/);
  const grants = page.getByTestId("grant");
  await grants.first().waitFor();
  assert.match(await grants.first().textContent(), /gewährt/);

  // 100 EUR is above her limit: it waits for a lead.
  await page.locator("#gw-item").selectOption(await itemValue(page, "Gutschein 100 €"));
  await page.locator("#gw-reason").fill("Zweiter Schaden, Stammkundin");
  await page.getByRole("button", { name: /Gewähren oder Freigabe anfragen/ }).click();
  await page.waitForURL(/#goodwill/);
  await grants.filter({ hasText: "wartet auf Freigabe" }).waitFor();
  await shot(page, { path: join(shots, "goodwill-case-de.png"), fullPage: true });

  // The lead approves it in the queue with one click and a reason.
  const lead = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(lead, ctx.server.base, "lena");
  await lead.getByRole("link", { name: "Freigaben" }).click();
  await lead.waitForURL(/\/goodwill\/approvals/);
  const row = lead.getByTestId("approval-row").filter({ hasText: `Paket beschädigt ${tag}` });
  await row.waitFor();
  await row.getByPlaceholder("Begründung der Entscheidung").fill("Stammkundin, einverstanden");
  await row.getByRole("button", { name: "Freigeben" }).click();
  await lead.waitForURL(/\/goodwill\/approvals$/);
  assert.equal(await lead.getByTestId("approval-row").filter({ hasText: `Paket beschädigt ${tag}` }).count(), 0);

  // The ledger shows both, with who approved; the CSV has them too.
  await followNav(lead, "/goodwill/ledger");
  await lead.waitForURL(/\/goodwill\/ledger/);
  const rows = lead.getByTestId("ledger-row").filter({ hasText: `Paket beschädigt ${tag}` });
  await rows.first().waitFor();
  assert.equal(await rows.count(), 2);
  assert.match(await rows.filter({ hasText: "100,00" }).textContent(), /Stammkundin, einverstanden/);
  const csv = await lead.request.get(`${ctx.server.base}/goodwill/ledger.csv`);
  assert.equal(csv.status(), 200);
  const text = await csv.text();
  assert.match(text, /Paket kam beschädigt an/);
  assert.match(text, /Stammkundin, einverstanden/);
  await shot(lead, { path: join(shots, "goodwill-ledger-de.png"), fullPage: true });

  // The customer page shows both grants as received.
  await page.goto(`${ctx.server.base}/customers/${customerId}`);
  const received = page.getByTestId("customer-grant");
  await received.first().waitFor();
  assert.equal(await received.count(), 2);
  assert.equal(await received.filter({ hasText: "gewährt" }).count(), 2);
});

test("an admin sets the budget and refuses a negative catalog value next to the field", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await login(page, ctx.server.base, "admin");
  await page.goto(`${ctx.server.base}/settings/goodwill`);
  assert.equal(await page.locator("#agent-per_grant").inputValue(), "50");
  await page.locator("#budget-amount").fill("2000");
  await page.getByRole("button", { name: /Speichern|Save/ }).first().click();
  await page.waitForURL(/\/settings\/goodwill$/);
  assert.match(await page.getByTestId("budget-spent").textContent(), /2\.000,00/);
  const before = await page.locator("table tbody tr").count();
  await page.locator("#cat-name-de").fill("Blumen");
  await page.locator("#cat-name-en").fill("Flowers");
  await page.locator("#cat-value").fill("-5");
  await page.getByRole("button", { name: /In den Katalog aufnehmen|Add to catalog/ }).click();
  await page.locator("#cat-value[aria-invalid=true]").waitFor();
  assert.match(await page.locator(".field-error").textContent(), /nicht negativ/);
  assert.equal(await page.locator("table tbody tr").count(), before, "nothing was added");
});
