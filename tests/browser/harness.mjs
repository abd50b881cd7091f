// Starts a real amends server (its own SQLite file, port 0, demo data) and a
// headless Debian chromium driven by playwright-core.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { startSmtpSink } from "./smtp-sink.mjs";

const root = resolve(import.meta.dirname, "..", "..");

export async function startServer(extraEnv = {}) {
  const bin = process.env.AMENDS_BIN || join(root, "target", "debug", "amends");
  const dir = mkdtempSync(join(tmpdir(), "amends-browser-"));
  const child = spawn(bin, ["--database-url", `sqlite://${join(dir, "amends.db")}`, "serve", "--demo", "--bind", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, AMENDS_LOG: "warn", AMENDS_DATABASE_URL: "", ...extraEnv },
  });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`amends did not start within 60 s:\n${stderr}`)), 60_000);
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on("exit", (code) => { clearTimeout(timer); fail(new Error(`amends exited with ${code}:\n${stderr}`)); });
  });
  return {
    base,
    // The server's database, for the amends CLI (`amends --database-url …`).
    dbUrl: `sqlite://${join(dir, "amends.db")}`,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

export async function login(page, base, user, password = "amends-demo") {
  await page.goto(`${base}/login`);
  await page.getByLabel(/Benutzername|Username/).fill(user);
  await page.getByLabel(/Passwort|Password/).fill(password);
  await page.getByRole("button", { name: /Anmelden|Sign in/ }).click();
  await page.waitForURL(/\/inbox/);
}

// Where the screenshots go.
export const shots = resolve(import.meta.dirname, "screenshots");

// The two screens every page is checked on.
export const viewports = [
  ["desktop", { width: 1440, height: 900 }],
  ["phone", { width: 390, height: 844 }],
];

// One server (demo data, `env` added to its environment; with `smtp` a local
// SMTP sink it sends to) and one browser for the tests of a file, started
// before the first test and stopped after the last. The returned object is
// filled in then: `ctx.server.base`, `ctx.browser`, `ctx.sink`.
export function suite({ env = {}, smtp = false } = {}) {
  const ctx = { server: null, browser: null, sink: null };
  before(async () => {
    mkdirSync(shots, { recursive: true });
    if (smtp) ctx.sink = await startSmtpSink();
    ctx.server = await startServer({ ...(smtp ? { AMENDS_SMTP_URL: ctx.sink.url } : {}), ...env });
    ctx.browser = await startBrowser();
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.server?.stop();
    await ctx.sink?.close();
  });
  return ctx;
}

// Logs in and switches the UI to `lang` unless it is already in it (the
// choice is kept in the user's profile).
export async function loginIn(page, base, user, lang) {
  await login(page, base, user);
  if (await page.locator("html").getAttribute("lang") !== lang) {
    await page.getByLabel(/^(Sprache|Language)$/).first().selectOption(lang);
    await page.locator(`html[lang="${lang}"]`).waitFor({ state: "attached" });
  }
}

// Collects the page's script errors and failed responses (but a missing
// favicon) into the returned array.
export function collectErrors(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("response", (r) => { if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(`${r.status()} ${r.url()}`); });
  return errors;
}

// Runs `check(page, lang, device, viewport)` in German and English on every
// viewport, on a fresh page signed in as `user`; fails on any script error or
// failed response the page met, but those matching one of `allow` (e.g. a
// form answered 422 on purpose).
export async function onEveryScreen(ctx, user, check, { allow = [] } = {}) {
  for (const lang of ["de", "en"]) {
    for (const [device, viewport] of viewports) {
      const page = await ctx.browser.newPage({ viewport });
      const errors = collectErrors(page);
      await loginIn(page, ctx.server.base, user, lang);
      await check(page, lang, device, viewport);
      assert.deepEqual(errors.filter((e) => !allow.some((a) => a.test(e))), [], `${lang} ${device}`);
      await page.close();
    }
  }
}

// POSTs JSON to the API as the signed-in user of `page` (with the CSRF token
// of the page shown), checks it created something (201) and returns it.
export async function apiCreate(page, base, path, data) {
  const csrf = await page.locator("input[name=csrf]").first().inputValue();
  const res = await page.request.post(`${base}${path}`, { headers: { "x-csrf-token": csrf }, data });
  assert.equal(res.status(), 201, `POST ${path}: ${await res.text()}`);
  return res.json();
}

// A screenshot, tried again after a moment if Chromium cannot capture one
// (it refuses now and then on a busy machine: "Unable to capture screenshot").
export async function shot(page, options) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await page.screenshot(options);
    } catch (e) {
      if (attempt >= 3 || !/Unable to capture screenshot/.test(String(e))) throw e;
      await page.waitForTimeout(500 * attempt);
    }
  }
}

// Follows the navigation link to `href` as a user would: on a desktop from
// the bar or its "More" list, on a phone from the menu button.
export async function followNav(page, href) {
  const wide = page.locator(".nav-wide");
  const scope = (await wide.isVisible()) ? wide : page.locator("details.nav-menu");
  const link = scope.locator(`a[href="${href}"]`);
  if (!(await link.isVisible())) await scope.locator("summary").first().click();
  await link.click();
}
