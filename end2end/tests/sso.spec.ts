import { test, expect, hydrated, signIn, TokensPage, AddTokenDrawer, DEMO, EMULATOR_URL } from './fixtures';
import type { APIRequestContext, Page } from '@playwright/test';

// A runtime that names its repository takes only tokens that can write to it; behind GitHub's
// SAML single sign-on a token is kept as "Needs SSO authorization" with GitHub's link, until the
// user has authorized it there and checks again.

/** A fresh repository behind SAML SSO that dana-demo may write to, and two fresh tokens: dana-demo's
 * (not yet authorized for SSO) and one of an account that cannot see the repository. */
async function registerAtGitHub(request: APIRequestContext) {
  const n = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const repo = `sso-org/runtime-${n}`;
  const token = `ghp_sso${n}`.padEnd(40, '0');
  const stranger = `ghp_str${n}`.padEnd(40, '0');
  const r = await request.post(`${EMULATOR_URL}/_emulator/repos`, { data: { path: repo, access: { 'dana-demo': 'write' }, saml_sso: true } });
  expect(r.status()).toBe(201);
  for (const [t, login] of [[token, 'dana-demo'], [stranger, 'someone-else']]) {
    const res = await request.post(`${EMULATOR_URL}/_emulator/tokens`, { data: { token: t, login, scopes: ['repo'] } });
    expect(res.status()).toBe(201);
  }
  return { n, repo, token, stranger };
}

/** Adds a GitHub runtime naming `repo` to Acme Platform in the Admin area. */
async function addRuntime(page: Page, name: string, repo: string, js = true) {
  await page.goto('/admin');
  if (js) await hydrated(page);
  const section = page.getByRole('region', { name: 'Acme Platform' });
  const form = section.locator('details').filter({ has: page.locator('summary', { hasText: 'Add a GitOps Runtime' }) });
  await form.getByText('Add a GitOps Runtime').click();
  await form.getByLabel('Runtime name').fill(name);
  await form.getByLabel('Git provider').selectOption({ label: 'GitHub' });
  await form.getByLabel('API URL').fill(`${EMULATOR_URL}/github`);
  await form.getByLabel('Repository').fill(repo);
  await form.getByRole('button', { name: 'Add Runtime' }).click();
  await expect(page.getByRole('status')).toHaveText(`Runtime ${name} added.`);
  await expect(section).toContainText(repo);
}

/** Removes it again: the other journeys count Acme's runtimes and alerts. */
async function removeRuntime(page: Page, name: string, js = true) {
  await page.goto('/admin');
  if (js) await hydrated(page);
  const section = page.getByRole('region', { name: 'Acme Platform' });
  await section.getByText(`Remove ${name}…`).click();
  await section.getByRole('button', { name: `Remove runtime ${name}` }).click();
  await expect(page.getByRole('status')).toContainText(`Runtime ${name} removed`);
}

/** Follows the row's Authorize for SSO link to GitHub's SSO page (a new tab), authorizes the
 * token there, then opens the row's Check again drawer and checks. */
async function authorizeAtGitHub(page: Page, runtime: string) {
  const row = new TokensPage(page).row(runtime);
  const [github] = await Promise.all([page.waitForEvent('popup'), row.getByRole('link', { name: `Authorize for SSO at GitHub: ${runtime}` }).click()]);
  await expect(github.getByRole('heading', { name: 'Authorize your token for sso-org' })).toBeVisible();
  await github.getByRole('button', { name: 'Authorize' }).click();
  await expect(github.getByRole('heading', { name: 'Token authorized' })).toBeVisible();
  await github.close();
  await row.getByRole('link', { name: `Check again: ${runtime}` }).click();
  const drawer = page.getByRole('dialog', { name: 'Authorize for SSO' });
  await expect(drawer).toContainText('until you authorize it for your organization');
  await expect(drawer.getByRole('link', { name: 'Authorize the token at GitHub' })).toBeVisible();
  await drawer.getByRole('button', { name: 'Check again' }).click();
  await expect(page).toHaveURL(/\/git-personal-access-tokens$/);
  await expect(page.getByRole('status')).toHaveText(`Token for ${runtime} checked: Valid.`);
}

test('a token needs write access to the runtime repository, and SSO authorization where GitHub asks for it', async ({ page, request }) => {
  const { n, repo, token, stranger } = await registerAtGitHub(request);
  const name = `acme-sso-${n}`;
  await signIn(page, DEMO);
  await hydrated(page);
  await addRuntime(page, name, repo);

  await page.goto('/git-personal-access-tokens');
  await hydrated(page);
  const tokens = new TokensPage(page);
  const row = tokens.row(name);
  await expect(row).toContainText(repo);
  const drawer = new AddTokenDrawer(page);
  await drawer.open(name);
  await drawer.fill(stranger);
  await expect(drawer.dialog().getByRole('alert')).toContainText(`The token cannot write to the runtime's repository ${repo}`);
  await expect(row).toContainText('No token');

  await drawer.dialog().getByLabel('Personal Access Token').fill(token);
  await drawer.dialog().getByRole('button', { name: 'Add Token' }).click();
  await expect(drawer.dialog()).toBeHidden();
  await expect(page.getByRole('status')).toHaveText(`Token added to ${name}. GitHub asks you to authorize it for single sign-on: Authorize for SSO on its row.`);
  await expect(row).toContainText('Needs SSO authorization');
  await expect(page.getByRole('region', { name: 'Single sign-on' })).toContainText(name);
  await expect(page.getByRole('button', { name: /^Notifications: [1-9]/ })).toBeVisible();

  await authorizeAtGitHub(page, name);
  await expect(page.getByRole('dialog', { name: 'Authorize for SSO' })).toBeHidden();
  await expect(row).toContainText('Valid');
  await expect(row.getByRole('link', { name: `Authorize for SSO at GitHub: ${name}` })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Single sign-on' })).toHaveCount(0);

  // The admin points the runtime at another repository: saved, and shown in the Admin area.
  await page.goto('/admin');
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Acme Platform' });
  await section.getByText(`Repository of ${name}…`).click();
  const field = section.locator(`details:has(summary:text-is("Repository of ${name}…"))`).getByLabel('Repository', { exact: true });
  await expect(field).toHaveValue(repo);
  await field.fill('acme-oss/read-only-config');
  await section.getByRole('button', { name: `Save the repository of ${name}` }).click();
  await expect(page.getByRole('status')).toHaveText(`Repository of ${name} saved. Its tokens are checked against it in the next re-validation.`);
  await expect(section).toContainText('acme-oss/read-only-config');

  await removeRuntime(page, name);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the runtime is added, the token kept waiting for SSO, then checked again', async ({ page, request }) => {
    const { n, repo, token } = await registerAtGitHub(request);
    const name = `acme-sso-nojs-${n}`;
    await signIn(page, DEMO);
    await addRuntime(page, name, repo, false);

    await page.goto('/git-personal-access-tokens');
    await page.getByRole('link', { name: `Add Token for ${name}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Token' });
    await dialog.getByText('Advanced authorization options').click();
    await dialog.getByLabel('Personal Access Token').fill(token);
    await dialog.getByRole('button', { name: 'Add Token' }).click();
    await expect(page).toHaveURL(/\/git-personal-access-tokens$/);
    await expect(page.getByRole('status')).toContainText('GitHub asks you to authorize it for single sign-on');
    const row = new TokensPage(page).row(name);
    await expect(row).toContainText('Needs SSO authorization');

    await authorizeAtGitHub(page, name);
    await expect(new TokensPage(page).row(name)).toContainText('Valid');

    await removeRuntime(page, name, false);
  });
});
