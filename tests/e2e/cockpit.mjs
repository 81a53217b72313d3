// The web cockpit in Debian's headless Chromium (driven by playwright-core; no browser download).
//   node tests/e2e/cockpit.mjs http://127.0.0.1:PORT OUT_DIR
// 1. Without JavaScript the page is complete: the six pipeline stages and the task board.
// 2. With JavaScript the page goes live; a task claimed through the API appears as in progress
//    on the board without a reload (server-sent events).
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const base = process.argv[2];
const out = process.argv[3] ?? tmpdir();
if (!base) {
  console.error("usage: node cockpit.mjs BASE_URL [OUT_DIR]");
  process.exit(2);
}

function check(cond, what) {
  if (!cond) throw new Error(`FAILED: ${what}`);
  console.log(`ok - ${what}`);
}

// Each browser gets a fresh profile directory (--user-data-dir), removed at the end.
const profiles = [];
async function browser(options) {
  const dir = mkdtempSync(join(tmpdir(), "mesh-e2e-chromium-"));
  profiles.push(dir);
  return chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    ...options,
  });
}

let failed = false;
try {
  // 1. No JavaScript.
  const still = await browser({ javaScriptEnabled: false });
  const p0 = still.pages()[0] ?? await still.newPage();
  const r0 = await p0.goto(base + "/");
  check(r0.status() === 200, "GET / answers 200");
  const stages = await p0.locator("#pipeline .stage").evaluateAll((els) =>
    els.map((e) => `${e.dataset.stage}=${e.dataset.state}`));
  check(stages.length === 6, `six pipeline stages without JavaScript: ${stages.join(", ")}`);
  check(stages[0].startsWith("Context="), "the first stage is Context");
  check(await p0.locator("table.readiness tr[data-doc]").count() > 0, "readiness per document");
  check(await p0.locator(".unfilled li").count() > 0, "unfilled items with their lines");
  const pending = await p0.locator('.card[data-status="pending"]').count();
  check(pending >= 2, `the board shows the pending tasks (${pending})`);
  await still.close();

  // 2. Live.
  const ctx = await browser({});
  const page = ctx.pages()[0] ?? await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
  await page.goto(base + "/");
  await page.waitForSelector('body[data-live="on"]', { timeout: 10000 });
  check(true, "the page connected to the change feed");
  const first = await page.locator('.card[data-status="pending"]').first().getAttribute("data-task-id");
  const claimed = await page.evaluate(async () => {
    const r = await fetch("/api/tasks/next", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Mesh-Worker": "e2e-browser" },
      body: JSON.stringify({ lane: "docs" }),
    });
    return { status: r.status, body: await r.json() };
  });
  check(claimed.status === 200 && claimed.body.task, `a task was claimed through the API (T-${claimed.body.task?.id})`);
  const id = claimed.body.task.id;
  await page.waitForSelector(`.card[data-task-id="${id}"][data-status="in_progress"]`, { timeout: 10000 });
  const card = await page.locator(`.card[data-task-id="${id}"]`).innerText();
  check(card.includes("@e2e-browser"), `the board changed without a reload: "${card}"`);
  const work = await page.locator('#pipeline .stage[data-stage="Work"]').getAttribute("data-state");
  check(work === "GREEN", "the Work stage turned GREEN (a task is running)");
  await page.screenshot({ path: join(out, "cockpit.png"), fullPage: true });
  check(first !== null, "the board had a pending card before the claim");
  check(errors.length === 0, `no script errors (${errors.join("; ")})`);
  await ctx.close();
} catch (e) {
  failed = true;
  console.error(String(e));
} finally {
  for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
