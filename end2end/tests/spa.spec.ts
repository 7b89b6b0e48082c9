import { test, expect, hydrated, signIn, TokensPage, AddTokenDrawer, DEMO, SAMPLE, EMULATOR_URL } from './fixtures';
import type { Page, APIRequestContext } from '@playwright/test';

/** Counts the documents the page loads from now on: after hydration there must be none. */
function countDocuments(page: Page) {
  const docs: string[] = [];
  page.on('request', (r) => {
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) docs.push(r.url());
  });
  return docs;
}

async function registerToken(request: APIRequestContext, login: string) {
  const token = `ghp_e2eSpa${Date.now()}${Math.floor(Math.random() * 1000)}`;
  const r = await request.post(`${EMULATOR_URL}/_emulator/tokens`, { data: { token, login, scopes: ['repo'] } });
  expect(r.status()).toBe(201);
  return token;
}

test.describe('after hydration, in place', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, DEMO);
    await hydrated(page);
  });

  test('navigation by the avatar menu, drawers, back and forward loads no document', async ({ page }) => {
    const docs = countDocuments(page);
    const tokens = new TokensPage(page);
    const menuItem = async (name: string) => {
      await tokens.avatarButton().click();
      await page.getByRole('menuitem', { name }).click();
    };
    await menuItem('Admin');
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
    await menuItem('Change password');
    await expect(page.getByRole('heading', { name: 'Change password' })).toBeVisible();
    await menuItem('Git Personal Access Token');
    await expect(page.getByRole('heading', { name: 'Git Personal Access Tokens' })).toBeVisible();

    await new AddTokenDrawer(page).open('acme-staging');
    await expect(page).toHaveURL(/\/git-personal-access-tokens\/\d+\/add$/);
    await page.getByRole('dialog').getByRole('link', { name: 'Cancel' }).click();
    await expect(page.getByRole('dialog')).toBeHidden();

    await page.goBack();
    await expect(page.getByRole('dialog', { name: 'Add Token' })).toBeVisible();
    await page.goBack();
    await expect(page.getByRole('dialog')).toBeHidden();
    await page.goBack();
    await expect(page.getByRole('heading', { name: 'Change password' })).toBeVisible();
    await page.goForward();
    await expect(page.getByRole('heading', { name: 'Git Personal Access Tokens' })).toBeVisible();
    expect(docs).toEqual([]);
  });

  test('Add Token: pending state, a refusal in the form, then success updates the row in place', async ({ page }) => {
    const docs = countDocuments(page);
    const tokens = new TokensPage(page);
    // Hold the answer back a moment so the pending state can be seen (the server still answers).
    await page.route('**/api/add_token', async (route) => {
      await new Promise((r) => setTimeout(r, 400));
      await route.continue();
    });
    const drawer = new AddTokenDrawer(page);
    await drawer.open('acme-edge');
    const d = drawer.dialog();
    await d.getByText('Advanced authorization options').click();
    await d.getByLabel('Bitbucket username').fill('not-the-owner');
    await d.getByLabel('Personal Access Token').fill(SAMPLE.bitbucket);
    await d.getByRole('button', { name: 'Add Token' }).click();
    const pending = d.getByRole('button', { name: 'Validating…' });
    await expect(pending).toBeVisible();
    await expect(pending).toBeDisabled();

    const alert = d.getByRole('alert');
    await expect(alert).toBeVisible();
    await expect(alert).toBeFocused();
    await expect(d.getByLabel('Bitbucket username')).toHaveValue('not-the-owner');
    await expect(d.getByLabel('Personal Access Token')).toHaveValue('');

    await d.getByLabel('Bitbucket username').fill(SAMPLE.bitbucketUser);
    await d.getByLabel('Personal Access Token').fill(SAMPLE.bitbucket);
    await d.getByRole('button', { name: 'Add Token' }).click();
    await expect(d).toBeHidden();
    await expect(page.getByRole('status')).toHaveText('Token added to acme-edge.');
    await expect(tokens.row('acme-edge')).toContainText('Valid');
    await expect(page.getByRole('region', { name: 'Recent activity' })).toContainText(/Token (added|replaced) · acme-edge/);
    // Focus is back on the row's button.
    await expect(tokens.row('acme-edge').getByRole('link', { name: 'Add Token for acme-edge' })).toBeFocused();
    expect(docs).toEqual([]);
  });

  test('a drawer left while its call is running still updates the list when the call ends', async ({ page, request }) => {
    const docs = countDocuments(page);
    const tokens = new TokensPage(page);
    const token = await registerToken(request, 'dana-demo');
    await page.route('**/api/add_token', async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    const drawer = new AddTokenDrawer(page);
    await drawer.open('acme-prod');
    await drawer.fill(token);
    await expect(drawer.dialog().getByRole('button', { name: 'Validating…' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(drawer.dialog()).toBeHidden();
    await expect(page.getByRole('status')).toHaveText('Token added to acme-prod.');
    await expect(tokens.row('acme-prod')).toContainText(`••••${token.slice(-4)}`);
    expect(docs).toEqual([]);
  });

  test('a revoked token rings the bell; Hide notifications flips at once, and back', async ({ page, request }) => {
    const tokens = new TokensPage(page);
    const token = await registerToken(request, 'dana-demo');
    await new AddTokenDrawer(page).open('acme-prod');
    await new AddTokenDrawer(page).fill(token);
    await expect(tokens.row('acme-prod')).toContainText('Valid');
    expect((await request.post(`${EMULATOR_URL}/_emulator/tokens/${token}/revoke`)).status()).toBe(204);
    await expect(async () => {
      await page.reload();
      await expect(tokens.row('acme-prod')).toContainText('Invalid', { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await hydrated(page);

    const docs = countDocuments(page);
    const bell = page.getByRole('button', { name: /^Notifications: \d+$/ });
    const before = Number((await bell.getAttribute('aria-label'))!.split(': ')[1]);
    expect(before).toBeGreaterThan(0);
    const row = tokens.row('acme-prod');
    await row.getByRole('button', { name: 'More actions for acme-prod' }).click();
    await page.getByRole('menuitemcheckbox', { name: 'Hide notifications' }).click();
    await expect(page.getByRole('button', { name: `Notifications: ${before - 1}` })).toBeVisible();
    await expect(row.getByRole('img', { name: 'Notifications hidden' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Token alerts' }).filter({ hasText: 'acme-prod' })).toHaveCount(0);
    await expect(page.getByRole('region', { name: 'Recent activity' })).toContainText('acme-prod');

    // A refusal by the server rolls the switch back and says so.
    await page.route('**/api/set_notifications_hidden', (route) =>
      route.continue({ postData: 'runtime_id=999999999&hidden=false' }),
    );
    await row.getByRole('button', { name: 'More actions for acme-prod' }).click();
    await page.getByRole('menuitemcheckbox', { name: 'Hide notifications' }).click();
    await expect(page.getByRole('alert').filter({ hasText: /GitOps Runtime/ })).toBeVisible();
    await expect(row.getByRole('img', { name: 'Notifications hidden' })).toBeVisible();
    await expect(page.getByRole('button', { name: `Notifications: ${before - 1}` })).toBeVisible();
    await page.unroute('**/api/set_notifications_hidden');

    await row.getByRole('button', { name: 'More actions for acme-prod' }).click();
    await page.getByRole('menuitemcheckbox', { name: 'Hide notifications' }).click();
    await expect(page.getByRole('button', { name: `Notifications: ${before}` })).toBeVisible();
    await expect(row.getByRole('img', { name: 'Notifications hidden' })).toHaveCount(0);

    // Delete Token, confirmed in its drawer, in place too.
    await row.getByRole('link', { name: 'Delete Token for acme-prod' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Token' });
    await dialog.getByRole('button', { name: 'Delete Token' }).click();
    await expect(dialog).toBeHidden();
    await expect(row).toContainText('No token');
    await expect(page.getByRole('button', { name: `Notifications: ${before - 1}` })).toBeVisible();
    await expect(row.getByRole('link', { name: 'Add Token for acme-prod' })).toBeFocused();
    expect(docs).toEqual([]);
  });

  test('Admin: a new API key stays shown while the list updates in place', async ({ page }) => {
    const docs = countDocuments(page);
    await new TokensPage(page).avatarButton().click();
    await page.getByRole('menuitem', { name: 'Admin' }).click();
    await page.getByRole('button', { name: 'Create API key for acme-staging' }).click();
    const key = page.getByLabel('New runtime API key');
    await expect(key).toHaveText(/^gpk_\w+_\w+$/);
    const prefix = (await key.innerText()).split('_')[1];
    await expect(page.getByRole('region', { name: 'Acme Platform' })).toContainText(`gpk_${prefix}_`);
    // Another change reads the list again; the key is still there to copy.
    await page.getByRole('button', { name: `Revoke key ${prefix}` }).click();
    await expect(page.getByRole('status').filter({ hasText: `API key ${prefix} revoked.` })).toBeVisible();
    await expect(key).toBeVisible();
    expect(docs).toEqual([]);
  });

  test('a drawer URL opened directly hydrates, takes focus, and Escape goes back to the list in place', async ({ page }) => {
    const tokens = new TokensPage(page);
    const href = await tokens.row('acme-staging').getByRole('link', { name: 'Add Token for acme-staging' }).getAttribute('href');
    await page.goto(href!);
    await hydrated(page);
    const dialog = page.getByRole('dialog', { name: 'Add Token' });
    await expect(dialog).toContainText('acme-staging');
    await expect(dialog).toBeFocused();
    const docs = countDocuments(page);
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(page).toHaveURL(/\/git-personal-access-tokens$/);
    await expect(tokens.row('acme-staging').getByRole('link', { name: 'Add Token for acme-staging' })).toBeFocused();
    expect(docs).toEqual([]);
  });

  test('the keyboard alone: avatar menu by arrow keys, a row\'s Add Token, Escape back', async ({ page }) => {
    const tokens = new TokensPage(page);
    await tokens.avatarButton().focus();
    await page.keyboard.press('ArrowDown');
    await expect(page.getByRole('menuitem', { name: 'Git Personal Access Token' })).toBeFocused();
    await page.keyboard.press('End');
    await expect(page.getByRole('menuitem', { name: 'Log out' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(tokens.avatarButton()).toBeFocused();

    const add = tokens.row('acme-staging').getByRole('link', { name: 'Add Token for acme-staging' });
    for (let i = 0; i < 80 && !(await add.evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press('Tab');
    }
    await expect(add).toBeFocused();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Add Token' });
    await expect(dialog).toBeVisible();
    await expect(dialog).toBeFocused();
    // Tab stays inside the drawer.
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(add).toBeFocused();
  });
});

test.describe('layout', () => {
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    test(`with tokens stored, rows stay compact and nothing overflows at ${width}px`, async ({ page }) => {
      await page.setViewportSize({ width, height });
      await signIn(page, DEMO);
      await hydrated(page);
      const tokens = new TokensPage(page);
      for (const [runtime, token, user] of [
        ['acme-prod', SAMPLE.github],
        ['acme-staging', SAMPLE.gitlab],
        ['acme-edge', SAMPLE.bitbucket, SAMPLE.bitbucketUser],
        // The widest row: "Expiring soon" (taken off again below; tokens.spec expects none here).
        ['globex-enterprise', SAMPLE.githubExpiring],
      ]) {
        if (await tokens.row(runtime).getByText('No token').count()) {
          await new AddTokenDrawer(page).open(runtime);
          await new AddTokenDrawer(page).fill(token, user);
          await expect(tokens.row(runtime)).toContainText(`••••${token.slice(-4)}`);
        }
      }
      const heights = await tokens.table().locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getBoundingClientRect().height));
      // A desktop row is one line of cells; a phone card stacks its eight labelled lines.
      const limit = width >= 720 ? 130 : 420;
      for (const h of heights) expect(h).toBeLessThan(limit);
      const overflow = await page.evaluate(() => {
        const table = document.querySelector('table.runtimes')!;
        const wrap = table.closest('.table-wrap')!;
        return {
          page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          table: wrap.scrollWidth - wrap.clientWidth,
        };
      });
      expect(overflow).toEqual({ page: 0, table: 0 });
      const del = tokens.row('acme-prod').getByRole('link', { name: 'Delete Token for acme-prod' });
      // Every row's last control (its context menu) lies inside the table's card.
      const wrapBox = (await page.locator('.table-wrap').boundingBox())!;
      for (const kebab of await tokens.table().getByRole('button', { name: /^More actions for / }).all()) {
        const k = (await kebab.boundingBox())!;
        expect(k.x + k.width).toBeLessThanOrEqual(wrapBox.x + wrapBox.width);
      }
      await del.scrollIntoViewIfNeeded();
      const box = (await del.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);

      await tokens.row('globex-enterprise').getByRole('link', { name: 'Delete Token for globex-enterprise' }).click();
      await page.getByRole('dialog', { name: 'Delete Token' }).getByRole('button', { name: 'Delete Token' }).click();
      await expect(tokens.row('globex-enterprise')).toContainText('No token');
    });
  }
});
