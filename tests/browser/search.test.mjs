// Issue 17 (search and customers): the search box in the navigation, reached
// with "/", finds customers by last name and cases by a word of a note, in
// German and English, on a desktop (1440×900) and a phone (390×844); the
// search and customer pages never scroll sideways; a case is found by a
// word of its message and an article by a typo; a customer is created
// with an error next to a field first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { login, shot, suite, viewports, shots } from "./harness.mjs";

const ctx = suite();

async function noSidewaysScroll(page, what) {
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(scroll <= client + 1, `${what} scrolls sideways: ${scroll} > ${client}`);
}

async function searchWithSlash(page, text) {
  await page.locator("body").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("/");
  const box = page.locator("[data-search-box]");
  assert.equal(await box.evaluate((el) => el === document.activeElement), true, "/ focuses the search box");
  await box.fill(text);
  await box.press("Enter");
  await page.waitForURL(/\/search\?q=/);
}

for (const [, viewport] of viewports) {
  const size = { name: String(viewport.width), viewport };
  test(`German search at ${size.name} px: a customer by last name, a case by a word of a note`, async () => {
    const page = await ctx.browser.newPage({ viewport: size.viewport });
    await login(page, ctx.server.base, "admin");
    await searchWithSlash(page, "Schulz");
    const customers = page.getByTestId("search-customers");
    await customers.getByRole("heading", { name: /Kund:innen/ }).waitFor();
    assert.ok((await customers.getByRole("link", { name: /Schulz/ }).count()) > 0);
    await noSidewaysScroll(page, "search (de)");
    await shot(page, { path: join(shots, `search-de-${size.name}.png`), fullPage: false });

    await searchWithSlash(page, "Logistik");
    const cases = page.getByTestId("search-cases");
    await cases.getByRole("heading", { name: /Fälle/ }).waitFor();
    await cases.getByRole("link").first().click();
    await page.waitForURL(/\/cases\/[0-9a-f-]{36}$/);

    // A case by a word of the customer's message, an article by a typo.
    await searchWithSlash(page, "Anschlussflug");
    await page.getByTestId("search-cases").getByRole("link").first().waitFor();
    assert.ok((await page.getByTestId("search-cases").getByRole("link").count()) > 0, "a case by a word of its message");
    await searchWithSlash(page, "Erstatung");
    const articles = page.getByTestId("search-articles");
    await articles.getByRole("link", { name: /Erstattung/ }).first().waitFor();
    assert.match(await articles.textContent(), /Erstattung/, "an article by a typo");
    await shot(page, { path: join(shots, `search-typo-de-${size.name}.png`), fullPage: false });

    await page.goto(`${ctx.server.base}/customers?q=schulz`);
    assert.ok((await page.locator("table.cases tbody tr a").count()) > 0, "customers by part of the name");
    await noSidewaysScroll(page, "customers (de)");
    await shot(page, { path: join(shots, `customers-de-${size.name}.png`), fullPage: false });
    await page.close();
  });

  test(`English search at ${size.name} px: cases, articles, and nothing found`, async () => {
    const page = await ctx.browser.newPage({ viewport: size.viewport });
    await login(page, ctx.server.base, "emma");
    await searchWithSlash(page, "logistics");
    await page.getByTestId("search-cases").getByRole("heading", { name: /Cases/ }).waitFor();
    await noSidewaysScroll(page, "search (en)");
    await shot(page, { path: join(shots, `search-en-${size.name}.png`), fullPage: false });
    await searchWithSlash(page, "zzzqqqxx");
    await page.getByTestId("search-empty").waitFor();
    assert.match(await page.getByTestId("search-empty").textContent(), /Nothing found/);
    await page.close();
  });
}

test("create a customer in English: an error next to the field, then the customer page", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 390, height: 844 } });
  await login(page, ctx.server.base, "emma");
  await page.goto(`${ctx.server.base}/customers`);
  await page.getByRole("link", { name: "New customer" }).click();
  await page.getByLabel("Name").fill("Jana Testfeld");
  await page.getByLabel("Email").fill("not-an-address");
  await page.getByRole("button", { name: "Create customer" }).click();
  await page.locator("#email-error").waitFor();
  assert.match(await page.locator("#email-error").textContent(), /valid email/);
  await noSidewaysScroll(page, "customer form (en)");
  await shot(page, { path: join(shots, "customer-form-en-390.png"), fullPage: true });
  await page.getByLabel("Email").fill("jana.testfeld@example.com");
  await page.getByRole("button", { name: "Create customer" }).click();
  await page.waitForURL(/\/customers\/[0-9a-f-]{36}$/);
  await page.getByRole("heading", { name: /Jana Testfeld/ }).waitFor();
  await searchWithSlash(page, "testfeld");
  await page.getByTestId("search-customers").getByRole("link", { name: "Jana Testfeld" }).waitFor();
  await page.close();
});
