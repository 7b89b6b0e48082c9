import { test, expect, hydrated, signIn, AddTokenDrawer, OPS, SAMPLE } from './fixtures';
import type { Page } from '@playwright/test';

async function setLifetime(page: Page, days: string) {
  await page.goto('/admin');
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Globex Labs' });
  await section.getByText('Change the token policy').click();
  await section.getByLabel('Maximum token lifetime (days)').fill(days);
  await section.getByRole('button', { name: 'Save token policy' }).click();
  await expect(page.getByRole('status')).toHaveText('Token policy saved.');
}

test('an account admin limits token lifetime; the drawer says so and a longer-lived token is refused', async ({ page }) => {
  await signIn(page, OPS);
  await hydrated(page);
  await setLifetime(page, '30');
  await expect(page.getByRole('region', { name: 'Globex Labs' })).toContainText('Pasted tokens must expire within 30 days.');

  await page.goto('/git-personal-access-tokens');
  await hydrated(page);
  const drawer = new AddTokenDrawer(page);
  await drawer.open('globex-enterprise');
  await expect(drawer.dialog().getByRole('note')).toHaveText(
    'Your account admin allows tokens that expire within 30 days: set an expiration date when you create the token.',
  );
  await drawer.fill(SAMPLE.github);
  await expect(drawer.dialog().getByRole('alert')).toContainText('later than the 30 days your account admin allows');
  await expect(drawer.dialog()).toBeVisible();

  // Back to no limit, as the other journeys expect.
  await setLifetime(page, '');
  await expect(page.getByRole('region', { name: 'Globex Labs' })).toContainText('No limit on token lifetime.');
});
