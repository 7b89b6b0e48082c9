import { test, expect, hydrated, signIn, TokensPage, AddTokenDrawer, DEMO, OPS, EMULATOR_URL } from './fixtures';
import type { Page } from '@playwright/test';

async function openAdmin(page: Page) {
  await page.getByRole('button', { name: 'Account menu' }).click();
  await page.getByRole('menuitem', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
  await hydrated(page);
}

async function saveOAuthApp(page: Page, account: string, app: { provider: string; clientId: string; secret: string; authorize: string; token: string; scopes: string }) {
  const section = page.getByRole('region', { name: account });
  await section.getByText('Add or replace an OAuth app').click();
  await section.getByLabel('Git provider').first().selectOption({ label: app.provider });
  await section.getByLabel('Client ID').fill(app.clientId);
  await section.getByLabel('Client secret').fill(app.secret);
  await section.getByLabel('Authorize URL').fill(app.authorize);
  await section.getByLabel('Token URL').fill(app.token);
  await section.getByLabel('Permissions (scopes)').fill(app.scopes);
  await section.getByRole('button', { name: 'Save OAuth app' }).click();
  await expect(section.getByRole('table', { name: `OAuth apps of ${account}` })).toContainText(app.clientId);
  await expect(page.locator('body')).not.toContainText(app.secret);
}

async function authorizeAt(page: Page, runtime: string, family: string, decision: 'Authorize' | 'Cancel') {
  await new AddTokenDrawer(page).open(runtime);
  await page.getByRole('button', { name: `Authorize Access to ${family}` }).click();
  await expect(page.getByRole('heading', { name: /^Authorize / })).toBeVisible();
  await page.getByRole('button', { name: decision }).click();
  await expect(page).toHaveURL(/\/git-personal-access-tokens$/);
  await hydrated(page);
}

test('an account admin configures an OAuth app, and a user authorizes a runtime with it', async ({ page }) => {
  await signIn(page, OPS);
  await hydrated(page);
  await openAdmin(page);
  await saveOAuthApp(page, 'Globex Labs', {
    provider: 'GitHub Enterprise',
    clientId: 'demo-github-app',
    secret: 'demo-github-secret',
    authorize: `${EMULATOR_URL}/github-web/login/oauth/authorize`,
    token: `${EMULATOR_URL}/github-web/login/oauth/access_token`,
    scopes: 'repo',
  });

  await page.getByRole('menuitem', { name: 'Git Personal Access Token' }).or(page.getByRole('link', { name: 'gitpat' })).first().click();
  await expect(page).toHaveURL(/\/git-personal-access-tokens$/);
  await hydrated(page);
  await authorizeAt(page, 'globex-enterprise', 'GitHub', 'Authorize');
  await expect(page.getByRole('status')).toHaveText('Access to globex-enterprise authorized with GitHub.');
  const row = new TokensPage(page).row('globex-enterprise');
  await expect(row).toContainText('Valid');
  await expect(row).toContainText('OAuth');
  await expect(row).toContainText('dana-demo');
});

test('Cancel at the provider lands back with a message and no token', async ({ page }) => {
  await signIn(page, DEMO);
  await hydrated(page);
  await authorizeAt(page, 'acme-prod', 'GitHub', 'Cancel');
  await expect(page.getByRole('alert')).toHaveText('Authorization was cancelled at GitHub. No token was stored.');
  await expect(new TokensPage(page).row('acme-prod')).toContainText('No token');
});

test('a GitLab OAuth token is refreshed by the background task and stays valid', async ({ page, request }) => {
  const client = { client_id: `e2e-gitlab-${Date.now()}`, client_secret: 'e2e-secret', login: 'dana.demo', token_lifetime_secs: 6 };
  expect((await request.post(`${EMULATOR_URL}/_emulator/oauth-clients`, { data: client })).status()).toBe(201);

  await signIn(page, DEMO);
  await hydrated(page);
  await openAdmin(page);
  await saveOAuthApp(page, 'Acme Platform', {
    provider: 'GitLab',
    clientId: client.client_id,
    secret: client.client_secret,
    authorize: `${EMULATOR_URL}/gitlab/oauth/authorize`,
    token: `${EMULATOR_URL}/gitlab/oauth/token`,
    scopes: 'write_repository read_api',
  });
  await page.goto('/git-personal-access-tokens');
  await hydrated(page);
  await authorizeAt(page, 'acme-staging', 'GitLab', 'Authorize');
  const row = new TokensPage(page).row('acme-staging');
  await expect(row).toContainText('Valid');
  const first = await row.locator('.mono').innerText();

  // Tokens live 6 s here; the job (every 2 s in the e2e server) swaps in a new one before expiry.
  await expect(async () => {
    await page.reload();
    await expect(row.locator('.mono')).not.toHaveText(first, { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(row).toContainText('Valid');
  await expect(row).toContainText('OAuth');
});

test('an account admin creates a runtime API key and sees it once', async ({ page }) => {
  await signIn(page, DEMO);
  await hydrated(page);
  await openAdmin(page);
  await page.getByRole('button', { name: 'Create API key for acme-edge' }).click();
  const key = page.getByLabel('New runtime API key');
  await expect(key).toHaveText(/^gpk_\w+_\w+$/);
  const secret = await key.innerText();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
  await expect(page.locator('body')).not.toContainText(secret);
  await expect(page.getByRole('region', { name: 'Acme Platform' })).toContainText(secret.split('_').slice(0, 2).join('_'));
});

test('deleting an OAuth token revokes it at GitHub; a pasted token is removed here only', async ({ page, request }) => {
  await signIn(page, DEMO);
  await hydrated(page);
  await authorizeAt(page, 'acme-prod', 'GitHub', 'Authorize');
  const row = new TokensPage(page).row('acme-prod');
  await expect(row).toContainText('OAuth');
  const dialog = page.getByRole('dialog', { name: 'Delete Token' });
  await row.getByRole('link', { name: 'Delete Token for acme-prod' }).click();
  await expect(dialog).toContainText('The OAuth token is revoked at GitHub too.');
  await dialog.getByRole('button', { name: 'Delete Token' }).click();
  await expect(page.getByRole('status')).toHaveText('Token deleted from acme-prod and revoked at GitHub.');
  await expect(row).toContainText('No token');

  // A token of its own, so that no other runtime shares it.
  const pat = `ghp_e2eRemovedHere${Date.now()}`;
  expect((await request.post(`${EMULATOR_URL}/_emulator/tokens`, { data: { token: pat, login: 'dana-demo', scopes: ['repo'] } })).status()).toBe(201);
  const drawer = new AddTokenDrawer(page);
  await drawer.open('acme-prod');
  await drawer.fill(pat);
  await expect(row).toContainText(`••••${pat.slice(-4)}`);
  await row.getByRole('link', { name: 'Delete Token for acme-prod' }).click();
  await expect(dialog).toContainText('The token is removed here only: it stays valid at GitHub');
  await expect(dialog.getByRole('link', { name: 'GitHub settings page' })).toHaveAttribute('href', 'https://github.com/settings/tokens');
  await dialog.getByRole('button', { name: 'Delete Token' }).click();
  await expect(page.getByRole('status')).toHaveText(
    'Token deleted from acme-prod only: it stays valid at GitHub until you revoke it at https://github.com/settings/tokens',
  );
});
