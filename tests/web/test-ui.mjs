// SPDX-License-Identifier: Apache-2.0
// Orbit's web UI in a real browser: Debian's chromium driven by playwright-core, against a
// real orbit (a database in a temporary directory), the test device client and
// `kos release upload`. An owner signs in, makes a project and a deployment, trusts the
// release key, registers a device and sees it check in, uploads a release, views its
// graph, attaches it and watches the device move to confirmed; a member with the user
// role finds no control that changes anything and the server refuses the change anyway;
// bad input in forms is answered next to the field; a server error and an unreachable
// server show a message, not a blank page; an expired session is said so; the UI's files
// come with their content types and security headers, and no path outside them is served.
// The release page names the key that signed it; a trace downloads native and as
// Perfetto JSON (a bad one says why next to the control); a phased rollout's phases come
// with their counts and every failed device is retried at once; the owner removes a
// member, deletes a device, an empty deployment and a release attached nowhere, each after
// a confirmation, the server's refusals (409) shown next to the control; the signed-in
// user makes an API token, shown once, and revokes it.
// Pages are shown at 1280x800 and 375 px wide and saved as screenshots in SHOTS.
//
// usage: node test-ui.mjs   (environment: KOS_BUILD, KOS_SOURCE, SHOTS, DB (sqlite or a
// postgresql:// URL), CHROMIUM (default /usr/bin/chromium))

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const build = process.env.KOS_BUILD;
const source = process.env.KOS_SOURCE;
const shots = process.env.SHOTS;
const kos = `${build}/src/cli/kos`;
const orbitBin = `${build}/src/orbit/orbit`;
const deviceBin = `${build}/tests/orbit/orbit-device`;
const T = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'kos-web-test.'));
const DB = process.env.DB && process.env.DB !== 'sqlite' ? process.env.DB : `sqlite:${T}/orbit.db`;
const WAIT = 15000;
let orbit = null;
let browser = null;
let checks = 0;
const pageErrors = [];

function fail(message) { throw new Error(message); }
function check(cond, message) { if (!cond) fail(message); checks++; }
function run(cmd, args, input, env) {
  return execFileSync(cmd, args, { input, env: { ...process.env, ...(env || {}) }, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}
async function waitFor(what, fn, ms = WAIT) {
  const end = Date.now() + ms;
  for (;;) {
    try { if (await fn()) return; } catch { /* not yet */ }
    if (Date.now() > end) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startOrbit() {
  fs.rmSync(`${T}/port`, { force: true });
  orbit = spawn(orbitBin, ['--db', DB, '--store', `${T}/store`, '--port-file', `${T}/port`],
    { stdio: ['ignore', 'ignore', fs.openSync(`${T}/orbit.log`, 'a')] });
  await waitFor('orbit to listen', () => fs.existsSync(`${T}/port`) && fs.readFileSync(`${T}/port`, 'utf8').trim());
  return `http://127.0.0.1:${fs.readFileSync(`${T}/port`, 'utf8').trim()}`;
}

async function stopOrbit() {
  if (!orbit) return;
  const exited = new Promise((r) => orbit.once('exit', (code, signal) => r({ code, signal })));
  orbit.kill('SIGTERM');
  const { code } = await exited;
  orbit = null;
  check(code === 0, `orbit exits 0 on SIGTERM (got ${code}): ${fs.readFileSync(`${T}/orbit.log`, 'utf8')}`);
}

// Saves the whole page as SHOTS/NN-name.png, numbered in the order the test shows them.
let shotCount = 0;
async function shot(page, name) {
  shotCount++;
  await page.screenshot({ path: `${shots}/${String(shotCount).padStart(2, '0')}-${name}.png`, fullPage: true });
}

// The field error shown next to input #id.
async function fieldError(page, id) {
  const el = page.locator(`#${id}-error`);
  await el.waitFor({ state: 'visible', timeout: WAIT });
  return el.textContent();
}

function device(url, method, p, body) {
  return run(deviceBin, ['--url', url, '--key', `${T}/device.key`, method, p, body || '']);
}

// The status of METHOD PATH sent as is (fetch would normalise the path).
function rawStatus(url, method, p) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/`, { method, path: p }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end();
  });
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const url = await startOrbit();
  run(orbitBin, ['admin', '--db', DB, 'create-user', 'owner@example.com'], 'owner-password\n');
  run(orbitBin, ['admin', '--db', DB, 'create-user', 'viewer@example.com'], 'viewer-password\n');
  run(orbitBin, ['admin', '--db', DB, 'create-org', 'weather-co', '--owner', 'owner@example.com']);
  run(kos, ['key', 'generate', `${T}/release`]);
  run(kos, ['key', 'generate', `${T}/device`]);
  run(kos, ['key', 'generate', `${T}/device-2`]);

  // -- how orbit serves the UI's files
  const index = await fetch(`${url}/`);
  check(index.status === 200 && index.headers.get('content-type') === 'text/html; charset=utf-8', 'the UI is served at /');
  check(/default-src 'none'; script-src 'self'/.test(index.headers.get('content-security-policy')), 'with a Content-Security-Policy of its own origin');
  check(index.headers.get('x-content-type-options') === 'nosniff', 'with nosniff');
  check((await fetch(`${url}/app.js`)).headers.get('content-type') === 'text/javascript; charset=utf-8', 'scripts are served as JavaScript');
  const etag = index.headers.get('etag');
  check((await fetch(`${url}/index.html`, { headers: { 'If-None-Match': etag } })).status === 304, 'a current copy is answered 304');
  for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/web/index.html', '/index.html/', '//app.js'])
    check(await rawStatus(url, 'GET', p) === 404, `${p} is not found`);
  check(await rawStatus(url, 'POST', '/index.html') === 405, 'a POST to a UI file is refused');
  check((await fetch(`${url}/api/v1/orgs`)).status === 401, 'the API is still the API');

  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const desk = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await desk.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.setDefaultTimeout(WAIT);

  // -- sign in, with bad input first
  await page.goto(`${url}/`);
  await page.locator('#login-email').waitFor();
  check(page.url().includes('#/login'), 'an anonymous visit lands on the sign-in page');
  await page.click('#login button[type=submit]');
  check(/email address/.test(await fieldError(page, 'login-email')), 'an empty email is answered next to the email field');
  await page.fill('#login-email', 'owner@example.com');
  await page.fill('#login-password', 'not-the-password');
  await page.click('#login button[type=submit]');
  check(/wrong email or password/.test(await fieldError(page, 'login-password')), 'a wrong password is answered next to the password field');
  await shot(page, 'sign-in-error');
  await page.fill('#login-password', 'owner-password');
  await page.click('#login button[type=submit]');
  await page.getByRole('link', { name: 'weather-co' }).waitFor();
  check((await page.textContent('main')).includes('owner'), 'the organisations page shows the role');
  await shot(page, 'organisations');

  // -- organisation: a project (a bad name first), a member (an unknown user first)
  await page.getByRole('link', { name: 'weather-co' }).click();
  await page.locator('#new-project-name').waitFor();
  await page.fill('#new-project-name', 'bad name!');
  await page.click('#new-project button[type=submit]');
  check(/1 to 64 characters/.test(await fieldError(page, 'new-project-name')), 'a bad project name is answered next to the field');
  await page.fill('#member-email', 'nobody@example.com');
  await page.click('#member button[type=submit]');
  check(/no such user/.test(await fieldError(page, 'member-email')), 'an unknown member is answered next to the email field');
  await page.fill('#member-email', 'viewer@example.com');
  await page.selectOption('#member-role', 'user');
  await page.click('#member button[type=submit]');
  await page.getByText('viewer@example.com').waitFor();
  await page.fill('#new-project-name', 'weather');
  await page.click('#new-project button[type=submit]');

  // -- project: a deployment, the release key (a bad key first)
  await page.locator('#new-deployment-name').waitFor();
  await page.fill('#new-key-public_key', 'not a key');
  await page.click('#new-key button[type=submit]');
  check(/Ed25519 public key in PEM/.test(await fieldError(page, 'new-key-public_key')), 'a bad key is answered next to the field');
  await page.fill('#new-key-public_key', fs.readFileSync(`${T}/release.pub`, 'utf8'));
  await page.click('#new-key button[type=submit]');
  await page.locator('main table code.digest').first().waitFor();
  await shot(page, 'project');
  await page.fill('#new-deployment-name', 'production');
  await page.click('#new-deployment button[type=submit]');

  // -- deployment: register the device, see it check in
  await page.locator('#register-name').waitFor();
  const deploymentUrl = page.url();
  await page.fill('#register-name', 'station-1');
  await page.fill('#register-public_key', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
  await page.click('#register button[type=submit]');
  check(/not an Ed25519 public key/.test(await fieldError(page, 'register-public_key')), 'a key the server refuses is answered next to the key field');
  await page.fill('#register-public_key', fs.readFileSync(`${T}/device.pub`, 'utf8'));
  await page.click('#register button[type=submit]');
  const row = page.locator('[data-device="station-1"]');
  await row.waitFor();
  const lastSeen = page.locator('tr', { has: row }).locator('td[data-label="Last seen"]');
  check((await lastSeen.textContent()) === 'never', 'a registered device that never checked in shows "never"');
  // the device runs the example system without the site image, and says so
  fs.writeFileSync(`${T}/old.dts`, fs.readFileSync(`${source}/examples/system/manifest.dts.in`, 'utf8')
    .replaceAll('@APPS@', `${source}/examples/apps`));
  run(kos, ['manifest', 'build', `${T}/old.dts`, '-o', `${T}/old.dtb`]);
  const oldDigest = run('sha256sum', [`${T}/old.dtb`]).slice(0, 64);
  device(url, 'POST', '/api/v1/device/checkin', JSON.stringify({ manifest: oldDigest }));
  check(device(url, 'POST', '/api/v1/device/manifest', JSON.stringify({ dtb: fs.readFileSync(`${T}/old.dtb`).toString('base64') }))
    .startsWith('200'), 'the device uploads its running manifest');
  await page.reload();
  await row.waitFor();
  check((await lastSeen.textContent()) !== 'never', 'a check-in shows as the device\'s last sighting');
  // a long poll, waiting for news: it shows as a later sighting
  const token = run(orbitBin, ['admin', '--db', DB, 'create-token', 'owner@example.com']).trim();
  const lastSeenNow = async () => (await (await fetch(`${url}/api/v1/orgs/1/devices/1`,
    { headers: { Authorization: `Bearer ${token}` } })).json()).last_seen;
  const seen = await lastSeenNow();
  await waitFor('a second to pass', async () => Date.now() / 1000 >= seen + 1);
  const poll = spawn(deviceBin, ['--url', url, '--key', `${T}/device.key`, 'POST', '/api/v1/device/checkin',
    JSON.stringify({ wait: 30, manifest: oldDigest })],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let pollOut = '';
  poll.stdout.on('data', (d) => { pollOut += d; });
  const pollDone = new Promise((r) => poll.once('exit', r));
  await waitFor('the long poll to show', async () => await lastSeenNow() > seen);
  await shot(page, 'deployment-device-checked-in');

  // -- the release, uploaded with kos release upload
  fs.writeFileSync(`${T}/site.erofs`, Buffer.alloc(65536, 7));
  const site = run('sha256sum', [`${T}/site.erofs`]).slice(0, 64);
  const dts = fs.readFileSync(`${source}/examples/system/manifest.dts.in`, 'utf8')
    .replaceAll('@APPS@', `${source}/examples/apps`)
    .replace('description = "weather station 1.0";',
      `description = "weather station 1.0 from Orbit";\n\tcomponents { site { sha256 = "${site}"; format = "erofs"; }; };`);
  fs.writeFileSync(`${T}/manifest.dts`, dts);
  run(kos, ['manifest', 'build', `${T}/manifest.dts`, '-o', `${T}/manifest.dtb`]);
  run(kos, ['manifest', 'sign', `${T}/manifest.dtb`, '--key', `${T}/release.key`]);
  const upload = run(kos, ['release', 'upload', '--orbit', url, '--project', '1', `${T}/manifest.dtb`, `${T}/site.erofs`], '',
    { KOS_ORBIT_TOKEN: token });
  check(/^release 1 version 1/m.test(upload), `kos release upload made release 1: ${upload}`);

  // -- the graph's SVG: for the organisation's members only, never another organisation's
  const svg = await fetch(`${url}/api/v1/orgs/1/releases/1/graph.svg`, { headers: { Authorization: `Bearer ${token}` } });
  check(svg.status === 200 && svg.headers.get('content-type') === 'image/svg+xml' && /<svg/.test(await svg.text()),
    'the release graph comes as SVG');
  check((await fetch(`${url}/api/v1/orgs/1/releases/1/graph.svg`)).status === 401, 'the graph needs a token');
  run(orbitBin, ['admin', '--db', DB, 'create-org', 'other-co', '--owner', 'viewer@example.com']);
  const other = run(orbitBin, ['admin', '--db', DB, 'create-token', 'viewer@example.com']).trim();
  check((await fetch(`${url}/api/v1/orgs/2/releases/1/graph.svg`, { headers: { Authorization: `Bearer ${other}` } })).status === 404,
    'another organisation\'s release graph is not found through one\'s own');
  check((await fetch(`${url}/api/v1/orgs/2/releases/1/graph.svg`, { headers: { Authorization: `Bearer ${token}` } })).status === 404,
    'nor through an organisation one is not a member of');

  // -- the release page: its graph and tables
  await page.goto(`${url}/#/orgs/1/projects/1`);
  await page.getByRole('link', { name: 'release 1', exact: true }).click();
  await page.locator('#graph-image').waitFor();
  await waitFor('the graph to load', () => page.locator('#graph-image').evaluate((img) => img.complete && img.naturalWidth > 100));
  const releaseText = await page.textContent('main');
  for (const word of ['weather', 'hello-phx', 'orbit-identity', 'Protocol connections', 'verified'])
    check(releaseText.includes(word), `the release page shows ${word}`);
  const keyId = (await (await fetch(`${url}/api/v1/orgs/1/projects/1/keys`, { headers: { Authorization: `Bearer ${token}` } })).json()).keys[0].key_id;
  check((await page.textContent('#signed-by')).includes(keyId), 'the release page names the trusted key that signed it');
  await shot(page, 'release');

  // -- attach (a bad phase list first) and watch the device move to confirmed
  await page.goto(deploymentUrl);
  await page.locator('#attach-release').waitFor();
  await page.selectOption('#attach-release', '1');
  await page.fill('#attach-phases', 'half');
  await page.click('#attach button[type=submit]');
  check(/cumulative phase sizes/.test(await fieldError(page, 'attach-phases')), 'a bad phase list is answered next to the field');
  await page.fill('#attach-phases', '');
  await page.fill('#attach-success', '0');
  await page.click('#attach button[type=submit]');
  check(/1 to 100/.test(await fieldError(page, 'attach-success')), 'a bad threshold is answered next to the field');
  await page.fill('#attach-success', '');
  const attached = Date.now();
  await page.click('#attach button[type=submit]');
  await pollDone;
  const toldMs = Date.now() - attached;
  check(/"target":\{"release":1/.test(pollOut), `the long-polling device is told of the attach: ${pollOut}`);
  console.log(`the device heard of the attach ${toldMs} ms after the click`);
  await waitFor('the device to show as assigned', async () => (await row.textContent()) === 'assigned');
  const target = JSON.parse(pollOut.split('\n')[1]).target;

  // before it moves, the device runs a manifest that differs from the release's
  await page.getByRole('link', { name: 'station-1' }).click();
  await page.locator('#diff-summary').waitFor();
  check(/items differ/.test(await page.textContent('#diff-summary')), 'the running manifest differs from the release\'s');
  const marked = (await page.locator('tr.diff td[data-label="Item"]').allTextContents()).join('; ');
  check(marked.includes('description') && marked.includes('component site / sha256'), `the differences are marked: ${marked}`);
  check(!marked.includes('app ethernet'), `what is the same is not marked: ${marked}`);
  await shot(page, 'device-differs');
  await page.goto(deploymentUrl);
  await row.waitFor();
  run(kos, ['store', 'init', `${T}/device-store`]);
  fs.mkdirSync(`${T}/trust`);
  fs.copyFileSync(`${T}/release.pub`, `${T}/trust/release.pub`);
  const report = (s) => device(url, 'POST', '/api/v1/device/progress', JSON.stringify({ release: 1, state: s }));
  report('downloading');
  await waitFor('the device to show as downloading', async () => (await row.textContent()) === 'downloading');
  await shot(page, 'deployment-downloading');
  run(kos, ['upgrade', `${T}/device-store`, '--from', target.source, '--trust', `${T}/trust`, '--ref', target.ref]);
  report('installed');
  run(kos, ['boot', 'select', `${T}/device-store`, '--trust', `${T}/trust`]);
  report('booted');
  run(kos, ['boot', 'confirm', `${T}/device-store`]);
  report('confirmed');
  await waitFor('the device to show as confirmed', async () => (await row.textContent()) === 'confirmed');
  await shot(page, 'deployment-confirmed');

  // -- the device: state, history, running manifest against the release's, tracing
  const dtb = fs.readFileSync(`${T}/manifest.dtb`);
  const digest = run('sha256sum', [`${T}/manifest.dtb`]).slice(0, 64);
  // what kosd and the boot decision know: the generations on the device, the apps' states
  const generations = [{ generation: 2, manifest: digest, state: 'good' },
    { generation: 1, manifest: oldDigest, state: 'good' }];
  const apps = [{ name: 'ethernet', state: 'ready', restarts: 0 }, { name: 'tunnel', state: 'ready', restarts: 0 },
    { name: 'hello-phx', state: 'restarting', restarts: 3 }, { name: 'admin', state: 'ready', restarts: 0 }];
  device(url, 'POST', '/api/v1/device/checkin', JSON.stringify({ manifest: digest, generations, apps }));
  check(device(url, 'POST', '/api/v1/device/manifest', JSON.stringify({ dtb: dtb.toString('base64') })).startsWith('200'),
    'the device uploads its new running manifest');
  await page.getByRole('link', { name: 'station-1' }).click();
  await page.locator('#diff-summary').waitFor();
  check(/exactly the release's manifest/.test(await page.textContent('#diff-summary')), 'the device page compares the running manifest with the release\'s');
  const deviceText = await page.textContent('main');
  check(/Onlineonline/.test(deviceText), 'the device that just checked in shows as online');
  check(/release 1, version 1/.test(deviceText), 'the device page names the running release');
  check((await page.locator('td[data-label="Generation"]').allTextContents()).join(' ') === '2 1' &&
    (await page.locator('td[data-label="State"]', { hasText: 'good' }).count()) === 2,
    'the device page lists the generations the device reported, with their states');
  check((await page.locator('td[data-label="App"]').allTextContents()).join(' ') === 'ethernet tunnel hello-phx admin' &&
    (await page.locator('td[data-label="Restarts"]').allTextContents()).join(' ') === '0 0 3 0' &&
    /restarting/.test(await page.locator('tr', { has: page.locator('td[data-label="App"]', { hasText: 'hello-phx' }) }).textContent()),
    'the device page lists the apps the device reported, with their states and restarts');
  check((await page.locator('td[data-label="Outcome"]').allTextContents()).join(' ') === 'confirmed booted installed downloading',
    'the device history lists its reports, newest first');
  await page.fill('#trace-app', '../x');
  await page.click('#trace button[type=submit]');
  check(/app name/.test(await fieldError(page, 'trace-app')), 'a bad app name is answered next to the field');
  await page.fill('#trace-app', 'hello-phx');
  await page.click('#trace button[type=submit]');
  await page.locator('#traces td[data-label="State"]', { hasText: 'queued' }).waitFor();
  check(await page.inputValue('#trace-app') === '', 'a form the server took is cleared');
  await page.selectOption('#trace-command', 'trace-upload');
  await page.fill('#trace-app', 'hello-phx');
  await page.click('#trace button[type=submit]');
  await page.locator('#traces td[data-label="Command"]', { hasText: 'trace-upload' }).waitFor();
  // the device hears of both commands, starts tracing and uploads a trace
  const commands = JSON.parse(device(url, 'POST', '/api/v1/device/checkin', JSON.stringify({ manifest: digest })).split('\n')[1]).commands;
  check(commands.map((c) => c.command).join(' ') === 'trace-start trace-upload', `the device gets the queued commands: ${JSON.stringify(commands)}`);
  device(url, 'POST', `/api/v1/device/commands/${commands[0].id}`, '{"state":"done"}');
  const traceBytes = 'a trace, as the device uploads it\n';
  check(device(url, 'POST', `/api/v1/device/commands/${commands[1].id}/trace`, traceBytes).startsWith('201'), 'the device uploads a trace');
  const download = page.locator('#traces td[data-label="Download"] button').first();
  await download.waitFor();
  check(await page.locator('#traces td[data-label="State"]', { hasText: 'done' }).count() === 2, 'both commands show as done');
  const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
  check(fs.readFileSync(await file.path(), 'utf8') === traceBytes, 'the trace downloads with the bytes the device uploaded');
  // those bytes are no trace file: as JSON, the server's refusal shows next to the control
  await page.locator('#traces button[data-format="json"]').first().click();
  const jsonError = page.locator('#traces td[data-label="Download"] .form-error').first();
  await jsonError.waitFor();
  check(/not a valid trace file/.test(await jsonError.textContent()), 'a bad trace as JSON says why next to the control');
  // a real trace file: native as uploaded, JSON as kos trace json converts it
  await page.selectOption('#trace-command', 'trace-upload');
  await page.fill('#trace-app', 'hello-phx');
  await page.click('#trace button[type=submit]');
  await waitFor('the second trace-upload to be queued', async () =>
    (await page.locator('#traces td[data-label="Command"]', { hasText: 'trace-upload' }).count()) === 2);
  const upload2 = JSON.parse(device(url, 'POST', '/api/v1/device/checkin', JSON.stringify({ manifest: digest })).split('\n')[1]).commands[0];
  const nativeTrace = `${source}/fuzz/corpus/trace-file/small.kostrace`;
  check(run(deviceBin, ['--url', url, '--key', `${T}/device.key`, '--body-file', nativeTrace, 'POST',
    `/api/v1/device/commands/${upload2.id}/trace`]).startsWith('201'), 'the device uploads a trace file');
  run(kos, ['trace', 'json', nativeTrace, '-o', `${T}/small.json`]);
  const json2 = page.locator('#trace-files tbody tr').nth(1).locator('button[data-format="json"]');
  await json2.waitFor();
  const [jsonFile] = await Promise.all([page.waitForEvent('download'), json2.click()]);
  check(jsonFile.suggestedFilename().endsWith('.json'), `the JSON download is named .json: ${jsonFile.suggestedFilename()}`);
  check(fs.readFileSync(await jsonFile.path(), 'utf8') === fs.readFileSync(`${T}/small.json`, 'utf8'),
    'the Perfetto JSON is what kos trace json makes of the trace file');
  const [nativeFile] = await Promise.all([page.waitForEvent('download'),
    page.locator('#trace-files tbody tr').nth(1).locator('button[data-format="native"]').click()]);
  check(fs.readFileSync(await nativeFile.path()).equals(fs.readFileSync(nativeTrace)), 'the native download is the trace file');
  await shot(page, 'device');
  const devicePath = new URL(page.url()).hash;

  // -- a phased rollout to another deployment pauses itself on a failure; retry, abort
  await page.goto(`${url}/#/orgs/1/projects/1`);
  await page.fill('#new-deployment-name', 'staging');
  await page.click('#new-deployment button[type=submit]');
  await page.locator('#register-name').waitFor();
  await page.fill('#register-name', 'station-2');
  await page.fill('#register-public_key', fs.readFileSync(`${T}/device-2.pub`, 'utf8'));
  await page.click('#register button[type=submit]');
  const row2 = page.locator('[data-device="station-2"]');
  await row2.waitFor();
  await page.selectOption('#attach-release', '1');
  await page.fill('#attach-phases', '1,100%');
  await page.click('#attach button[type=submit]');
  await page.getByRole('button', { name: 'Pause rollout' }).waitFor();
  check(/running phase 1 of 2/.test(await page.textContent('#live')), 'the rollout shows as running, in its first phase');
  const device2 = (m, p, b) => run(deviceBin, ['--url', url, '--key', `${T}/device-2.key`, m, p, b]);
  check(/"release":1/.test(device2('POST', '/api/v1/device/checkin', '{}')), 'the first phase\'s device is offered the release');
  device2('POST', '/api/v1/device/progress', '{"release":1,"state":"failed","reason":"fell back to generation 1"}');
  await waitFor('the failure to show', async () => (await row2.textContent()) === 'failed');
  await page.getByRole('button', { name: 'Resume rollout' }).waitFor();
  check(/paused phase 1 of 2/.test(await page.textContent('#live')), 'a failure in the first phase pauses the rollout');
  check((await page.textContent('#live')).includes('fell back to generation 1'), 'the failure\'s reason shows');
  const phaseStates = await page.locator('#live td[data-label="States"]').allTextContents();
  check(phaseStates.length === 2 && phaseStates[0] === 'failed1' && phaseStates[1] === 'no devices',
    `the server's counts per phase show: ${phaseStates.join(' | ')}`);
  await shot(page, 'rollout-paused');
  await page.setViewportSize({ width: 375, height: 800 });
  await waitFor('the phone layout', async () => await page.evaluate(() => window.innerWidth) === 375);
  const rolloutOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(rolloutOverflow <= 0, `phone-rollout-paused: the page fits 375 px (overflows by ${rolloutOverflow} px)`);
  await shot(page, 'phone-rollout-paused');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Retry all failed devices (1)' }).click();
  await waitFor('the retried device to start over', async () => (await row2.textContent()) === 'not started');
  await page.getByRole('button', { name: 'Abort rollout' }).click();
  await waitFor('the rollout to show as aborted', async () => /aborted phase 1 of 2/.test(await page.textContent('#live')));
  check(await page.getByRole('button', { name: 'Resume rollout' }).count() === 0, 'an aborted rollout offers no resume');
  // a device asks to join with an enrolment token; the owner accepts it
  await page.getByRole('button', { name: 'Make an enrolment token' }).click();
  const enrolment = (await page.locator('#enrolment-token code.token').textContent()).trim();
  run(kos, ['key', 'generate', `${T}/device-3`]);
  check(run(deviceBin, ['--url', url, '--key', `${T}/device-3.key`, '--enrol', enrolment, 'station-3']).startsWith('202'),
    'a device asks to join with the token the page made');
  const row3 = page.locator('tr', { has: page.locator('[data-device="station-3"]') });
  await row3.getByRole('button', { name: 'Accept' }).click();
  await waitFor('the device to show as accepted', async () => (await row3.locator('td[data-label="Accepted"]').textContent()) === 'yes');

  // -- the organisation page with its audit log
  await page.goto(`${url}/#/orgs/1`);
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  await page.locator('td[data-label="What"]', { hasText: 'attach' }).first().waitFor();
  await shot(page, 'organisation');

  // -- remove a member (the last owner cannot be: the refusal shows next to the control)
  run(orbitBin, ['admin', '--db', DB, 'create-user', 'leaver@example.com'], 'leaver-password\n');
  await page.fill('#member-email', 'leaver@example.com');
  await page.click('#member button[type=submit]');
  await page.locator('td[data-label="Email"]', { hasText: 'leaver@example.com' }).waitFor();
  await page.locator('#remove-member-1 button').click();
  await page.locator('#remove-member-1 .confirm-yes').click();
  await page.locator('#remove-member-1 .confirm-error').waitFor();
  check(/last owner/.test(await page.textContent('#remove-member-1 .confirm-error')), 'removing the last owner is refused next to the control');
  await shot(page, 'organisation-refused');
  const leaver = page.locator('tr', { has: page.locator('td[data-label="Email"]', { hasText: 'leaver@example.com' }) });
  await leaver.getByRole('button', { name: 'Remove' }).click();
  await leaver.getByRole('button', { name: 'Cancel' }).click();
  check(await leaver.count() === 1, 'cancelling leaves the member');
  await leaver.getByRole('button', { name: 'Remove' }).click();
  await leaver.getByRole('button', { name: 'Yes, remove' }).click();
  await waitFor('the member to be removed', async () => await leaver.count() === 0);

  // -- a deployment with devices cannot be deleted; delete its devices, then it
  const stagingUrl = `${url}/#/orgs/1/deployments/2`;
  await page.goto(stagingUrl);
  await page.locator('#delete-deployment button').click();
  await page.locator('#delete-deployment .confirm-yes').click();
  await page.locator('#delete-deployment .confirm-error').waitFor();
  check(/still has/.test(await page.textContent('#delete-deployment .confirm-error')), 'a deployment with devices is refused next to the control');
  await shot(page, 'deployment-delete-refused');
  for (const name of ['station-3', 'station-2']) {
    await page.getByRole('link', { name, exact: true }).click();
    await page.locator('#delete-device button').click();
    await page.locator('#delete-device .confirm-yes').click();
    await page.locator('#register-name').waitFor();
    await waitFor(`${name} to be gone`, async () => await page.locator(`[data-device="${name}"]`).count() === 0);
  }
  check(run(deviceBin, ['--url', url, '--key', `${T}/device-2.key`, 'POST', '/api/v1/device/checkin', '{}']).startsWith('401'),
    'a deleted device\'s key is refused');
  await page.locator('#delete-deployment button').click();
  await page.locator('#delete-deployment .confirm-yes').click();
  await page.locator('#new-deployment-name').waitFor();
  check(await page.getByRole('link', { name: 'staging', exact: true }).count() === 0, 'the empty deployment is deleted');

  // -- a release attached somewhere cannot be deleted; one attached nowhere can
  fs.writeFileSync(`${T}/manifest-2.dts`, dts.replace('weather station 1.0 from Orbit', 'weather station 1.1, never attached')
    .replace('version = <1>;', 'version = <2>;'));
  run(kos, ['manifest', 'build', `${T}/manifest-2.dts`, '-o', `${T}/manifest-2.dtb`]);
  run(kos, ['manifest', 'sign', `${T}/manifest-2.dtb`, '--key', `${T}/release.key`]);
  check(/^release 2 /m.test(run(kos, ['release', 'upload', '--orbit', url, '--project', '1', `${T}/manifest-2.dtb`, `${T}/site.erofs`], '',
    { KOS_ORBIT_TOKEN: token })), 'a second release is uploaded');
  await page.goto(`${url}/#/orgs/1/releases/1`);
  await page.locator('#delete-release button').click();
  await page.locator('#delete-release .confirm-yes').click();
  await page.locator('#delete-release .confirm-error').waitFor();
  check(/target of 1 deployment/.test(await page.textContent('#delete-release .confirm-error')), 'an attached release is refused next to the control');
  await shot(page, 'release-delete-refused');
  await page.goto(`${url}/#/orgs/1/releases/2`);
  await page.locator('#delete-release button').click();
  await page.locator('#delete-release .confirm-yes').click();
  await page.locator('#new-deployment-name').waitFor();
  check(await page.getByRole('link', { name: 'release 2', exact: true }).count() === 0, 'the release attached nowhere is deleted');
  check(await page.getByRole('link', { name: 'release 1', exact: true }).count() === 1, 'the attached one stays');

  // -- the signed-in user's tokens: make an API token (a bad name first), use it, revoke it
  await page.click('#tokens-link');
  await page.locator('#new-api-token-name').waitFor();
  check(await page.locator('#tokens td[data-label="State"]', { hasText: 'in use by this page' }).count() === 1, 'the page\'s own session is marked');
  await page.fill('#new-api-token-name', 'no spaces allowed');
  await page.click('#new-api-token button[type=submit]');
  check(/1 to 64 characters/.test(await fieldError(page, 'new-api-token-name')), 'a bad token name is answered next to the field');
  await page.fill('#new-api-token-name', 'ci-script');
  await page.click('#new-api-token button[type=submit]');
  const made = (await page.locator('#new-token code').textContent()).trim();
  check(/^[0-9a-f]{64}$/.test(made), `the new token is shown once: ${made}`);
  const me = async () => (await fetch(`${url}/api/v1/me`, { headers: { Authorization: `Bearer ${made}` } })).status;
  check(await me() === 200, 'the new API token works');
  await shot(page, 'tokens');
  const ci = page.locator('tr', { has: page.locator('td[data-label="Name"]', { hasText: 'ci-script' }) });
  await ci.getByRole('button', { name: 'Revoke' }).click();
  await ci.getByRole('button', { name: 'Yes, revoke' }).click();
  await ci.locator('td[data-label="State"]', { hasText: 'revoked' }).waitFor();
  check(await me() === 401, 'the revoked token is refused');
  await page.reload();
  await page.locator('#new-api-token-name').waitFor();
  check(await page.locator('#new-token code').count() === 0, 'a token is never shown again');

  // -- phone width, owner
  const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });
  const ownerSession = await page.evaluate(() => sessionStorage.getItem('orbit.session'));
  const pp = await phone.newPage();
  pp.on('pageerror', (e) => pageErrors.push(e.message));
  pp.setDefaultTimeout(WAIT);
  await pp.goto(`${url}/`);
  await pp.evaluate((s) => sessionStorage.setItem('orbit.session', s), ownerSession);
  for (const [name, hash, ready] of [['phone-organisation', '#/orgs/1', '#new-project'],
    ['phone-project', '#/orgs/1/projects/1', '#new-deployment'],
    ['phone-deployment', deploymentUrl.slice(deploymentUrl.indexOf('#')), '#attach'],
    ['phone-release', '#/orgs/1/releases/1', '#graph-image'], ['phone-device', devicePath, '#diff-summary'],
    ['phone-tokens', '#/tokens', '#new-api-token']]) {
    await pp.goto(`${url}/${hash}`);
    await pp.locator(ready).waitFor();
    const overflow = await pp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `${name}: the page fits 375 px (overflows by ${overflow} px)`);
    await shot(pp, name);
  }

  // -- a member with the user role: sees everything, no control changes anything
  await page.click('#sign-out');
  await page.locator('#session-notice').waitFor();
  await page.fill('#login-email', 'viewer@example.com');
  await page.fill('#login-password', 'viewer-password');
  await page.click('#login button[type=submit]');
  await page.getByRole('link', { name: 'weather-co' }).waitFor();
  for (const [name, hash, ready] of [['user-organisation', '#/orgs/1', 'td[data-label="Email"]'],
    ['user-project', '#/orgs/1/projects/1', 'td[data-label="Deployment"]'],
    ['user-deployment', deploymentUrl.slice(deploymentUrl.indexOf('#')), '[data-device="station-1"]'],
    ['user-device', devicePath, '#diff-summary'], ['user-release', '#/orgs/1/releases/1', '#graph-image']]) {
    await page.goto(`${url}/${hash}`);
    await page.locator(ready).first().waitFor();
    await page.locator('.role-note').waitFor();
    check(await page.locator('[data-change]').count() === 0, `${name}: no control that changes anything`);
    check(await page.locator('main form, main input, main select, main textarea').count() === 0, `${name}: no form`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `${name}: the page fits 1280 px (overflows by ${overflow} px)`);
    await shot(page, name);
  }
  // the user's own tokens are theirs to manage, whatever the role
  await page.click('#tokens-link');
  await page.locator('#tokens td[data-label="State"]', { hasText: 'in use by this page' }).waitFor();
  check(await page.locator('#new-api-token').count() === 1, 'a member with the user role may make tokens of their own');
  const refused = await page.evaluate(async () => {
    const { token: t } = JSON.parse(sessionStorage.getItem('orbit.session'));
    const res = await fetch('/api/v1/orgs/1/deployments/1/attach', {
      method: 'POST', headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json' }, body: '{"release":1}' });
    return res.status;
  });
  check(refused === 403, `the server refuses a user's change (got ${refused})`);

  // -- another organisation's page, and a page the UI does not have
  await page.goto(`${url}/#/orgs/999`);
  await page.locator('.failure').waitFor();
  check(/does not exist, or it belongs to an organisation/.test(await page.textContent('.failure')), 'another organisation is not found');
  await page.goto(`${url}/#/nowhere`);
  await page.locator('.failure').waitFor();
  check(/no such page/.test(await page.textContent('.failure')), 'an unknown page says so');

  // -- an expired session is said so
  const expired = run(orbitBin, ['admin', '--db', DB, 'create-token', 'viewer@example.com', '--expires-in', '0']).trim();
  await page.evaluate((t) => sessionStorage.setItem('orbit.session', JSON.stringify({ token: t, email: 'viewer@example.com' })), expired);
  await page.goto(`${url}/#/orgs/1/projects/1`);
  await page.locator('#session-notice').waitFor();
  check(/session has expired/.test(await page.textContent('#session-notice')), 'an expired session is said so');
  check(page.url().includes('next='), 'signing in again leads back to the page');
  await shot(page, 'session-expired');
  await page.fill('#login-email', 'viewer@example.com');
  await page.fill('#login-password', 'viewer-password');
  await page.click('#login button[type=submit]');
  await page.locator('td[data-label="Deployment"]').first().waitFor();

  // -- a server error: the release's manifest is gone from orbit's store
  fs.rmSync(`${T}/store/objects/${digest.slice(0, 2)}/${digest.slice(2)}`);
  await page.goto(`${url}/#/orgs/1/releases/1`);
  await page.locator('.failure').waitFor();
  check(/cannot be read from the store/.test(await page.textContent('.failure .server-message')), 'a server error shows its message');
  check(/HTTP 500/.test(await page.textContent('.failure')), 'a server error shows its status');
  await shot(page, 'server-error');

  // -- the server goes away under a live page
  await page.goto(`${url}/${deploymentUrl.slice(deploymentUrl.indexOf('#'))}`);
  await row.waitFor();
  await stopOrbit();
  await page.locator('#banner').waitFor({ state: 'visible' });
  check(/cannot be reached/.test(await page.textContent('#banner')), 'an unreachable server is said so, the page kept');
  check(await row.isVisible(), 'the last loaded devices stay on the page');
  await shot(page, 'server-gone');

  check(pageErrors.length === 0, `no script error in the pages: ${pageErrors.join('; ')}`);
  console.log(`ok: ${checks} checks; screenshots in ${shots}`);
}

try {
  await main();
} catch (e) {
  console.error(`FAIL: ${e.message}`);
  if (e.stack) console.error(e.stack.split("\n").filter((l) => l.includes("test-ui.mjs")).join("\n"));
  if (fs.existsSync(`${T}/orbit.log`)) console.error(`--- orbit.log:\n${fs.readFileSync(`${T}/orbit.log`, 'utf8')}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  if (orbit) orbit.kill('SIGKILL');
  fs.rmSync(T, { recursive: true, force: true });
}
