// Issue 7: an agent resolves a case in the UI, the local SMTP server gets the
// survey mail, the customer follows the link and gives 2 stars, and the case
// is reopened with the answer on its timeline.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { startServer, startBrowser, login, shot } from "./harness.mjs";
import { startSmtpSink } from "./smtp-sink.mjs";

const shots = resolve(import.meta.dirname, "screenshots");
let server, browser, sink;

before(async () => {
  mkdirSync(shots, { recursive: true });
  sink = await startSmtpSink();
  server = await startServer({ AMENDS_SMTP_URL: sink.url, AMENDS_SURVEY_DELAY: "0s", AMENDS_JOB_POLL: "100ms" });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await sink?.close();
});

test("a 2-star survey answer reopens the resolved case", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(page, server.base, "anna");
  const csrf = await page.locator("input[name=csrf]").first().inputValue();
  const tag = Date.now();
  const email = `umfrage.${tag}@example.de`;
  const cust = await page.request.post(`${server.base}/api/v1/customers`, {
    headers: { "x-csrf-token": csrf },
    data: { name: "Greta Umfrage", email, language: "de", external_id: `SURVEY-${tag}` },
  });
  assert.equal(cust.status(), 201);
  const customerId = (await cust.json()).id;
  const created = await page.request.post(`${server.base}/api/v1/cases`, {
    headers: { "x-csrf-token": csrf },
    data: { customer_id: customerId, subject: `Bestellung unvollständig ${tag}`, channel: "email" },
  });
  assert.equal(created.status(), 201);
  const caseId = (await created.json()).id;

  await page.goto(`${server.base}/cases/${caseId}`);
  await page.locator("button[data-transition=acknowledged]").click();
  await page.locator("button[data-transition=resolved]").click();
  assert.match(await page.getByTestId("case-state").textContent(), /Gelöst/);

  const mail = await sink.waitFor((m) => m.includes(email) && m.includes("/survey/"));
  // The mail links to base_url (port 8080 by default); this server listens on a free port.
  const link = server.base + mail.match(/\/survey\/[A-Za-z0-9_-]+/)[0];

  const customer = await browser.newPage();
  await customer.goto(link);
  await customer.getByRole("heading", { name: /Wie zufrieden/ }).waitFor();
  await customer.locator("input[name=score][value='2']").check();
  await customer.getByLabel(/Möchten Sie uns noch etwas sagen/).fill("Es fehlt immer noch ein Teil.");
  await customer.getByRole("button", { name: "Antwort senden" }).click();
  await customer.getByTestId("survey-thanks").waitFor();
  await shot(customer, { path: join(shots, "survey-thanks-de.png") });

  await page.goto(`${server.base}/cases/${caseId}`);
  assert.match(await page.getByTestId("case-state").textContent(), /Wiedereröffnet/);
  assert.match(await page.locator(".event-survey_answered").textContent(), /2 von 5 Sternen/);
  assert.match(await page.locator(".event-survey_answered").textContent(), /Es fehlt immer noch ein Teil/);
  await page.getByTestId("lead-attention").waitFor();
  await shot(page, { path: join(shots, "case-reopened-de.png"), fullPage: true });
});
