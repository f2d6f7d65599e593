// The graphql-sse client (the npm package, as a browser app would use it) against a real
// Catalyst server: a subscription and a query in the distinct connections mode, then in the
// single connection mode (reservation PUT, stream GET, operations POST, DELETE on unsubscribe).
// tests/sse.rs starts the server and runs this with ORIGIN, TOKEN and PROJECT_ID set; it exits
// non-zero, saying why, if anything differs from what the protocol and the API promise.
import { createClient } from 'graphql-sse';

const { ORIGIN, TOKEN, PROJECT_ID } = process.env;
const url = `${ORIGIN}/graphql`;
const headers = { Authorization: `Bearer ${TOKEN}` };
const EVENTS = `subscription($p: ID!, $after: String) {
  projectEvents(projectId: $p, after: $after) { cursor kind task { title } }
}`;

function fail(message) {
  console.error(message);
  process.exit(1);
}

async function createTask(title) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }',
      variables: { input: { projectId: PROJECT_ID, title } },
    }),
  });
  const body = await response.json();
  if (body.errors) fail(`createTask failed: ${JSON.stringify(body.errors)}`);
}

/// Reads `count` events of a subscription replaying from the log's start, making `titles`
/// (those not made yet) as it goes; returns the titles seen in order.
async function followEvents(client, count, makeAfter) {
  const seen = [];
  const iterator = client.iterate({ query: EVENTS, variables: { p: PROJECT_ID, after: '0' } });
  const timeout = setTimeout(() => fail(`timed out with ${JSON.stringify(seen)}`), 15_000);
  for await (const result of iterator) {
    if (result.errors) fail(`subscription error: ${JSON.stringify(result.errors)}`);
    seen.push(result.data.projectEvents.task.title);
    if (seen.length === makeAfter.at) await createTask(makeAfter.title);
    if (seen.length === count) break; // returns the iterator: the client stops the operation
  }
  clearTimeout(timeout);
  return seen;
}

async function me(client) {
  for await (const result of client.iterate({ query: '{ me { email } }' })) {
    return result.data.me.email;
  }
  fail('the query completed without a result');
}

function expectEqual(what, actual, expected) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

await createTask('first');
await createTask('second');

// Each client gets its own headers: in single connection mode it adds the stream token to them.
const distinct = createClient({ url, headers: { ...headers }, retryAttempts: 0 });
expectEqual(
  'distinct mode events',
  await followEvents(distinct, 3, { at: 2, title: 'third' }),
  ['first', 'second', 'third'],
);
expectEqual('distinct mode query', await me(distinct), process.env.EMAIL);
distinct.dispose();

const single = createClient({
  url,
  headers: { ...headers },
  singleConnection: true,
  retryAttempts: 0,
});
expectEqual('single mode query', await me(single), process.env.EMAIL);
expectEqual(
  'single connection mode events',
  await followEvents(single, 4, { at: 3, title: 'fourth' }),
  ['first', 'second', 'third', 'fourth'],
);
single.dispose();
console.log('graphql-sse client: both modes ok');
