// Issue 7: an agent resolves a case in the UI, the local SMTP server gets the
// survey mail, the customer follows the link and gives 2 stars, and the case
// is reopened with the answer on its timeline.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { login, shot, suite, shots, apiCreate } from "./harness.mjs";

const ctx = suite({ env: { AMENDS_SURVEY_DELAY: "0s", AMENDS_JOB_POLL: "100ms" }, smtp: true });

test("a 2-star survey answer reopens the resolved case", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(page, ctx.server.base, "anna");
  const tag = Date.now();
  const email = `umfrage.${tag}@example.de`;
  const customerId = (await apiCreate(page, ctx.server.base, "/api/v1/customers", { name: "Greta Umfrage", email, language: "de", external_id: `SURVEY-${tag}` })).id;
  const caseId = (await apiCreate(page, ctx.server.base, "/api/v1/cases", { customer_id: customerId, subject: `Bestellung unvollständig ${tag}`, channel: "email" })).id;

  await page.goto(`${ctx.server.base}/cases/${caseId}`);
  await page.locator("button[data-transition=acknowledged]").click();
  await page.locator("button[data-transition=resolved]").click();
  assert.match(await page.getByTestId("case-state").textContent(), /Gelöst/);

  const mail = await ctx.sink.waitFor((m) => m.includes(email) && m.includes("/survey/"));
  // The mail's link names this server's address (base_url follows --bind); its path is enough here.
  const link = ctx.server.base + mail.match(/\/survey\/[A-Za-z0-9_-]+/)[0];

  const customer = await ctx.browser.newPage();
  await customer.goto(link);
  await customer.getByRole("heading", { name: /Wie zufrieden/ }).waitFor();
  await customer.locator("input[name=score][value='2']").check();
  await customer.getByLabel(/Möchten Sie uns noch etwas sagen/).fill("Es fehlt immer noch ein Teil.");
  await customer.getByRole("button", { name: "Antwort senden" }).click();
  await customer.getByTestId("survey-thanks").waitFor();
  await shot(customer, { path: join(shots, "survey-thanks-de.png") });

  await page.goto(`${ctx.server.base}/cases/${caseId}`);
  assert.match(await page.getByTestId("case-state").textContent(), /Wiedereröffnet/);
  assert.match(await page.locator(".event-survey_answered").textContent(), /2 von 5 Sternen/);
  assert.match(await page.locator(".event-survey_answered").textContent(), /Es fehlt immer noch ein Teil/);
  await page.getByTestId("lead-attention").waitFor();
  await shot(page, { path: join(shots, "case-reopened-de.png"), fullPage: true });
});
