import { test, expect, hydrated, signIn, LoginPage, TokensPage, DEMO, OPS } from './fixtures';

const DEMO_RUNTIMES = ['acme-edge', 'acme-prod', 'acme-staging', 'globex-dc', 'globex-enterprise', 'globex-onprem'];
const OPS_RUNTIMES = ['globex-dc', 'globex-enterprise', 'globex-onprem'];

test('a stranger is sent to login and comes back where they were going', async ({ page }) => {
  await page.goto('/git-personal-access-tokens?account=1');
  await expect(page).toHaveURL(/\/login\?next=/);
  await new LoginPage(page).signIn(DEMO);
  await expect(page).toHaveURL(/\/git-personal-access-tokens\?account=1$/);
});

test('a wrong password shows one error and keeps the user out', async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await hydrated(page);
  await login.signIn({ email: DEMO.email, password: 'not-the-password' });
  await expect(page.getByRole('alert')).toHaveText('Incorrect email or password.');
  await login.signIn({ email: 'nobody@gitpat.dev', password: 'whatever' });
  await expect(page.getByRole('alert')).toHaveText('Incorrect email or password.');
  await page.goto('/git-personal-access-tokens');
  await expect(page).toHaveURL(/\/login/);
});

test('the page lists exactly the runtimes of the user\'s accounts', async ({ page, browser }) => {
  await signIn(page, DEMO);
  await hydrated(page);
  const tokens = new TokensPage(page);
  await expect(page.getByRole('heading', { name: 'Git Personal Access Tokens' })).toBeVisible();
  expect((await tokens.runtimeNames()).sort()).toEqual(DEMO_RUNTIMES);
  await expect(tokens.row('acme-prod')).toContainText('Acme Platform');
  await expect(tokens.row('acme-prod')).toContainText('GitHub');
  await expect(tokens.row('acme-prod').getByRole('link', { name: 'Add Token for acme-prod' })).toBeVisible();

  const other = await browser.newContext();
  const opsPage = await other.newPage();
  await signIn(opsPage, OPS);
  expect((await new TokensPage(opsPage).runtimeNames()).sort()).toEqual(OPS_RUNTIMES);
  await expect(opsPage.getByText('Acme Platform')).toHaveCount(0);
  await other.close();
});

test('the account filter narrows the list to one account', async ({ page }) => {
  await signIn(page, DEMO);
  await page.getByRole('navigation', { name: 'Filter by account' }).getByRole('link', { name: 'Globex Labs' }).click();
  expect((await new TokensPage(page).runtimeNames()).sort()).toEqual(OPS_RUNTIMES);
});

test('the avatar menu works with the mouse', async ({ page }) => {
  await signIn(page, DEMO);
  await hydrated(page);
  const avatar = new TokensPage(page).avatarButton();
  await expect(avatar).toHaveText(DEMO.initials);
  await expect(avatar).toHaveAttribute('aria-haspopup', 'menu');
  await expect(avatar).toHaveAttribute('aria-expanded', 'false');
  await avatar.click();
  await expect(avatar).toHaveAttribute('aria-expanded', 'true');
  const menu = page.getByRole('menu');
  await expect(menu.getByRole('menuitem', { name: 'Git Personal Access Token' })).toBeVisible();
  await expect(menu.getByRole('menuitem', { name: 'Log out' })).toBeVisible();
  await menu.getByRole('menuitem', { name: 'Git Personal Access Token' }).click();
  await expect(page).toHaveURL(/\/git-personal-access-tokens$/);
});

test('Escape closes a menu opened with the mouse, focus on its button', async ({ page }) => {
  await signIn(page, DEMO);
  await hydrated(page);
  const avatar = new TokensPage(page).avatarButton();
  await avatar.click();
  await expect(avatar).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByRole('menuitem', { name: 'Log out' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menuitem', { name: 'Log out' })).toBeHidden();
  await expect(avatar).toHaveAttribute('aria-expanded', 'false');
  await expect(avatar).toBeFocused();
  await expect(page).toHaveURL(/\/git-personal-access-tokens$/);
});

test('the avatar menu works with the keyboard, and Log out ends the session', async ({ page }) => {
  await signIn(page, DEMO);
  await hydrated(page);
  const avatar = new TokensPage(page).avatarButton();
  await avatar.focus();
  await page.keyboard.press('Enter');
  const first = page.getByRole('menuitem', { name: 'Git Personal Access Token' });
  await expect(first).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'Admin' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'Change password' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'Log out' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(first).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(page.getByRole('menuitem', { name: 'Log out' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toBeHidden();
  await expect(avatar).toBeFocused();

  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
  await expect(page.getByRole('menuitem', { name: 'Log out' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/git-personal-access-tokens');
  await expect(page).toHaveURL(/\/login\?next=/);
});

test('the notifications bell names its count', async ({ page }) => {
  await signIn(page, DEMO);
  await expect(page.getByRole('button', { name: /^Notifications: \d+$/ })).toBeVisible();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('login, the list and a wrong password all work', async ({ page }) => {
    const login = new LoginPage(page);
    await login.goto();
    await login.signIn({ email: DEMO.email, password: 'wrong' });
    await expect(page.getByRole('alert')).toHaveText('Incorrect email or password.');
    await login.signIn(DEMO);
    await expect(page).toHaveURL(/\/git-personal-access-tokens$/);
    expect((await new TokensPage(page).runtimeNames()).sort()).toEqual(DEMO_RUNTIMES);
    await expect(page.getByRole('button', { name: 'Account menu' })).toHaveText(DEMO.initials);
  });
});
