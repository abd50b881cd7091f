// Mail quarantine: mail the MTA pipe cannot take (here: no sender) is kept;
// an admin finds it under Settings, is told next to the field that a sender
// is needed, gives the address and the mail is taken — in German and
// English, on a desktop and on a phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { onEveryScreen, shot, suite, shots } from "./harness.mjs";

const ctx = suite();
const bin = process.env.AMENDS_BIN || resolve(import.meta.dirname, "..", "..", "target", "debug", "amends");

const words = {
  de: { title: "Mail-Quarantäne", reason: "Die Mail nennt keinen Absender.", take: "Übernehmen", need: "Geben Sie seine Adresse an" },
  en: { title: "Mail quarantine", reason: "The mail names no sender.", take: "Take it", need: "give their address" },
};

// Four mails without a sender through the MTA pipe: one for each screen.
function pipeMails() {
  for (let i = 1; i <= 4; i++) {
    const mail = `To: service@amends.example\r\nSubject: Ohne Absender ${i}\r\n\r\nMeine Bestellung ${4710 + i} fehlt.\r\n`;
    const out = execFileSync(bin, ["--database-url", ctx.server.dbUrl, "mail", "ingest"], {
      input: mail, env: { ...process.env, AMENDS_LOG: "error", AMENDS_DATABASE_URL: "" },
    }).toString();
    assert.match(out, /quarantined as/);
  }
}

test("an admin takes a quarantined mail after giving its sender", async () => {
  pipeMails();
  await onEveryScreen(ctx, "admin", async (page, lang, device, viewport) => {
    const w = words[lang];
    await page.goto(`${ctx.server.base}/settings/mail`);
    assert.equal(await page.locator("h1").textContent(), w.title);
    const rows = page.locator('[data-testid="quarantine"] tbody tr');
    const before = await rows.count();
    assert.ok(before >= 1, "a quarantined mail is listed");
    const row = rows.first();
    assert.match(await row.textContent(), new RegExp(w.reason));
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width + 1, `no sideways scrolling (${width} px)`);
    await shot(page, { path: join(shots, `quarantine-${lang}-${device}.png`), fullPage: true });

    // Without a sender: the reason stands next to the field.
    await row.getByRole("button", { name: w.take }).click();
    const error = page.locator('[data-testid="quarantine"] tbody tr').first().locator("small.error");
    await error.waitFor();
    assert.match(await error.textContent(), new RegExp(w.need));
    await shot(page, { path: join(shots, `quarantine-error-${lang}-${device}.png`), fullPage: false });

    // With the address it is taken: one row fewer.
    const again = page.locator('[data-testid="quarantine"] tbody tr').first();
    await again.locator("input[name=sender]").fill(`kundin-${lang}-${device}@example.de`);
    await again.getByRole("button", { name: w.take }).click();
    await page.waitForURL(/\/settings\/mail$/);
    const after = await page.locator('[data-testid="quarantine"] tbody tr').count();
    assert.equal(after, before === 1 ? 1 : before - 1, "the taken mail left the list");
  }, { allow: [/^422 .*\/settings\/mail\/[0-9a-f-]+\/release$/] });
});
