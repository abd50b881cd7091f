// Issue 6 (proactive recovery): a lead declares an incident (a field error
// first), uploads the affected customers on the incident page, sees the
// figures, the per-row problems and the proactive cases, opens one, and
// resolves the incident with a closing update; an English agent reads it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { login, shot, suite, shots, apiCreate } from "./harness.mjs";

const ctx = suite();

test("incident page: declare, upload affected customers, open a proactive case, resolve", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 1100 } });
  await login(page, ctx.server.base, "lena");
  const tag = Date.now();
  for (const [n, lang] of [[1, "de"], [2, "en"]]) {
    await apiCreate(page, ctx.server.base, "/api/v1/customers", { name: `Betroffen ${n} ${tag}`, email: `inc${n}.${tag}@example.de`, language: lang, external_id: `INC-${tag}-${n}` });
  }

  // The demo already has an incident; declare another one, a blank title first.
  await page.goto(`${ctx.server.base}/incidents`);
  assert.ok((await page.getByTestId("incidents").locator("tbody tr").count()) >= 1, "demo incident listed");
  await page.locator("#inc-kind").selectOption("delay");
  await page.locator("#inc-severity").selectOption("4");
  await page.locator("#inc-summary-de").fill("Ihr Zug hatte über drei Stunden Verspätung.");
  await page.getByRole("button", { name: "Störung anlegen" }).click();
  await page.locator("#inc-title[aria-invalid=true]").waitFor();
  assert.match(await page.locator("#inc-title-error").textContent(), /Titel/);
  assert.equal(await page.locator("#inc-summary-de").inputValue(), "Ihr Zug hatte über drei Stunden Verspätung.");
  await page.locator("#inc-title").fill(`ICE 71 fällt aus ${tag}`);
  await page.getByRole("button", { name: "Störung anlegen" }).click();
  await page.waitForURL(/\/incidents\/[0-9a-f-]{36}$/);
  const incidentUrl = page.url();
  assert.match(await page.getByTestId("incident-status").textContent(), /offen/);

  // Upload: two known customers and one unknown id.
  await page.locator("#affected-csv").fill(
    `customer_external_id,delay_minutes,order_id\nINC-${tag}-1,200,T-1\nINC-${tag}-2,45,T-2\nGIBT-ES-NICHT,10,T-3\n`,
  );
  await page.getByRole("button", { name: "Hinzufügen und verteilen" }).click();
  await page.getByTestId("upload-report").waitFor();
  assert.match(await page.getByTestId("upload-report").textContent(), /3 Zeilen gelesen: 2 neu/);
  assert.match(await page.getByTestId("upload-errors").textContent(), /GIBT-ES-NICHT/);
  assert.equal((await page.getByTestId("total-affected").textContent()).trim(), "2");
  assert.equal((await page.getByTestId("total-cases").textContent()).trim(), "2");
  assert.equal((await page.getByTestId("total-messages").textContent()).trim(), "2");
  const affected = page.getByTestId("affected");
  assert.equal(await affected.locator("tbody tr").count(), 2);
  assert.match(await affected.textContent(), /delay_minutes: 200, order_id: T-1\b/);
  await shot(page, { path: `${shots}/incident-page.png`, fullPage: true });

  // The same list again adds nobody.
  await page.locator("#affected-csv").fill(`customer_external_id,delay_minutes\nINC-${tag}-1,200\n`);
  await page.getByRole("button", { name: "Hinzufügen und verteilen" }).click();
  await page.getByTestId("upload-report").waitFor();
  assert.match(await page.getByTestId("upload-report").textContent(), /0 neu, 1 schon betroffen/);
  assert.equal((await page.getByTestId("total-cases").textContent()).trim(), "2");

  // Its open cases in the inbox, filtered to the incident.
  await page.getByTestId("incident-inbox").click();
  await page.getByTestId("incident-filter").waitFor();
  assert.match(await page.locator("main").textContent(), new RegExp(`ICE 71 fällt aus ${tag}`));
  await page.goto(incidentUrl);

  // Open the proactive case of the first customer.
  await affected.locator("tbody tr", { hasText: `Betroffen 1 ${tag}` }).locator("a[href^='/cases/']").click();
  await page.waitForURL(/\/cases\//);
  assert.match(await page.locator("h1").textContent(), new RegExp(`ICE 71 fällt aus ${tag}`));
  await page.getByTestId("case-incident").waitFor();

  // Resolve with the closing update.
  await page.goto(incidentUrl);
  await page.getByTestId("resolve").click();
  await page.waitForURL(incidentUrl);
  assert.match(await page.getByTestId("incident-status").textContent(), /behoben/);

  // An English-speaking agent reads the page in English and cannot manage it.
  const en = await ctx.browser.newPage();
  await login(en, ctx.server.base, "emma");
  await en.goto(incidentUrl);
  assert.match(await en.getByTestId("incident-status").textContent(), /resolved/);
  assert.equal(await en.getByTestId("resolve").count(), 0);
  await en.close();
  await page.close();
});
