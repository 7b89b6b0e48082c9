import { defineConfig, devices } from '@playwright/test';

// The server under test: the debug build of `gitpat demo` on its own port, database and
// emulator port, so it never touches a developer's demo data.
const PORT = Number(process.env.GITPAT_E2E_PORT ?? 3100);
export const BASE_URL = `http://127.0.0.1:${PORT}`;
const BIN = process.env.GITPAT_E2E_BIN ?? '../target/debug/gitpat';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 7_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
  webServer: {
    command: `rm -rf .data && mkdir -p .data && exec ${BIN} demo`,
    url: `${BASE_URL}/healthz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      GITPAT_DATABASE_URL: 'sqlite://.data/e2e.db?mode=rwc',
      GITPAT_KEY_FILE: '.data/master.key',
      GITPAT_EMULATOR_ADDR: `127.0.0.1:${PORT + 1}`,
      GITPAT_REVALIDATE_EVERY: '2s',
      GITPAT_LOGIN_ATTEMPTS_PER_MINUTE: '1000',
      // Reminder mail on (the Email reminders switch shows), to a port where nothing listens:
      // the e2e journeys only need the switch; delivery is tested against a real server in Rust.
      GITPAT_SMTP_URL: `smtp://127.0.0.1:${PORT + 2}`,
      GITPAT_MAIL_FROM: 'gitpat e2e <gitpat@example.com>',
      LEPTOS_SITE_ADDR: `127.0.0.1:${PORT}`,
      LEPTOS_SITE_ROOT: '../target/site',
      LEPTOS_OUTPUT_NAME: 'gitpat',
      RUST_LOG: 'info,sqlx=warn',
    },
  },
});
