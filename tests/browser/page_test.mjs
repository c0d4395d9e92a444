// The word finder's web page in a real browser: Debian's headless Chromium, driven by
// puppeteer-core. Starts netsvcd on a free loopback port with words.txt, types a rack with a
// blank from the keyboard, and checks the words, scores and blank letters the page shows against
// what this file works out from words.txt and the tile values by itself; switches the sort; and
// fails on any console error, page error, CSP violation or request to another origin. Writes
// screenshots (phone and desktop) and the daemon's log to the output directory.
//
//   node page_test.mjs <netsvcd binary> <output directory> <node_modules directory>
// (make test-browser runs it: tests/browser/run.sh.)

import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const [binary, outDir, modulesDir] = process.argv.slice(2);
if (!binary || !outDir || !modulesDir) {
  console.error("usage: node page_test.mjs <netsvcd> <output directory> <node_modules directory>");
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const puppeteer = createRequire(path.join(path.resolve(modulesDir), "x.js"))("puppeteer-core");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";

// No step may wait for ever: each has its own timeout, and the whole test has this one.
const WAIT_MS = 10_000;
const TOTAL_MS = 120_000;

// -- what the page should show, worked out here --------------------------------------------------

// Standard English Scrabble tile values; a blank scores 0.
const VALUES = {
  a: 1, b: 3, c: 3, d: 2, e: 1, f: 4, g: 2, h: 4, i: 1, j: 8, k: 5, l: 1, m: 3,
  n: 1, o: 1, p: 3, q: 10, r: 1, s: 1, t: 1, u: 1, v: 4, w: 4, x: 8, y: 4, z: 10,
};

// The words of a dictionary file as netsvcd reads it: a line of capitals is folded to lower
// case; one of mixed case, or with anything but letters, is skipped.
function readDictionary(file) {
  const words = new Set();
  for (let line of fs.readFileSync(file, "latin1").split("\n")) {
    line = line.replace(/\r$/, "");
    if (/^[a-z]+$/.test(line)) words.add(line);
    else if (/^[A-Z]+$/.test(line)) words.add(line.toLowerCase());
  }
  return [...words];
}

// Every word `rack` (letters and ? for blanks) spells, with its score and the letters its blanks
// stand for (the letters the rack lacks, sorted), in the API's order for `sort`.
function expectedWords(dictionary, rack, sort, minLength = 2) {
  const have = {};
  let blanks = 0;
  for (const c of rack) {
    if (c === "?") blanks++;
    else have[c] = (have[c] || 0) + 1;
  }
  const found = [];
  for (const word of dictionary) {
    if (word.length < minLength) continue;
    const need = {};
    for (const c of word) need[c] = (need[c] || 0) + 1;
    const missing = [];
    for (const [c, n] of Object.entries(need)) {
      for (let i = have[c] || 0; i < n; i++) missing.push(c);
    }
    if (missing.length > blanks) continue;
    let score = 0;
    for (const c of word) score += VALUES[c];
    for (const c of missing) score -= VALUES[c];
    found.push({ word, score, blanks: missing.sort().join("") });
  }
  const alphabetical = (a, b) => (a.word < b.word ? -1 : a.word > b.word ? 1 : 0);
  found.sort((a, b) =>
    sort === "score" ? b.score - a.score || alphabetical(a, b)
                     : b.word.length - a.word.length || alphabetical(a, b));
  return found;
}

// The positions the page should mark in `word`: for each letter of `blanks`, its last
// occurrence not yet marked.
function expectedMarks(word, blanks) {
  const marked = [];
  for (const letter of blanks) {
    for (let i = word.length - 1; i >= 0; i--) {
      if (word[i] === letter && !marked.includes(i)) { marked.push(i); break; }
    }
  }
  return marked.sort((a, b) => a - b);
}

// What the page shows, grouped as it is: for each group its length, and its words in order.
function expectedGroups(expected) {
  const groups = new Map();
  for (const w of expected) {
    if (!groups.has(w.word.length)) groups.set(w.word.length, []);
    groups.get(w.word.length).push({ word: w.word, score: w.score,
                                     marks: expectedMarks(w.word, w.blanks) });
  }
  return [...groups.entries()].sort((a, b) => b[0] - a[0])
    .map(([length, words]) => ({ length, words }));
}

// -- the daemon -------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Resolves once `port` takes connections; rejects when `deadline` passes or `exited` says the
// daemon is gone.
async function waitForPort(port, deadline, exited) {
  for (;;) {
    if (exited()) throw new Error(`netsvcd exited before listening: ${exited()}`);
    const open = await new Promise((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.setTimeout(500, () => { socket.destroy(); resolve(false); });
      socket.on("connect", () => { socket.end(); resolve(true); });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`netsvcd not listening on ${port} within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// The daemon, for the exits that skip main's own stop (the overall deadline, a signal).
let daemonProcess = null;
function killDaemon() {
  if (daemonProcess && daemonProcess.exitCode === null && daemonProcess.signalCode === null) {
    daemonProcess.kill("SIGKILL");
  }
}

async function startDaemon(dictionaryFile) {
  const port = await freePort();
  const config = path.join(outDir, "netsvcd.yaml");
  fs.writeFileSync(config, `# make test-browser: the word finder on a loopback port.
listeners:
  - name: words
    kind: wordfinder
    listen: ["127.0.0.1:${port}"]
    dictionary: ${JSON.stringify(path.resolve(dictionaryFile))}
    max_letters: 8
`);
  const log = fs.openSync(path.join(outDir, "netsvcd.log"), "w");
  const daemon = spawn(binary, ["--config", config, "--log-level", "debug"],
                       { stdio: ["ignore", log, log] });
  daemonProcess = daemon;
  let exitedWith = null;
  daemon.on("exit", (code, signal) => { exitedWith = signal || `status ${code}`; });
  try {
    await waitForPort(port, Date.now() + WAIT_MS, () => exitedWith);
  } catch (error) {
    killDaemon();
    throw error;
  }
  return {
    port,
    async stop() {
      if (exitedWith) return;
      const gone = new Promise((resolve) => daemon.on("exit", resolve));
      daemon.kill("SIGTERM");
      const timer = setTimeout(() => daemon.kill("SIGKILL"), WAIT_MS);
      await gone;
      clearTimeout(timer);
    },
  };
}

// -- checks -----------------------------------------------------------------------------------

let failures = 0;
function check(ok, what, detail) {
  if (ok) {
    console.log(`ok   ${what}`);
  } else {
    failures++;
    console.log(`FAIL ${what}${detail === undefined ? "" : `\n     ${detail}`}`);
  }
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
function checkSame(actual, expected, what) {
  check(same(actual, expected), what,
        `expected ${JSON.stringify(expected)}\n     got      ${JSON.stringify(actual)}`);
}

// What the page shows: its groups of words, with scores and the positions of marked letters.
function shownGroups(page) {
  return page.$$eval("#groups ul.words", (lists) => lists.map((list) => ({
    length: Number(list.dataset.length),
    words: [...list.querySelectorAll("li")].map((item) => {
      const letters = item.querySelector(".word");
      const marks = [];
      let position = 0;
      for (const node of letters.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) {
          position += node.textContent.length;
        } else {
          marks.push(position);
          position += node.firstChild.textContent.length;
        }
      }
      const shownWord = [...letters.childNodes]
        .map((n) => (n.nodeType === Node.TEXT_NODE ? n.textContent : n.firstChild.textContent))
        .join("");
      return { word: shownWord, score: Number(item.querySelector(".score").textContent.split(" ")[0]),
               marks };
    }),
  })));
}

// Waits for the page's fetch of `rack` with `sort`, then for the page to have drawn its answer
// (the page numbers its requests, and marks the results with the one they answer; a page loaded
// afresh, as by a reload, counts from 1 again, so a mark in `window` tells an old page from it).
async function answered(page, action, rack, sort) {
  const before = await page.$eval("#results", (e) => e.dataset.answer || "");
  await page.evaluate(() => { window.testOldPage = true; });
  const response = page.waitForResponse(
    (r) => new URL(r.url()).pathname === `/${rack}` &&
           new URL(r.url()).searchParams.get("sort") === sort,
    { timeout: WAIT_MS });
  await action();
  const r = await response;
  await page.waitForFunction(
    (s, old) => {
      const results = document.getElementById("results");
      return !results.hidden && ((results.dataset.answer || "") !== old || !window.testOldPage) &&
             new URLSearchParams(location.search).get("sort") === s;
    },
    { timeout: WAIT_MS }, sort, before);
  return r;
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const dictionaryFile = path.join(here, "words.txt");
  const dictionary = readDictionary(dictionaryFile);
  const daemon = await startDaemon(dictionaryFile);
  const origin = `http://127.0.0.1:${daemon.port}`;
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath: chromiumPath,
      headless: true,
      timeout: WAIT_MS * 3,
      protocolTimeout: WAIT_MS * 3,
      args: [
        // As root (CI), Chromium's sandbox needs namespaces a container may not give.
        "--no-sandbox",
        // A container's /dev/shm is often too small for Chromium's shared memory.
        "--disable-dev-shm-usage",
        // Nothing but 127.0.0.1: no proxy, no name resolves, no background fetches.
        "--no-proxy-server",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-domain-reliability",
        "--no-first-run",
        "--no-default-browser-check",
      ],
    });
    const page = await browser.newPage();
    page.setDefaultTimeout(WAIT_MS);

    // Everything that would be a failure, recorded from the first request on.
    const problems = [];
    const requests = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warn") {
        problems.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) =>
      problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
    page.on("request", (request) => requests.push(request.url()));
    // CSP violations, as the page itself hears of them (Chromium also logs them as errors).
    await page.exposeFunction("reportViolation", (text) => problems.push(`CSP violation: ${text}`));
    await page.evaluateOnNewDocument(() => {
      document.addEventListener("securitypolicyviolation", (e) =>
        window.reportViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));
    });

    // A phone first: the layout, the tap targets, the keyboard.
    await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true,
                             hasTouch: true });
    const navigation = await page.goto(`${origin}/`, { waitUntil: "load", timeout: WAIT_MS });
    const headers = navigation.headers();
    check(navigation.status() === 200, "GET / answers 200");
    check(headers["content-type"] === "text/html; charset=utf-8", "GET / is HTML for a browser",
          headers["content-type"]);
    check(/^default-src 'none'; script-src 'sha256-/.test(headers["content-security-policy"] || ""),
          "the page comes with its Content-Security-Policy", headers["content-security-policy"]);
    check(headers["x-content-type-options"] === "nosniff", "X-Content-Type-Options: nosniff");
    check(await page.evaluate(() => document.activeElement?.id) === "letters",
          "the letters box has the focus on arrival");

    // Typing: ? and a space are blanks, shown as ?; a digit is refused on the spot.
    await page.keyboard.type("ab 1", { delay: 10 });
    check(await page.$eval("#letters", (e) => e.value) === "ab?1", "a space types a blank, shown as ?");
    check(await page.$eval("#letters", (e) => e.getAttribute("aria-invalid")) === "true",
          "a digit marks the box invalid");
    check((await page.$eval("#letters-problem", (e) => e.textContent)).includes("“1” is not a letter"),
          "and says why", await page.$eval("#letters-problem", (e) => e.textContent));
    await page.$eval("#letters", (e) => e.select());
    await page.keyboard.press("Backspace");

    // A rack with a blank, typed with ?, submitted with Enter.
    const rack = "q?its";
    await page.keyboard.type(rack, { delay: 10 });
    check(await page.$eval("#letters", (e) => e.value) === rack, "? types a blank");
    await answered(page, () => page.keyboard.press("Enter"), "q_its", "length");
    const byLength = expectedWords(dictionary, rack, "length");
    check(byLength.length >= 10 && byLength.some((w) => w.blanks !== ""),
          `the rack ${rack} spells ${byLength.length} words here, some with a blank`);
    checkSame(await shownGroups(page), expectedGroups(byLength),
              "the words, grouped by length, longest first, with scores and blank letters marked");
    const summary = await page.$eval("#summary", (e) => e.textContent);
    check(new RegExp(`^${byLength.length} words from q\\?its · \\d+\\.\\d{3} ms · not cached$`)
            .test(summary), "the count, the time and the cache are shown", summary);
    check(await page.$eval("b.blank .visually-hidden", (e) => e.textContent.trim()) === "(blank)",
          "a blank letter is named for screen readers too");
    await page.screenshot({ path: path.join(outDir, "phone-length.png"), fullPage: true });

    // The sort, from the keyboard: Tab to the radio group, arrow to the next choice.
    await page.focus("#letters");
    await page.keyboard.press("Tab");  // the button
    const buttonOutline = await page.$eval("button", (e) => getComputedStyle(e).outlineStyle);
    check(buttonOutline === "solid", "the focused button shows a visible outline", buttonOutline);
    await page.keyboard.press("Tab");  // the checked radio
    check(await page.evaluate(() => document.activeElement?.value) === "length",
          "Tab reaches the sort");
    await answered(page, () => page.keyboard.press("ArrowDown"), "q_its", "score");
    const byScore = expectedWords(dictionary, rack, "score");
    checkSame(await shownGroups(page), expectedGroups(byScore),
              "sorted by score: highest first within each length");
    check(!same(expectedGroups(byScore), expectedGroups(byLength)),
          "(and the two orders differ for this rack)");

    // Back to length: the same question again comes from the cache.
    await answered(page, () => page.keyboard.press("ArrowUp"), "q_its", "length");
    check((await page.$eval("#summary", (e) => e.textContent)).endsWith("· cached"),
          "asking again is answered from the cache");
    checkSame(await shownGroups(page), expectedGroups(byLength), "and the length order is back");

    // Phone layout: nothing wider than the screen, every control large enough to tap.
    check(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
          "no sideways scrolling on a phone");
    const small = await page.$$eval("#letters, button, .choice", (all) => all
      .map((e) => ({ what: e.id || e.textContent.trim(), height: e.getBoundingClientRect().height }))
      .filter((e) => e.height < 44));
    checkSame(small, [], "every control is at least 44 px tall");

    // Sorted by score for the pictures.
    await answered(page, () => page.keyboard.press("ArrowDown"), "q_its", "score");
    await page.screenshot({ path: path.join(outDir, "phone.png"), fullPage: true });
    // (Leaving the phone's emulation reloads the page, which asks again.)
    await answered(page, () => page.setViewport({ width: 1100, height: 760, deviceScaleFactor: 1 }),
                   "q_its", "score");
    await page.screenshot({ path: path.join(outDir, "desktop.png"), fullPage: true });

    // A reload keeps the question (?letters=&sort= in the address).
    await answered(page, () => page.reload({ waitUntil: "load" }), "q_its", "score");
    check(await page.$eval("#letters", (e) => e.value) === rack, "a reload asks the same again");

    // Nothing went wrong, and nothing left 127.0.0.1.
    checkSame(problems, [], "no console error, page error, failed request or CSP violation");
    const elsewhere = requests.filter((url) => new URL(url).origin !== origin);
    checkSame(elsewhere, [], `every request went to ${origin} (${requests.length} requests)`);

    // Last, an error from the API in the alert region. The page's own check stops a bad rack
    // before it is sent, so the page's request is rewritten on its way to one the daemon
    // refuses (three blanks): the message shown is the daemon's own.
    const direct = await fetch(`${origin}/q___s?sort=score&details=1`,
                               { signal: AbortSignal.timeout(WAIT_MS) });
    const refused = { status: direct.status, error: (await direct.json()).error };
    check(refused.status === 400 && /blank/.test(refused.error),
          "the API refuses three blanks with 400", JSON.stringify(refused));
    await page.setRequestInterception(true);
    page.on("request", (request) => {
      if (request.isInterceptResolutionHandled()) return;
      const url = new URL(request.url());
      if (url.pathname === "/q_its") url.pathname = "/q___s";
      request.continue({ url: url.href });
    });
    await page.focus("#letters");
    // (The rewrite is invisible to the page: its response keeps the URL it asked for.)
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.getElementById("error").textContent !== "",
                               { timeout: WAIT_MS });
    check(await page.$eval("#error", (e) => e.getAttribute("role")) === "alert",
          "errors go to a role=alert region");
    const shownError = await page.$eval("#error", (e) => e.textContent);
    check(shownError === `The word finder said: ${refused.error}`, "which shows the API's error",
          shownError);
    check(await page.$eval("#results", (e) => e.hidden), "and no stale results beside it");
    await page.screenshot({ path: path.join(outDir, "desktop-error.png"), fullPage: true });
    // Chromium logs a 400 as a failed resource: that line, and nothing else.
    check(problems.length === 1 && /status of 400/.test(problems[0]),
          "the 400 is the only console line", JSON.stringify(problems));
  } finally {
    try {
      if (browser) await browser.close();
    } finally {
      await daemon.stop();
    }
  }
  console.log(failures === 0 ? "browser test passed" : `browser test: ${failures} checks failed`);
  process.exitCode = failures === 0 ? 0 : 1;
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    killDaemon();
    process.exit(1);
  });
}
const timer = setTimeout(() => {
  console.error(`browser test: not done within ${TOTAL_MS} ms`);
  killDaemon();
  process.exit(1);
}, TOTAL_MS);
timer.unref();
main().catch((error) => {
  console.error(`browser test: ${error.stack || error}`);
  process.exitCode = 1;
});
