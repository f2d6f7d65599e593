// Drives the system Chromium (headless, through playwright-core) against a running Catalyst
// server, as a developer would use /playground. tests/playground_browser.rs starts the server
// and runs this; any failed expectation exits non-zero with the reason.
//
//   PLAYGROUND_ORIGIN  http://127.0.0.1:<port> of the server under test
//   CHROMIUM           the browser binary (Debian's /usr/bin/chromium)
//   SCREENSHOT         where the picture of the final state goes (a .png path)
//   INTROSPECTION_FIXTURE  tests/fixtures/introspection/graphiql.graphql
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const origin = required('PLAYGROUND_ORIGIN');
const executablePath = required('CHROMIUM');
const screenshot = required('SCREENSHOT');
const introspectionFixture = readFileSync(required('INTROSPECTION_FIXTURE'), 'utf8');
const WAIT_MS = 20_000;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const started = Date.now();
function step(what) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);
}

// The same server, called from outside the page (as another client would).
async function graphql(query, variables, token) {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  check(!body.errors, `${query.split('{')[0]}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const userDataDir = mkdtempSync(join(tmpdir(), 'catalyst-playground-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1440, height: 900 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

const problems = [];
const serverHost = new URL(origin).host;
context.on('request', (request) => {
  const url = new URL(request.url());
  if (['data:', 'blob:'].includes(url.protocol)) return;
  if (url.host !== serverHost) problems.push(`request to another host: ${request.url()}`);
});
let introspectionQuery = null;
const sent = [];

try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(WAIT_MS);
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const body = request.postData();
    if (request.url().endsWith('/graphql')) sent.push(`${request.method()} ${(body || '').slice(0, 100)}`);
    if (request.url().endsWith('/graphql') && body && body.includes('"IntrospectionQuery"')) {
      introspectionQuery = JSON.parse(body).query;
    }
  });

  step('open /playground');
  const introspected = page.waitForResponse(
    (response) => response.url().endsWith('/graphql') && response.request().postData()?.includes('"IntrospectionQuery"'),
  );
  await page.goto(`${origin}/playground`);
  const introspection = await (await introspected).json();
  check(!introspection.errors, `introspection refused: ${JSON.stringify(introspection.errors)}`);
  check(introspectionQuery === introspectionFixture,
    'GraphiQL sent an introspection query other than tests/fixtures/introspection/graphiql.graphql');

  step('the docs explorer lists the query root\'s fields');
  await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
  await page.locator('.graphiql-doc-explorer').getByText('QueryRoot', { exact: true }).click();
  const fieldNames = page.locator('.graphiql-doc-explorer .graphiql-doc-explorer-field-name');
  await fieldNames.filter({ hasText: /^projects$/ }).first().waitFor();
  const listed = await fieldNames.allTextContents();
  for (const field of ['me', 'projects', 'pipelineComponents']) {
    check(listed.includes(field), `the docs explorer does not list QueryRoot.${field}: ${listed}`);
  }

  // The editors are CodeMirror 5 instances; their elements carry the editor object.
  const setEditor = (selector, text) => page.evaluate(([selector, text]) => {
    document.querySelector(`${selector} .CodeMirror`).CodeMirror.setValue(text);
  }, [selector, text]);
  const editorText = (selector) => page.evaluate(
    (selector) => document.querySelector(`${selector} .CodeMirror`).CodeMirror.getValue(), selector);
  const response = () => editorText('.graphiql-response');
  // The Variables and Headers editors share one pane; GraphiQL marks the other one `hidden`.
  const showTool = (name) => page.locator('.graphiql-editor-tools button', { hasText: new RegExp(`^${name}$`) }).click();
  const shownTool = (text) => page.evaluate((text) => {
    const editor = [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]
      .find((element) => !element.parentElement.classList.contains('hidden')).CodeMirror;
    if (text !== null) editor.setValue(text);
    return editor.getValue();
  }, text);
  // GraphiQL learns the operation's name from the text a moment after it changes (the tab's
  // title shows it), and for a while after a tab is added its run button does nothing at all
  // (no request, no state change: clicking again is safe). So wait for the title, then click
  // until the request goes out.
  const run = async (operationName) => {
    await page.waitForFunction(
      (name) => document.querySelector('.graphiql-tab-active')?.textContent.trim().startsWith(name),
      operationName);
    for (let attempt = 1; ; attempt += 1) {
      const sent = page.waitForRequest(
        (request) => request.url().endsWith('/graphql') && (request.postData() || '').includes(operationName),
        { timeout: 1_000 }).catch(() => null);
      const socket = page.waitForEvent('websocket', { timeout: 1_000 }).catch(() => null);
      await page.locator('.graphiql-execute-button').click();
      if (await Promise.race([sent, socket])) return;
      check(attempt < 10, `the run button never sent ${operationName}`);
    }
  };
  const responseMatching = async (predicate, what) => {
    const deadline = Date.now() + WAIT_MS;
    let text = '';
    while (Date.now() < deadline) {
      text = await response();
      try {
        if (text && predicate(JSON.parse(text))) return JSON.parse(text);
      } catch { /* not JSON yet */ }
      await page.waitForTimeout(100);
    }
    throw new Error(`the response never showed ${what}; last: ${text}`);
  };

  step('autocomplete offers a field');
  // A second tab, so the tab bar (and with it each tab's operation name) is shown.
  await page.getByRole('button', { name: 'Add tab' }).click();
  await setEditor('.graphiql-query-editor', 'query Components {\n  \n}\n');
  await page.evaluate(() => {
    const editor = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;
    editor.focus();
    editor.setCursor({ line: 1, ch: 2 });
  });
  await page.keyboard.type('pipelineComp');
  const hint = page.locator('.CodeMirror-hints .CodeMirror-hint', { hasText: 'pipelineComponents' });
  await hint.first().waitFor();
  await page.keyboard.press('Enter');
  await page.keyboard.type(' { name }');
  check((await editorText('.graphiql-query-editor')).includes('pipelineComponents { name }'),
    `autocomplete did not complete the field: ${await editorText('.graphiql-query-editor')}`);

  step('a query returns data');
  await run('Components');
  await responseMatching((body) => body.data?.pipelineComponents?.some((c) => c.name === 'inlineRows'),
    'pipelineComponents');

  step('sign in with the helper; `me` returns the user');
  const email = `browser-${Date.now()}@example.com`;
  const password = 'correct horse battery staple';
  await page.getByRole('button', { name: 'Show Sign in & examples' }).click();
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.locator('input[name=displayName]').fill('Browser');
  await page.getByRole('button', { name: 'Register' }).click();
  await page.locator('[data-testid=signed-in]').waitFor();
  await showTool('Headers');
  const headers = await shownTool(null);
  check(/"Authorization": "Bearer [^"]+"/.test(headers), `the Authorization header is not filled in: ${headers}`);
  await page.getByRole('button', { name: 'Add tab' }).click();
  await showTool('Headers');
  check((await shownTool(null)).includes('Bearer '), 'a tab opened after sign-in has no Authorization header');
  await setEditor('.graphiql-query-editor', 'query Me {\n  me { email displayName }\n}\n');
  await run('Me');
  await responseMatching((body) => body.data?.me?.email === email, '`me` as the new user');

  step('a projectEvents subscription lists events caused from outside the page');
  const { login } = await graphql(
    'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
    { input: { email, password } });
  const token = login.accessToken;
  const { createProject } = await graphql(
    'mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: 'Browser test' } }, token);
  const createTask = (title) => graphql(
    'mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }',
    { input: { projectId: createProject.id, title } }, token);
  await createTask('Before the page listens');
  const { project } = await graphql(
    'query($id: ID!) { project(id: $id) { activity(first: 1) { nodes { cursor } } } }',
    { id: createProject.id }, token);
  await page.locator('button[data-example=project-events]').click();
  await page.waitForFunction(
    () => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue().includes('subscription ProjectEvents'));
  // After the first task: events the server publishes before the socket listens are
  // replayed, so the test needs no sleep to avoid a race.
  await showTool('Headers');
  check((await shownTool(null)).includes('Bearer '), 'an example tab opened after sign-in has no Authorization header');
  await showTool('Variables');
  await shownTool(JSON.stringify({
    projectId: createProject.id,
    after: project.activity.nodes[0].cursor,
  }, null, 2));
  // The tasks may well be created before the socket subscribes: `after` replays them.
  await run('ProjectEvents');
  await createTask('First from outside');
  await createTask('Second from outside');
  const shown = await responseMatching((body) => body.eventsReceived === 2, 'two events');
  const titles = shown.events.map((event) => event.data.projectEvents.task?.title);
  check(JSON.stringify(titles) === JSON.stringify(['First from outside', 'Second from outside']),
    `events out of order or missing: ${JSON.stringify(shown)}`);

  await page.screenshot({ path: screenshot });
  step(`screenshot written to ${screenshot}`);
  check(problems.length === 0, problems.join('\n'));
  step('done');
} catch (error) {
  // A picture of the moment it went wrong, beside the one a passing run leaves.
  const page = context.pages()[0];
  if (page) await page.screenshot({ path: screenshot.replace(/\.png$/, '-failure.png') }).catch(() => {});
  if (problems.length) console.error(`also seen:\n${problems.join('\n')}`);
  console.error(`requests to /graphql:\n${sent.join('\n')}`);
  if (page) console.error(await page.evaluate(() => JSON.stringify({
    tabs: [...document.querySelectorAll('.graphiql-tab')].map((tab) => `${tab.className}: ${tab.textContent}`),
    execute: document.querySelector('.graphiql-execute-button')?.getAttribute('aria-label'),
    query: document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue(),
  })).catch(() => ''));
  throw error;
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
