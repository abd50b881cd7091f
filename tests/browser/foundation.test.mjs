// Issue 3: a person logs in, opens the inbox, creates a case, finds it in the
// inbox and moves it to `acknowledged` — in German and in English.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { login, shot, suite, shots } from "./harness.mjs";

const ctx = suite();

test("an agent works a case in German", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(page, ctx.server.base, "anna");
  await assert.doesNotReject(page.getByRole("heading", { name: /Eingang/ }).waitFor());
  await shot(page, { path: join(shots, "inbox-de.png"), fullPage: false });

  // A form with a missing subject shows the error next to the field.
  await page.getByRole("link", { name: "Neuer Fall" }).first().click();
  await page.getByLabel("Kunde", { exact: true }).fill("CRM-010000");
  await page.getByRole("button", { name: "Fall anlegen" }).click();
  const subjectError = page.locator("#subject-error");
  await subjectError.waitFor();
  assert.match(await subjectError.textContent(), /Betreff/);
  assert.equal(await page.getByLabel("Betreff").getAttribute("aria-invalid"), "true");

  const subject = `Browser-Test Lieferung fehlt ${Date.now()}`;
  await page.getByLabel("Betreff").fill(subject);
  await page.getByLabel("Beschreibung").fill("Das Paket ist seit einer Woche überfällig.");
  await page.getByLabel("Kanal").selectOption("phone");
  await page.getByRole("button", { name: "Fall anlegen" }).click();
  await page.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
  assert.equal(await page.getByTestId("case-state").textContent(), "Neu");

  // The new case is in the inbox (assigned to me).
  await page.goto(`${ctx.server.base}/inbox?state=open&assignee=me`);
  const link = page.getByRole("link", { name: subject });
  await link.waitFor();
  await link.click();
  await page.waitForURL(/\/cases\//);

  // Move it to acknowledged; the timeline shows the change.
  await page.getByRole("button", { name: "Bestätigt" }).click();
  await page.waitForLoadState("load");
  assert.equal(await page.getByTestId("case-state").textContent(), "Bestätigt");
  assert.ok(await page.locator(".event-state_change").count() >= 1);
  await page.getByLabel("Interne Notiz hinzufügen").fill("Kundin angerufen, Entschuldigung ausgesprochen.");
  await page.getByRole("button", { name: "Notiz speichern" }).click();
  await page.locator(".event-note", { hasText: "Kundin angerufen" }).waitFor();
  await shot(page, { path: join(shots, "case-de.png"), fullPage: true });
  await page.close();
});

test("an agent works a case in English, with the keyboard", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(page, ctx.server.base, "emma");
  await page.getByRole("heading", { name: /Inbox/ }).waitFor();
  // Keyboard: j selects the first row, o opens it.
  await page.keyboard.press("j");
  await page.keyboard.press("o");
  await page.waitForURL(/\/cases\//);
  await page.goBack();

  await page.getByRole("link", { name: "New case" }).first().click();
  const subject = `Browser test parcel missing ${Date.now()}`;
  await page.getByLabel("Customer", { exact: true }).fill("CRM-010001");
  await page.getByLabel("Subject").fill(subject);
  await page.getByRole("button", { name: "Create case" }).click();
  await page.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
  assert.equal(await page.getByTestId("case-state").textContent(), "New");
  // Newest first: the "All" view.
  await page.goto(`${ctx.server.base}/inbox?view=all`);
  await page.getByRole("link", { name: subject }).click();
  await page.getByRole("button", { name: "Acknowledged" }).click();
  await page.waitForLoadState("load");
  assert.equal(await page.getByTestId("case-state").textContent(), "Acknowledged");

  // Switching the language takes effect at once.
  await page.getByLabel("Language").first().selectOption("de");
  await page.waitForLoadState("load");
  await page.getByTestId("case-state").filter({ hasText: "Bestätigt" }).waitFor();
  await shot(page, { path: join(shots, "case-en-then-de.png"), fullPage: false });
  await page.close();
});

test("the customer page lists the customer's cases", async () => {
  const page = await ctx.browser.newPage();
  await login(page, ctx.server.base, "lena");
  await page.goto(`${ctx.server.base}/customers?q=CRM-010000`);
  await page.locator("table.cases a").first().click();
  await page.waitForURL(/\/customers\//);
  await page.getByRole("heading", { name: /Fälle/ }).waitFor();
  assert.ok(await page.locator("tr[data-case-row]").count() >= 1);
  await page.close();
});

test("an API token is created once and revoked after confirming", async () => {
  const page = await ctx.browser.newPage();
  await login(page, ctx.server.base, "ben");
  await page.goto(`${ctx.server.base}/settings`);
  await page.getByLabel("Name des Tokens").fill("crm-sync");
  await page.getByRole("button", { name: "Token erstellen" }).click();
  const token = (await page.getByTestId("new-token").textContent()).trim();
  assert.match(token, /^amd_/);
  // The token works against the API.
  const me = await fetch(`${ctx.server.base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(me.status, 200);
  // Revoking asks first; dismissing keeps the token.
  page.once("dialog", (d) => d.dismiss());
  await page.getByRole("button", { name: "Widerrufen" }).click();
  assert.equal((await fetch(`${ctx.server.base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Widerrufen" }).click();
  await page.getByText("widerrufen", { exact: true }).waitFor();
  assert.equal((await fetch(`${ctx.server.base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
  await page.close();
});
