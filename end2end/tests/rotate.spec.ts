import { test, expect, hydrated, signIn, TokensPage, AddTokenDrawer, DEMO, EMULATOR_URL } from './fixtures';

test('Rotate token: GitLab issues a new token and the row holds it at once', async ({ page, request }) => {
  // A token of its own, so that the demo's sample tokens stay valid for the other journeys.
  const token = `glpat-e2eRotate${Date.now()}`;
  const registered = await request.post(`${EMULATOR_URL}/_emulator/tokens`, {
    data: { token, login: 'dana.demo', scopes: ['write_repository', 'read_api'] },
  });
  expect(registered.status()).toBe(201);

  await signIn(page, DEMO);
  await hydrated(page);
  const drawer = new AddTokenDrawer(page);
  await drawer.open('acme-staging');
  await drawer.fill(token);
  const row = new TokensPage(page).row('acme-staging');
  await expect(row).toContainText(`••••${token.slice(-4)}`);

  await row.getByRole('button', { name: 'More actions for acme-staging' }).click();
  await page.getByRole('menuitem', { name: 'Rotate token' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate token' });
  await expect(dialog).toContainText('GitLab issues a new token with the same scopes and revokes this one');
  await dialog.getByRole('button', { name: 'Rotate token' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status')).toHaveText(
    'Token rotated at GitLab: acme-staging uses the new token, and the old one is revoked.',
  );
  await expect(row).not.toContainText(`••••${token.slice(-4)}`);
  await expect(row).toContainText('Valid');
  await expect(row.getByRole('button', { name: 'More actions for acme-staging' })).toBeFocused();
});
