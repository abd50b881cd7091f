// Issue 5: an admin switches routing on with the keyboard, a new case left to
// routing goes to a demo agent with the reason on its timeline, and the
// customer page draws the sentiment over time as an accessible chart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { login, suite, apiCreate } from "./harness.mjs";

const ctx = suite();

test("routing is switched on and a new case is routed with its reason", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(page, ctx.server.base, "admin");
  await page.goto(`${ctx.server.base}/settings/users`);
  assert.match(await page.getByTestId("routing-state").innerText(), /ausgeschaltet/);
  // The demo agents have profiles.
  assert.ok((await page.getByTestId("routing-row").count()) >= 5);
  const on = page.getByRole("button", { name: "Verteilung einschalten" });
  await on.focus();
  await page.keyboard.press("Enter");
  await page.getByTestId("routing-state").filter({ hasText: "Die Verteilung ist eingeschaltet" }).waitFor();

  const tag = Date.now();
  await apiCreate(page, ctx.server.base, "/api/v1/customers", { name: "Rita Verteilt", email: `rita.${tag}@example.de`, language: "de", external_id: `RT-${tag}` });

  await page.goto(`${ctx.server.base}/cases/new`);
  assert.equal(await page.locator("#assign").inputValue(), "routing", "preselected while routing is on");
  await page.getByLabel("Kunde").fill(`RT-${tag}`);
  await page.getByLabel("Betreff").fill(`Rechnung doppelt abgebucht ${tag}`);
  await page.getByRole("button", { name: "Fall anlegen" }).click();
  await page.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
  const routed = page.getByTestId("routed");
  assert.equal(await routed.count(), 1, "assigned by routing");
  const reason = await page.getByTestId("routing-reason").innerText();
  assert.match(reason, /spricht de/);
  assert.match(reason, /Rechnung/, "anna has billing as a skill");
  assert.match(await page.locator(".event-assignment").first().innerText(), /Anna Berger/);
  await page.close();
});

test("the customer page draws sentiment over time with a text alternative", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(page, ctx.server.base, "emma");
  // A demo customer with feedback (the demo sends it through detection).
  const feedback = await (await page.request.get(`${ctx.server.base}/api/v1/feedback?limit=1`)).json();
  const customer = feedback.items[0]?.customer_id;
  assert.ok(customer, "demo feedback");
  await page.goto(`${ctx.server.base}/customers/${customer}`);
  const chart = page.getByRole("img", { name: "Sentiment over time" });
  assert.ok(await chart.isVisible(), "chart shown with its accessible name");
  assert.ok((await page.locator("[data-testid=sentiment-chart] circle").count()) >= 1);
  const table = page.getByTestId("sentiment-table");
  assert.equal(await table.isVisible(), false, "table folded away");
  await page.getByText("Sentiment as a table").click();
  assert.ok(await table.isVisible());
  assert.ok((await table.locator("tbody tr").count()) >= 1);
  // Keyboard: the table's summary is reachable and opens with Enter.
  await page.reload();
  await page.locator("#sentiment summary").focus();
  await page.keyboard.press("Enter");
  assert.ok(await page.getByTestId("sentiment-table").isVisible());
  await page.close();
});
