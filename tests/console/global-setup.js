// Starts `trent serve` for the console tests: TRENT_BIN (default
// ../../target/debug/trent, a relative path being taken from this folder) on
// a free port of 127.0.0.1, a fresh data directory, and the fixed bootstrap
// identity of tests/interop/interop.py. The endpoint reaches the tests as
// TRENT_CONSOLE_ENDPOINT, and the path of a file for the state the tests
// share across workers (a failed test restarts its worker) as
// TRENT_CONSOLE_STATE; the returned function (Playwright's teardown) stops
// the server and removes both.
//
// With TRENT_CONSOLE_ENDPOINT already set, no server is started and that
// one is used (it must have the same bootstrap identity).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { IDENTITY } = require('./identity.js');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = async function globalSetup() {
  // This run's screenshots only.
  fs.rmSync(path.join(__dirname, 'screenshots'), { recursive: true, force: true });
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trent-console-state-'));
  process.env.TRENT_CONSOLE_STATE = path.join(stateDir, 'state.json');
  const removeState = () => fs.rmSync(stateDir, { recursive: true, force: true });
  if (process.env.TRENT_CONSOLE_ENDPOINT) {
    console.log(`console tests: using the server at ${process.env.TRENT_CONSOLE_ENDPOINT}`);
    return async () => removeState();
  }
  const bin = path.resolve(__dirname, process.env.TRENT_BIN || '../../target/debug/trent');
  if (!fs.existsSync(bin)) {
    removeState();
    throw new Error(`console tests: no trent binary at ${bin} (build it, or set TRENT_BIN)`);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trent-console-'));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRENT_')));
  Object.assign(env, {
    TRENT_LOG: 'warn',
    TRENT_BOOTSTRAP_ACCOUNT_ID: IDENTITY.accountId,
    TRENT_BOOTSTRAP_ACCESS_KEY_ID: IDENTITY.accessKeyId,
    TRENT_BOOTSTRAP_SECRET_ACCESS_KEY: IDENTITY.secretAccessKey,
    TRENT_REGIONS: IDENTITY.region,
  });
  const proc = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = null;
  proc.on('exit', (code, signal) => { exited = { code, signal }; });

  const stop = async () => {
    if (exited === null) {
      proc.kill('SIGTERM');
      for (let i = 0; i < 300 && exited === null; i++) await sleep(100);
      if (exited === null) {
        proc.kill('SIGKILL');
        for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
      }
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    removeState();
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      removeState();
      throw new Error(`console tests: trent exited during start-up (${JSON.stringify(exited)})`);
    }
    try {
      const r = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) break;
    } catch (_) { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('console tests: trent did not answer GET /health with 200 within 60 s');
    }
    await sleep(100);
  }
  console.log(`console tests: ${bin} serving ${endpoint} (data in ${dataDir})`);
  // Workers inherit the environment the global setup leaves.
  process.env.TRENT_CONSOLE_ENDPOINT = endpoint;
  return stop;
};
