import AxeBuilder from '@axe-core/playwright';
import { test, expect, hydrated, signIn, TokensPage, AddTokenDrawer, DEMO } from './fixtures';
import type { Page } from '@playwright/test';

/** WCAG 2.1 A and AA rules: no serious or critical violation on what is shown now. */
async function expectAccessible(page: Page, what: string) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, `axe on ${what}`).toEqual([]);
}

test('the sign-in page', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await expectAccessible(page, 'sign-in');
});

for (const scheme of ['light', 'dark'] as const) {
  test(`the token page, its open avatar menu and Add Token drawer (${scheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await signIn(page, DEMO);
    await hydrated(page);
    await expectAccessible(page, `token page (${scheme})`);

    await new TokensPage(page).avatarButton().click();
    await expect(page.getByRole('menuitem', { name: 'Log out' })).toBeVisible();
    await expectAccessible(page, `avatar menu (${scheme})`);
    await page.keyboard.press('Escape');

    const drawer = new AddTokenDrawer(page);
    await drawer.open('acme-edge');
    await drawer.dialog().getByText('Advanced authorization options').click();
    await expect(drawer.dialog().getByLabel('Bitbucket username')).toBeVisible();
    await expectAccessible(page, `Add Token drawer (${scheme})`);
  });
}

test('Admin and Change password', async ({ page }) => {
  await signIn(page, DEMO);
  await hydrated(page);
  await page.goto('/admin');
  await hydrated(page);
  await expectAccessible(page, 'Admin');
  await page.goto('/account/password');
  await hydrated(page);
  await expectAccessible(page, 'Change password');
});
