// Drives Debian's chromium through playwright-core, as a user would:
//
//   node drive.mjs submit PAGE_URL EMAIL   loads the page, submits the form,
//                                          waits until the SDK has flushed,
//                                          and prints the status text
//   node drive.mjs screenshot FILE PNG     opens a local HTML file and saves
//                                          a screenshot of it
//
// CHROMIUM overrides the browser's path (default /usr/bin/chromium).
import { chromium } from "playwright-core";

const [mode, target, arg] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("console", (msg) => {
    if (msg.type() === "error") console.error(`page: ${msg.text()}`);
  });
  page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
  page.on("requestfailed", (req) => console.error(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on("response", (res) => {
    if (res.status() >= 400) console.error(`page: ${res.status()} ${res.url()}`);
  });
  if (mode === "submit") {
    await page.goto(target, { waitUntil: "load" });
    await page.fill('input[name="email"]', arg);
    await page.click('button[type="submit"]');
    await page.waitForSelector("body[data-flushed=true]", { timeout: 20000 });
    // Envelopes still on their way (the page load's transaction) go too.
    await page.waitForLoadState("networkidle").catch(() => {});
    console.log((await page.textContent("#status")).trim());
  } else if (mode === "screenshot") {
    await page.goto(new URL(`file://${target}`).href, { waitUntil: "load" });
    await page.click(".row.span >> nth=1").catch(() => {});
    await page.screenshot({ path: arg, fullPage: true });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  await browser.close();
}
