import { test, expect, hydrated, signIn, TokensPage, AddTokenDrawer, DEMO, OPS, SAMPLE, EMULATOR_URL } from './fixtures';
import type { Page } from '@playwright/test';

async function addToken(page: Page, runtime: string, token: string, username?: string) {
  const drawer = new AddTokenDrawer(page);
  await drawer.open(runtime);
  await drawer.fill(token, username);
}

test.describe('the demo user', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, DEMO);
    await hydrated(page);
  });

  test('adds a GitHub token', async ({ page }) => {
    const tokens = new TokensPage(page);
    await addToken(page, 'acme-prod', SAMPLE.github);
    await expect(page.getByRole('dialog')).toBeHidden();
    await expect(page.getByRole('status')).toHaveText('Token added to acme-prod.');
    const row = tokens.row('acme-prod');
    await expect(row).toContainText('Valid');
    await expect(row).toContainText('dana-demo');
    await expect(row).toContainText('••••0001');
    await expect(row.getByRole('link', { name: 'Delete Token for acme-prod' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Recent activity' })).toContainText(/Token (added|replaced) · acme-prod/);
    await expect(page.locator('body')).not.toContainText(SAMPLE.github);
  });

  test('adds a GitLab token', async ({ page }) => {
    await addToken(page, 'acme-staging', SAMPLE.gitlab);
    const row = new TokensPage(page).row('acme-staging');
    await expect(row).toContainText('Valid');
    await expect(row).toContainText('dana.demo');
  });

  test('adds a Bitbucket token with its username', async ({ page }) => {
    const drawer = new AddTokenDrawer(page);
    await drawer.open('acme-edge');
    await drawer.fill(SAMPLE.bitbucket, '');
    await expect(drawer.dialog().getByRole('alert')).toContainText('Enter your Bitbucket username');
    await drawer.dialog().getByLabel('Bitbucket username').fill(SAMPLE.bitbucketUser);
    await drawer.dialog().getByLabel('Personal Access Token').fill(SAMPLE.bitbucket);
    await drawer.dialog().getByRole('button', { name: 'Add Token' }).click();
    await expect(new TokensPage(page).row('acme-edge')).toContainText('Valid');
  });

  test('sees why a token is refused, and nothing is stored', async ({ page }) => {
    const drawer = new AddTokenDrawer(page);
    await drawer.open('globex-enterprise');
    await drawer.fill(SAMPLE.githubNoRepo);
    await expect(drawer.dialog().getByRole('alert')).toContainText('The token is missing required scopes: repo');
    await drawer.dialog().getByRole('link', { name: 'Cancel' }).click();
    await expect(new TokensPage(page).row('globex-enterprise')).toContainText('No token');
  });

  test('replaces a token', async ({ page }) => {
    const row = new TokensPage(page).row('acme-prod');
    await expect(row).toContainText('••••0001');
    await addToken(page, 'acme-prod', SAMPLE.githubExpiring);
    await expect(row).toContainText('••••0003');
    await expect(row).toContainText('Expiring soon');
    await expect(page.getByRole('region', { name: 'Expiring tokens' })).toContainText('1 token expires within 7 days');
  });

  test('deletes a token after confirming', async ({ page }) => {
    const row = new TokensPage(page).row('acme-staging');
    await row.getByRole('link', { name: 'Delete Token for acme-staging' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Token' });
    await expect(dialog).toContainText('The Runtime itself is not affected');
    await dialog.getByRole('button', { name: 'Delete Token' }).click();
    await expect(dialog).toBeHidden();
    await expect(row).toContainText('No token');
    await expect(row.getByRole('link', { name: 'Add Token for acme-staging' })).toBeVisible();
    await expect(row.getByRole('link', { name: 'Delete Token for acme-staging' })).toHaveCount(0);
  });
});

test('a token revoked at the provider turns invalid, rings the bell, and Hide notifications quiets it', async ({ page, request }) => {
  const token = `ghp_e2eRevoked${Date.now()}`;
  const registered = await request.post(`${EMULATOR_URL}/_emulator/tokens`, {
    data: { token, login: 'olu-ops', scopes: ['repo'] },
  });
  expect(registered.status()).toBe(201);

  await signIn(page, OPS);
  await hydrated(page);
  const tokens = new TokensPage(page);
  await addToken(page, 'globex-enterprise', token);
  await expect(tokens.row('globex-enterprise')).toContainText('Valid');
  await expect(page.getByRole('button', { name: 'Notifications: 0' })).toBeVisible();

  expect((await request.post(`${EMULATOR_URL}/_emulator/tokens/${token}/revoke`)).status()).toBe(204);
  // The background job (GITPAT_REVALIDATE_EVERY=2s in the e2e server) re-checks it.
  await expect(async () => {
    await page.reload();
    await expect(tokens.row('globex-enterprise')).toContainText('Invalid', { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await hydrated(page);
  const bell = page.getByRole('button', { name: 'Notifications: 1' });
  await expect(bell).toBeVisible();
  await expect(page.getByRole('region', { name: 'Token alerts' })).toContainText('globex-enterprise');
  await bell.click();
  await expect(page.getByRole('menu').getByRole('menuitem', { name: /globex-enterprise/ })).toBeVisible();
  await page.keyboard.press('Escape');

  const row = tokens.row('globex-enterprise');
  await row.getByRole('button', { name: 'More actions for globex-enterprise' }).click();
  const hide = page.getByRole('menuitemcheckbox', { name: 'Hide notifications' });
  await expect(hide).toHaveAttribute('aria-checked', 'false');
  await hide.click();
  await expect(page.getByRole('button', { name: 'Notifications: 0' })).toBeVisible();
  await expect(row.getByRole('img', { name: 'Notifications hidden' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Token alerts' })).toHaveCount(0);

  // And back: the switch shows them again.
  await row.getByRole('button', { name: 'More actions for globex-enterprise' }).click();
  await expect(page.getByRole('menuitemcheckbox', { name: 'Hide notifications' })).toHaveAttribute('aria-checked', 'true');
  await page.getByRole('menuitemcheckbox', { name: 'Hide notifications' }).click();
  await expect(page.getByRole('button', { name: 'Notifications: 1' })).toBeVisible();
});

test('the Email reminders switch turns reminder mail off and on again, and stays as set', async ({ page }) => {
  await signIn(page, OPS);
  await hydrated(page);
  const reminders = page.getByRole('switch', { name: 'Email reminders' });
  await expect(reminders).toHaveAttribute('aria-checked', 'true');
  await reminders.click();
  await expect(page.getByRole('status')).toHaveText('Reminder mail turned off.');
  await expect(reminders).toHaveAttribute('aria-checked', 'false');
  await page.reload();
  await hydrated(page);
  await expect(reminders).toHaveAttribute('aria-checked', 'false');
  await expect(page.getByRole('region', { name: 'Recent activity' })).toContainText('Reminder mail turned off');
  await reminders.click();
  await expect(reminders).toHaveAttribute('aria-checked', 'true');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the whole add flow works: error, then success', async ({ page }) => {
    await signIn(page, OPS);
    const tokens = new TokensPage(page);
    await page.getByRole('link', { name: 'Add Token for globex-dc' }).click();
    await expect(page).toHaveURL(/\/git-personal-access-tokens\/\d+\/add$/);
    const dialog = page.getByRole('dialog', { name: 'Add Token' });
    await dialog.getByText('Advanced authorization options').click();
    await dialog.getByLabel('Bitbucket username').fill('someone-else');
    await dialog.getByLabel('Personal Access Token').fill(SAMPLE.bitbucketServer);
    await dialog.getByRole('button', { name: 'Add Token' }).click();
    await expect(page.getByRole('alert')).toContainText('the token belongs to dana, not to someone-else');
    await expect(page.getByRole('dialog', { name: 'Add Token' })).toBeVisible();

    // After a refusal the advanced options stay open, the fields at hand.
    const again = page.getByRole('dialog', { name: 'Add Token' });
    await again.getByLabel('Bitbucket username').fill('dana');
    await again.getByLabel('Personal Access Token').fill(SAMPLE.bitbucketServer);
    await again.getByRole('button', { name: 'Add Token' }).click();
    await expect(page).toHaveURL(/\/git-personal-access-tokens$/);
    await expect(page.getByRole('status')).toHaveText('Token added to globex-dc.');
    await expect(tokens.row('globex-dc')).toContainText('Valid');
    await expect(tokens.row('globex-dc')).toContainText('••••0007');
  });

  test('the Email reminders switch posts and comes back with a notice', async ({ page }) => {
    await signIn(page, OPS);
    const reminders = page.getByRole('switch', { name: 'Email reminders' });
    await expect(reminders).toHaveAttribute('aria-checked', 'true');
    await reminders.click();
    await expect(page).toHaveURL(/\/git-personal-access-tokens$/);
    await expect(page.getByRole('status')).toHaveText('Reminder mail turned off.');
    await expect(reminders).toHaveAttribute('aria-checked', 'false');
    await reminders.click();
    await expect(reminders).toHaveAttribute('aria-checked', 'true');
  });
});
