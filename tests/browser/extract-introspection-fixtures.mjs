// Writes the introspection query texts that tests/introspection.rs sends, byte for byte as the
// tools produce them, into tests/fixtures/introspection/. Run it again after upgrading the
// `graphql` package here or the vendored GraphiQL:  node extract-introspection-fixtures.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getIntrospectionQuery } from 'graphql';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const fixtures = here('../fixtures/introspection/');

// graphql-js as codegen, Apollo tooling, Postman and schema linters call it.
writeFileSync(`${fixtures}graphql-js-default.graphql`, getIntrospectionQuery());
writeFileSync(
  `${fixtures}graphql-js-all-options.graphql`,
  getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
  }),
);

// GraphiQL: the vendored bundle carries its own copy of graphql-js' getIntrospectionQuery
// (minified under some short name). Find the bundle's call site, which names that function
// and the options GraphiQL passes, cut the function's source out and run it with the options
// playground.js gives GraphiQL, as GraphiQL itself does on start.
const bundle = readFileSync(here('../../web-playground/graphiql.min.js'), 'utf8');
const callSite = bundle.match(
  /const r=t\|\|"IntrospectionQuery";let i=([A-Za-z_$][\w$]*)\(\{inputValueDeprecation:e,schemaDescription:n\}\)/,
);
if (!callSite) throw new Error('GraphiQL bundle: introspection call site not found');
const functionName = callSite[1];
const start = bundle.indexOf(`function ${functionName}(e){`);
if (start < 0) throw new Error(`GraphiQL bundle: function ${functionName} not found`);
let depth = 0;
let end = bundle.indexOf('{', start);
for (; end < bundle.length; end += 1) {
  if (bundle[end] === '{') depth += 1;
  if (bundle[end] === '}' && --depth === 0) break;
}
const graphiqlIntrospectionQuery = new Function(
  `${bundle.slice(start, end + 1)}; return ${functionName};`,
)();
// The props playground.js passes to GraphiQL; the browser test checks that the query GraphiQL
// really sends is this file, byte for byte.
writeFileSync(
  `${fixtures}graphiql.graphql`,
  graphiqlIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true }),
);
console.log('wrote', fixtures);
