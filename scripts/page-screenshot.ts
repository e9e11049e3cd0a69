// A screenshot of a running status page, with Debian's Chromium through playwright-core:
//
//   npx tsx scripts/page-screenshot.ts http://127.0.0.1:8053/ shot.png [width] [height] [--full]
//
// It waits until the page has drawn its markers. docs/status-page.png (the README's picture) is
// made by scripts/readme-screenshot.ts with this function.
import { chromium, type Browser } from 'playwright-core';

/** Chromium headless on a machine without network: no background fetches, no QUIC, no sync. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

export async function screenshot(
  url: string,
  file: string,
  viewport = { width: 1280, height: 800 },
  fullPage = false,
): Promise<void> {
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
    await page.goto(url);
    await page.waitForSelector('#markers .marker');
    // One more poll, so the live indicator and the rates are settled.
    await page.waitForTimeout(1200);
    await page.screenshot({ path: file, fullPage });
  } finally {
    await browser.close();
  }
}

const [url, file, w, hgt, full] = process.argv.slice(2);
if (url && file && import.meta.url.endsWith(process.argv[1]!.split('/').pop()!))
  await screenshot(
    url,
    file,
    { width: Number(w ?? 1280), height: Number(hgt ?? 800) },
    full === '--full',
  );
