// Starts a real amends server (its own SQLite file, port 0, demo data) and a
// headless Debian chromium driven by playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

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
