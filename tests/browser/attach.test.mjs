// Issue 17: feedback joins an open case only when it belongs there. A
// complaint on an unrelated topic opens its own case; a related one joins
// the open case and the timeline says why; an agent splits a message into
// its own case and merges two cases from the case page — German and
// English, desktop and phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { apiCreate, onEveryScreen, shot, shots, suite } from "./harness.mjs";

const ctx = suite();

const PARCEL = "Das Paket kam beschädigt an, die Lieferung war eine Enttäuschung.";
const PARCEL_AGAIN = "Die Lieferung ist immer noch nicht da, das Paket fehlt.";
const SEARCH = "Die Suche auf der Website findet keine Produkte, die App zeigt nur Fehler.";

const words = {
  de: {
    attached: /Angehängt: gleiches Thema „Lieferung“ innerhalb von 14 Tagen/,
    split: "Als eigenen Fall abtrennen…", splitYes: "Ja, abtrennen", moved: /^aus Fall/,
    merge: "Mit anderem Fall zusammenführen…", next: "Weiter", mergeYes: "Ja, zusammenführen",
    merged: /Übernommen: Fall/, wrong: /Kein Fall dieser Kund:in hat diese Referenz/,
    window: "Tage (0 bis 365)", windowError: /Bitte die Tage als ganze Zahl von 0 bis 365 angeben/,
  },
  en: {
    attached: /Attached: same topic “Delivery” within 14 days/,
    split: "Split into its own case…", splitYes: "Yes, split", moved: /^out of case/,
    merge: "Merge into another case…", next: "Next", mergeYes: "Yes, merge",
    merged: /Merged in: case/, wrong: /No case of this customer has this reference/,
    window: "Days (0 to 365)", windowError: /Please give the days as a whole number from 0 to 365/,
  },
};

test("an unrelated complaint opens its own case; split and merge from the case page", async () => {
  const stamp = Date.now();
  await onEveryScreen(ctx, "admin", async (page, lang, device) => {
    const w = words[lang];
    const base = ctx.server.base;
    await page.goto(`${base}/inbox`);
    const email = `attach-${lang}-${device}-${stamp}@example.de`;
    const post = (text) => apiCreate(page, base, "/api/v1/feedback",
      { customer_email: email, channel: "widget", rating: 2, text });
    const parcel = await post(PARCEL);
    const search = await post(SEARCH);
    assert.ok(parcel.case_id && search.case_id, "both opened cases");
    assert.notEqual(search.case_id, parcel.case_id, "a complaint on an unrelated topic opens its own case");
    const again = await post(PARCEL_AGAIN);
    assert.equal(again.case_id, parcel.case_id, "the related complaint joins the open case");

    // The case says why the message was attached.
    await page.goto(`${base}/cases/${parcel.case_id}`);
    const reason = page.getByTestId("attach-reason");
    assert.match(await reason.textContent(), w.attached);
    await reason.scrollIntoViewIfNeeded();
    await shot(page, { path: join(shots, `attach-reason-${lang}-${device}.png`) });

    // Split the attached message into its own case.
    const entry = page.locator("li.event-message_in", { has: reason });
    await entry.getByText(w.split).click();
    await entry.getByRole("button", { name: w.splitYes }).click();
    await page.waitForURL((u) => !u.pathname.endsWith(parcel.case_id));
    const split = new URL(page.url()).pathname.split("/").pop();
    assert.match(await page.getByTestId("split-event").first().textContent(), w.moved);
    await shot(page, { path: join(shots, `attach-split-${lang}-${device}.png`) });

    // Merge the split case back: a wrong reference first, then the right one.
    await page.getByTestId("merge-link").click();
    await page.getByLabel(/Referenz des Zielfalls|Reference of the case to merge into/).fill("#00000000");
    await page.getByRole("button", { name: w.next }).click();
    assert.match(await page.locator(".field .error").textContent(), w.wrong);
    await page.getByLabel(/Referenz des Zielfalls|Reference of the case to merge into/).fill(`#${parcel.case_id.slice(-8)}`);
    await page.getByRole("button", { name: w.next }).click();
    await page.getByTestId("merge-confirm").waitFor();
    await shot(page, { path: join(shots, `attach-merge-confirm-${lang}-${device}.png`) });
    await page.getByRole("button", { name: w.mergeYes }).click();
    await page.waitForURL((u) => u.pathname.endsWith(parcel.case_id));
    assert.match(await page.getByTestId("merge-event").first().textContent(), w.merged);
    await page.getByTestId("merge-event").first().scrollIntoViewIfNeeded();
    await shot(page, { path: join(shots, `attach-merged-${lang}-${device}.png`) });
    await page.goto(`${base}/cases/${split}`);
    await page.getByTestId("merged-into").waitFor();

    // No page scrolls sideways on a phone.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(wide, false, `${lang} ${device}: no horizontal scroll`);

    // The attach window on the rules page, with its error in the reader's language.
    await page.goto(`${base}/settings/rules`);
    await page.getByLabel(w.window).fill("viele");
    await page.getByTestId("attach-window-save").click();
    assert.match(await page.getByTestId("attach-window").textContent(), w.windowError);
    await page.getByTestId("attach-window").scrollIntoViewIfNeeded();
    await shot(page, { path: join(shots, `attach-window-${lang}-${device}.png`) });
    await page.getByLabel(w.window).fill("14");
    await page.getByTestId("attach-window-save").click();
    assert.equal(await page.getByLabel(w.window).inputValue(), "14");
  }, { allow: [/\/cases\/[^/]+\/merge$/, /\/settings\/attach-window$/] });
});
