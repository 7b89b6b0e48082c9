// Browser timing for scripts/bench.py: signs in, then N times opens a runtime's Add Token drawer,
// submits a token and measures from the click on "Add Token" to the row showing the new token
// (its last four characters). Prints one JSON line of milliseconds. Loopback only.
// Usage: node end2end/bench/add_token.mjs ORIGIN EMAIL PASSWORD RUNTIME N TOKEN...
import { chromium } from '@playwright/test';

const [origin, email, password, runtime, n, ...tokens] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const timer = setTimeout(() => { console.error('browser timing took over 120 s'); process.exit(2); }, 120_000);
try {
  const page = await browser.newPage();
  await page.goto(`${origin}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/git-personal-access-tokens/);
  await page.waitForSelector('.app[data-hydrated=true]');
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: runtime, exact: true }) });
  const times = [];
  for (let i = 0; i < Number(n); i++) {
    const token = tokens[i % tokens.length];
    await row.getByRole('link', { name: `Add Token for ${runtime}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Token' });
    await dialog.getByText('Advanced authorization options').click();
    await dialog.getByLabel('Personal Access Token').fill(token);
    const last4 = `••••${token.slice(-4)}`;
    const t0 = await page.evaluate(() => performance.now());
    await dialog.getByRole('button', { name: 'Add Token' }).click();
    await page.waitForFunction(
      ([name, want]) => [...document.querySelectorAll('table.runtimes tbody tr')]
        .some((tr) => tr.querySelector('th')?.textContent?.trim() === name && tr.textContent.includes(want)),
      [runtime, last4],
      { polling: 'raf' },
    );
    times.push((await page.evaluate(() => performance.now())) - t0);
    await dialog.waitFor({ state: 'hidden' });
  }
  console.log(JSON.stringify(times));
} finally {
  clearTimeout(timer);
  await browser.close();
}
