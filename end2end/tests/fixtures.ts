import { test as base, expect, Page } from '@playwright/test';

export const DEMO = { email: 'demo@gitpat.dev', password: 'gitpat-demo', initials: 'DD' };
export const OPS = { email: 'ops@gitpat.dev', password: 'gitpat-demo', initials: 'OO' };

// Every page must hydrate and log no errors or warnings: a failed hydration (or Leptos' warning
// of a read that can make one) must not pass unseen. A refused request (4xx, which the page then
// explains) is the one message a test may expect.
const EXPECTED_REFUSAL = /Failed to load resource: the server responded with a status of 4\d\d/;
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (m) => {
        if ((m.type() === 'error' || m.type() === 'warning') && !EXPECTED_REFUSAL.test(m.text())) errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await use(errors);
      expect(errors, 'browser console errors').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** Waits until the WASM has hydrated the page (the app root marks itself). */
export async function hydrated(page: Page) {
  await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
}

export class LoginPage {
  constructor(private page: Page) {}

  async goto(path = '/login') {
    await this.page.goto(path);
  }

  async signIn(user: { email: string; password: string }) {
    await this.page.getByLabel('Email').fill(user.email);
    await this.page.getByLabel('Password').fill(user.password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
  }
}

export class TokensPage {
  constructor(private page: Page) {}

  table() {
    return this.page.getByRole('table');
  }

  row(runtime: string) {
    return this.table().getByRole('row').filter({ has: this.page.getByRole('rowheader', { name: runtime, exact: true }) });
  }

  async runtimeNames(): Promise<string[]> {
    return (await this.table().getByRole('rowheader').allInnerTexts()).map((s) => s.trim());
  }

  avatarButton() {
    return this.page.getByRole('button', { name: 'Account menu' });
  }
}

export async function signIn(page: Page, user: { email: string; password: string }) {
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(user);
  await expect(page).toHaveURL(/\/git-personal-access-tokens/);
}

export const EMULATOR_URL = `http://127.0.0.1:${Number(process.env.GITPAT_E2E_PORT ?? 3100) + 1}`;

/** Demo sample tokens registered by `gitpat demo` in its emulator. */
export const SAMPLE = {
  github: 'ghp_demoValidToken0000000000000000000001',
  githubNoRepo: 'ghp_demoNoRepoScope000000000000000000002',
  githubExpiring: 'ghp_demoExpiringSoon00000000000000000003',
  gitlab: 'glpat-demoValidToken00000004',
  bitbucket: 'ATATTdemoBitbucketToken0006',
  bitbucketUser: 'dana@gitpat.dev',
  bitbucketServer: 'BBDC-demoServerToken0007',
};

export class AddTokenDrawer {
  constructor(private page: Page) {}

  dialog() {
    return this.page.getByRole('dialog', { name: 'Add Token' });
  }

  async open(runtime: string) {
    await this.page.getByRole('link', { name: `Add Token for ${runtime}` }).click();
    await expect(this.dialog()).toBeVisible();
    await expect(this.dialog()).toContainText(runtime);
  }

  async fill(token: string, username?: string) {
    const d = this.dialog();
    await d.getByText('Advanced authorization options').click();
    if (username !== undefined) await d.getByLabel('Bitbucket username').fill(username);
    await d.getByLabel('Personal Access Token').fill(token);
    await d.getByRole('button', { name: 'Add Token' }).click();
  }
}
