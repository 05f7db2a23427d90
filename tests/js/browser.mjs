// A real browser: Debian's Chromium, driven headless by playwright-core (no browser download), against the
// running sample server.
//
//   node browser.mjs --server=http://127.0.0.1:PORT --key=API_KEY --out=DIR [--chromium=/usr/bin/chromium]
//
// 1. Opens the sample's page (/), which connects as user 1 and joins `public` and `user:1`; posts a push to each
//    topic through the API; waits until the page lists both. Screenshot: DIR/sample-page.png.
// 2. Opens a page that loads the unmodified pushex bundle (served to the browser from node_modules under the
//    sample's origin, so the page's relative URLs reach the sample), subscribes to `user:1` and lists pushes;
//    posts a push; waits until the page lists it. Screenshot: DIR/pushex-page.png.
// Prints one JSON line with what each page showed and exits 0; on failure prints the reason on stderr, exits 1.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startRun } from "./lib/harness.mjs";
import { postPush } from "./lib/server.mjs";

const PAGE_TIMEOUT_MS = 10_000;
// Headless, and nothing that reaches beyond this machine: no component updates, sync, QUIC or first-run pings.
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

const run = startRun("browser", { overallTimeoutMs: 45_000 });
const server = run.arg("server");
const key = run.arg("key", "dev-api-key");
const out = run.arg("out");
const executablePath = run.arg("chromium", "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const observed = run.observed;
observed.pageErrors = [];
observed.consoleErrors = [];
observed.failedRequests = [];

// playwright-core gives every launch a fresh temporary profile (--user-data-dir) and removes it on close.
const browser = await run.within("launch Chromium", chromium.launch({ executablePath, args: CHROMIUM_FLAGS, timeout: PAGE_TIMEOUT_MS }), 20_000);
observed.browserVersion = browser.version();
try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 720 } });
  context.setDefaultTimeout(PAGE_TIMEOUT_MS);

  observed.samplePage = await samplePage(context);
  observed.pushexPage = await pushexPage(context);
} finally {
  await browser.close();
}
run.finish();

function watchPage(page, name) {
  page.on("pageerror", (error) => observed.pageErrors.push(`${name}: ${error.message}`));
  page.on("response", (response) => {
    if (response.status() >= 400) {
      observed.failedRequests.push(`${name}: ${response.status()} ${new URL(response.url()).pathname}`);
    }
  });
  page.on("console", (message) => {
    // A failed request is also logged as "Failed to load resource"; failedRequests names it with its URL.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      observed.consoleErrors.push(`${name}: ${message.text()}`);
    }
  });
}

async function textOf(page, testId) {
  return (await page.getByTestId(testId).textContent())?.trim();
}

async function waitForText(page, testId, predicate, what) {
  await run.within(what, page.waitForFunction(
    ([id, source]) => new Function("text", `return (${source})(text)`)(document.querySelector(`[data-testid=${id}]`)?.textContent ?? ""),
    [testId, predicate.toString()],
    { timeout: PAGE_TIMEOUT_MS, polling: 20 },
  ), PAGE_TIMEOUT_MS + 1_000);
}

async function samplePage(context) {
  const page = await context.newPage();
  watchPage(page, "sample page");
  await run.within("open the sample page", page.goto(new URL("/", server).toString()), PAGE_TIMEOUT_MS);
  await waitForText(page, "status", (text) => text === "connected", "the sample page connected");
  await waitForText(page, "subscriptions", (text) => text.includes("public") && text.includes("user:1"), "the sample page joined public and user:1");

  await run.within("POST /api/push to public", postPush(server, key, { channel: "public", event: "greeting", data: { text: "Hello from the browser test ✓" } }));
  await waitForText(page, "pushes", (text) => text.includes("greeting"), "the page listing the public push");
  await run.within("POST /api/push to user:1", postPush(server, key, { channel: "user:1", event: "private", data: [1, "two", null] }));
  await waitForText(page, "pushes", (text) => text.includes("private"), "the page listing the user:1 push");

  const result = {
    status: await textOf(page, "status"),
    subscriptions: await textOf(page, "subscriptions"),
    pushes: await page.getByTestId("pushes").locator("li").allTextContents(),
    screenshot: join(out, "sample-page.png"),
  };
  await page.screenshot({ path: result.screenshot, fullPage: true });
  await page.close();
  return result;
}

async function pushexPage(context) {
  const page = await context.newPage();
  watchPage(page, "pushex page");
  // The page must come from the sample's origin, as a front end's page comes from its app (Chromium also blocks a
  // page from elsewhere opening a socket to this machine). The sample has no such page, so: open the sample's
  // /status, write the test page into that document, and let the browser answer the bundle's URL from node_modules.
  const bundleUrl = new URL("/js-client-tests/pushex.js", server).toString();
  await page.route(bundleUrl, (route) => route.fulfill({
    status: 200,
    contentType: "text/javascript; charset=utf-8",
    body: readFileSync(new URL("./node_modules/pushex/dist/pushex.js", import.meta.url)),
  }));
  await run.within("open the sample's /status", page.goto(new URL("/status", server).toString()), PAGE_TIMEOUT_MS);
  const html = readFileSync(new URL("./browser/pushex-page.html", import.meta.url), "utf8").replace('src="pushex.js"', `src="${bundleUrl}"`);
  await run.within("write the pushex page", page.setContent(html), PAGE_TIMEOUT_MS);
  await waitForText(page, "status", (text) => text === "connected", "the pushex page connected");
  await waitForText(page, "joined", (text) => text === "user:1", "the pushex page joined user:1");

  await run.within("POST /api/push to user:1", postPush(server, key, { channel: "user:1", event: "created", data: { id: 42, text: "pushed to a pushex page ✓" } }));
  await waitForText(page, "pushes", (text) => text.includes("created"), "the pushex page listing the push");

  const result = {
    status: await textOf(page, "status"),
    joined: await textOf(page, "joined"),
    pushes: await page.getByTestId("pushes").locator("li").allTextContents(),
    screenshot: join(out, "pushex-page.png"),
  };
  await page.screenshot({ path: result.screenshot, fullPage: true });
  await page.close();
  return result;
}
