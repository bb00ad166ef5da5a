// Playwright configuration for the console's end-to-end tests (README:
// tests/console/README.md). Debian's Chromium is used, never a downloaded
// browser: run through ./run, which sets PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1.
const { defineConfig } = require('@playwright/test');

// Chromium's sandbox needs user namespaces, which a container running as
// root usually lacks.
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

module.exports = defineConfig({
  testDir: __dirname,
  testMatch: 'console.spec.js',
  // One server (started by global-setup.js), one browser, one worker: the
  // scenario's steps share the server's state (keys, audit, usage).
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: 'list',
  globalSetup: require.resolve('./global-setup.js'),
  // The tests write their own screenshots (screenshots/NN-name.png).
  outputDir: 'test-results',
  use: {
    headless: true,
    screenshot: 'off',
    trace: 'off',
    video: 'off',
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: asRoot ? ['--no-sandbox'] : [],
    },
  },
});
