// Mounts GraphiQL for Catalyst. Loaded after react, react-dom and graphiql (all UMD globals).
//
// HTTP:       POST/GET /graphql, with whatever the Headers tab holds.
// WebSocket:  /graphql on the same host (ws:// or wss:// to match the page), subprotocol
//             graphql-transport-ws (GraphiQL bundles the graphql-ws client). The server reads
//             the token from the connection_init payload, so the Authorization header typed
//             into the Headers tab is copied into connectionParams as `authorization`.
(function () {
  'use strict';

  var GRAPHQL_PATH = '/graphql';

  function endpoint(websocket) {
    var url = new URL(GRAPHQL_PATH, window.location.href);
    if (websocket) {
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    }
    return url.toString();
  }

  // The value of the Authorization header in the Headers tab, whatever its capitalisation.
  function authorizationFrom(headers) {
    if (!headers || typeof headers !== 'object') {
      return undefined;
    }
    for (var name in headers) {
      if (Object.prototype.hasOwnProperty.call(headers, name) &&
          name.toLowerCase() === 'authorization' &&
          typeof headers[name] === 'string' && headers[name].trim() !== '') {
        return headers[name].trim();
      }
    }
    return undefined;
  }

  var httpUrl = endpoint(false);
  var wsUrl = endpoint(true);

  function sameOriginFetch(url, options) {
    return window.fetch(url, Object.assign({}, options, { credentials: 'same-origin' }));
  }

  // GraphiQL calls this with the parsed Headers tab as `options.headers`. A fetcher is cheap
  // to build, so build one per operation: a subscription then opens its WebSocket with the
  // token that is in the Headers tab right now (graphql-ws sends connectionParams as the
  // connection_init payload).
  function fetcher(params, options) {
    var authorization = authorizationFrom(options && options.headers);
    return GraphiQL.createFetcher({
      url: httpUrl,
      subscriptionUrl: wsUrl,
      wsConnectionParams: authorization ? { authorization: authorization } : {},
      fetch: sameOriginFetch
    })(params, options);
  }

  var defaultQuery = [
    '# Welcome to the Catalyst playground.',
    '#',
    '# 1. Run `Register` below (or `login` with',
    '#    email + password) and copy `accessToken`.',
    '# 2. Open the Headers tab below and paste:',
    '#    {"Authorization": "Bearer <accessToken>"}',
    '# 3. Run `Me`, or the `ServerTime` subscription',
    '#    (a WebSocket to /graphql; the same token',
    '#    goes in its connection_init payload).',
    '#',
    '# Access tokens expire (`expiresAt`); trade the',
    '# refresh token with `refreshSession`.',
    '',
    'mutation Register {',
    '  register(input: {',
    '    email: "ada@example.com"',
    '    password: "correct horse battery"',
    '    displayName: "Ada"',
    '  }) {',
    '    accessToken',
    '    refreshToken',
    '    expiresAt',
    '    user { id email displayName }',
    '  }',
    '}',
    '',
    'query Me {',
    '  me { id email displayName isAdmin }',
    '}',
    '',
    'subscription ServerTime {',
    '  serverTime(intervalMs: 1000)',
    '}',
    ''
  ].join('\n');

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: 'headers'
    })
  );
})();
