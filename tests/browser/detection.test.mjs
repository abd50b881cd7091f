// Issue 4: a German and an English complaint posted through the API appear
// in the feedback stream with sentiment, and the negative ones opened
// recovery cases that an agent sees in the inbox.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { login, shot, suite, shots } from "./harness.mjs";

const ctx = suite();

/// Creates an API token in the settings page (as a person would) and returns it.
async function tokenFromSettings(page) {
  await page.goto(`${ctx.server.base}/settings`);
  await page.getByLabel(/Name des Tokens|Token name/).fill(`browser-${Date.now()}`);
  await page.getByRole("button", { name: /Token erstellen|Create token/ }).click();
  const token = (await page.getByTestId("new-token").textContent()).trim();
  assert.match(token, /^amd_/);
  return token;
}

async function postFeedback(token, body) {
  const res = await fetch(`${ctx.server.base}/api/v1/feedback`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

test("complaints in German and English reach the stream and open cases", async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await login(page, ctx.server.base, "admin");
  const token = await tokenFromSettings(page);
  const stamp = Date.now();
  const de = await postFeedback(token, {
    customer_email: `kundin-${stamp}@example.de`, customer_name: "Greta Browser", channel: "api", rating: 1,
    text: `Bestellung ${stamp}: Die Lieferung kam zwei Wochen zu spät und die Vase war kaputt. Ich kündige mein Abo!`,
  });
  const en = await postFeedback(token, {
    customer_email: `customer-${stamp}@example.com`, customer_name: "Grace Browser", channel: "widget", rating: 2,
    text: `Order ${stamp}: the delivery was late again and the package was damaged. Terrible service, I will cancel my subscription!`,
  });
  const happy = await postFeedback(token, {
    customer_email: `fan-${stamp}@example.com`, channel: "survey", rating: 5,
    text: "Wonderful service, thank you so much for the quick help!",
  });
  assert.equal(de.sentiment.label, "negative");
  assert.equal(en.sentiment.label, "negative");
  assert.equal(de.language, "de");
  assert.equal(en.language, "en");
  assert.ok(de.case_id && en.case_id, "the complaints opened cases");
  assert.equal(happy.case_id, null);

  // The stream shows all three, newest first, with sentiment, topics and the rule.
  await page.getByRole("link", { name: "Feedback" }).first().click();
  await page.waitForURL(/\/feedback/);
  const items = page.getByTestId("feedback-item");
  const deItem = items.filter({ hasText: `Bestellung ${stamp}` });
  const enItem = items.filter({ hasText: `Order ${stamp}` });
  await deItem.waitFor();
  assert.match(await deItem.getByTestId("sentiment").textContent(), /negativ/);
  assert.match(await enItem.getByTestId("sentiment").textContent(), /negativ/);
  assert.ok(await deItem.getByTestId("topic").count() >= 1, "topics shown");
  assert.match(await deItem.getByTestId("rule-fired").textContent(), /Regel/);
  assert.match(await items.first().textContent(), /Wonderful service/);
  await shot(page, { path: join(shots, "feedback-de.png"), fullPage: false });

  // Filters live in the URL.
  await page.locator("#f-sentiment").selectOption("negative");
  await page.getByRole("button", { name: "Anwenden" }).click();
  await page.waitForURL(/sentiment=negative/);
  assert.equal(await page.getByTestId("feedback-item").filter({ hasText: "Wonderful service" }).count(), 0);

  // An agent sees the complaint's case in the inbox and opens it.
  const agent = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(agent, ctx.server.base, "anna");
  await agent.goto(`${ctx.server.base}/inbox?state=open&origin=feedback`);
  const link = agent.getByRole("link", { name: new RegExp(`Bestellung ${stamp}`) });
  await link.waitFor();
  await link.click();
  await agent.waitForURL(new RegExp(`/cases/${de.case_id}$`));
  await agent.getByText("Ich kündige mein Abo!").first().waitFor();
  await agent.goto(`${ctx.server.base}/inbox?state=open&origin=feedback`);
  await agent.getByRole("link", { name: new RegExp(`Order ${stamp}`) }).waitFor();
  await shot(agent, { path: join(shots, "inbox-feedback-de.png"), fullPage: false });

  // In English the stream speaks English.
  await page.goto(`${ctx.server.base}/feedback`);
  await page.locator("#lang-switch").selectOption("en");
  await page.locator('html[lang="en"]').waitFor();
  await page.waitForURL(/\/feedback/);
  const enItem2 = page.getByTestId("feedback-item").filter({ hasText: `Order ${stamp}` });
  assert.match(await enItem2.getByTestId("sentiment").textContent(), /negative/);
  assert.match(await enItem2.getByTestId("rule-fired").textContent(), /Rule “.*” fired/);
  // Back to German for other tests.
  await page.locator("#lang-switch").selectOption("de");
  await page.locator('html[lang="de"]').waitFor();
});
