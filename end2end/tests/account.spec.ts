import { test, expect, hydrated, signIn, TokensPage, OPS } from './fixtures';
import type { Page } from '@playwright/test';

async function changePassword(page: Page, current: string, next: string, confirm = next) {
  await page.getByLabel('Current password').fill(current);
  await page.getByLabel('New password', { exact: true }).fill(next);
  await page.getByLabel('Confirm new password').fill(confirm);
  await page.getByRole('button', { name: 'Change password' }).click();
}

test('changing the password signs out every other session', async ({ page, browser }) => {
  const other = await browser.newContext();
  const elsewhere = await other.newPage();
  await signIn(elsewhere, OPS);

  await signIn(page, OPS);
  await hydrated(page);
  await new TokensPage(page).avatarButton().click();
  await page.getByRole('menuitem', { name: 'Change password' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Change password');
  await hydrated(page);

  await changePassword(page, 'not-my-password', 'a-new-ops-password');
  await expect(page.getByRole('alert')).toHaveText('The current password is not correct.');

  await changePassword(page, OPS.password, 'a-new-ops-password');
  await expect(page).toHaveURL(/\/git-personal-access-tokens$/);
  await expect(page.getByRole('status')).toHaveText('Password changed. Your other sessions were signed out.');
  await expect(page.getByRole('region', { name: 'Recent activity' })).toContainText('Password changed');

  // The other browser is signed out on its next request.
  await elsewhere.reload();
  await expect(elsewhere).toHaveURL(/\/login/);
  await other.close();

  // Put the demo password back for the other journeys (without JavaScript this time).
  await page.goto('/account/password');
  await hydrated(page);
  await changePassword(page, 'a-new-ops-password', OPS.password);
  await expect(page.getByRole('status')).toHaveText('Password changed. Your other sessions were signed out.');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a refused change says why and keeps the password', async ({ page }) => {
    await signIn(page, OPS);
    await page.goto('/account/password');
    await changePassword(page, OPS.password, 'a-long-password-1', 'a-long-password-2');
    await expect(page.getByRole('alert')).toHaveText('The new password and its confirmation differ.');
  });
});
