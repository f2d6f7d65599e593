// Mounts GraphiQL for Catalyst. Loaded after react, react-dom and graphiql (all UMD globals).
//
// HTTP:       POST /graphql on this host, with whatever the Headers tab holds; an operation
//             with an `Upload` variable goes as a GraphQL multipart request.
// WebSocket:  /graphql on the same host (ws:// or wss:// to match the page), subprotocol
//             graphql-transport-ws (GraphiQL bundles the graphql-ws client). The server reads
//             the token from the connection_init payload, so the Authorization header typed
//             into the Headers tab is copied into connectionParams as `authorization`.
// Nothing is requested from any other host, and the token lives only in this page's memory
// and in the Headers tab of the tabs it was put in (GraphiQL does not persist headers).
(function () {
  'use strict';

  var h = React.createElement;
  var useState = React.useState;
  var useEffect = React.useEffect;
  var GRAPHQL_PATH = '/graphql';
  var PANEL_TITLE = 'Sign in & examples';

  function endpoint(websocket) {
    var url = new URL(GRAPHQL_PATH, window.location.href);
    if (websocket) {
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    }
    return url.toString();
  }

  var httpUrl = endpoint(false);
  var wsUrl = endpoint(true);

  // ---- Page state shared by the fetcher and the panel ----------------------------------

  var page = {
    // { accessToken, refreshToken, user } once signed in through the panel or an example.
    session: null,
    // Values examples fill in (projectId, runId…), offered to every example tab opened later.
    remembered: {},
    // The chosen file for `Upload` variables; the examples' sample file when none is chosen.
    uploadFile: null,
    examples: [],
    sampleBookmarkFile: null,
    // GraphiQL's editor context, captured by the always-mounted toolbar bridge below.
    editor: null,
    listeners: []
  };

  function changed() {
    page.listeners.forEach(function (listener) { listener(); });
  }

  function usePageState() {
    var pair = useState(0);
    useEffect(function () {
      var listener = function () { pair[1](function (n) { return n + 1; }); };
      page.listeners.push(listener);
      return function () {
        page.listeners = page.listeners.filter(function (l) { return l !== listener; });
      };
    }, []);
    return page;
  }

  // ---- Headers and variables editors ----------------------------------------------------

  function parseJsonObject(text) {
    if (!text || !text.trim()) {
      return {};
    }
    try {
      var value = JSON.parse(text);
      return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
    } catch (error) {
      return null;
    }
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

  function headersWithToken(text, token) {
    var headers = parseJsonObject(text) || {};
    Object.keys(headers).forEach(function (name) {
      if (name.toLowerCase() === 'authorization') {
        delete headers[name];
      }
    });
    if (token) {
      headers.Authorization = 'Bearer ' + token;
    }
    return Object.keys(headers).length ? JSON.stringify(headers, null, 2) : '';
  }

  function fillAuthorizationHeader() {
    var editor = page.editor && page.editor.headerEditor;
    if (editor) {
      editor.setValue(headersWithToken(editor.getValue(), page.session && page.session.accessToken));
    }
  }

  function rememberVariables(values) {
    Object.assign(page.remembered, values);
    var editor = page.editor && page.editor.variableEditor;
    if (!editor) {
      return;
    }
    var variables = parseJsonObject(editor.getValue());
    if (variables) {
      editor.setValue(JSON.stringify(Object.assign(variables, values), null, 2));
    }
  }

  function signedIn(payload) {
    page.session = {
      accessToken: payload.accessToken,
      refreshToken: payload.refreshToken,
      user: payload.user || null
    };
    fillAuthorizationHeader();
    changed();
  }

  // ---- Examples: steps fill variables and sign in --------------------------------------

  function valueAt(data, path) {
    return path.split('.').reduce(function (value, key) {
      return value == null ? undefined : value[key];
    }, data);
  }

  function stepFor(operationName) {
    for (var i = 0; i < page.examples.length; i += 1) {
      var steps = page.examples[i].steps || [];
      for (var j = 0; j < steps.length; j += 1) {
        if (steps[j].operation === operationName) {
          return steps[j];
        }
      }
    }
    return null;
  }

  function applyStep(operationName, result) {
    var step = operationName && stepFor(operationName);
    if (!step || !result || !result.data) {
      return;
    }
    if (step.keep) {
      var values = {};
      Object.keys(step.keep).forEach(function (variable) {
        var value = valueAt(result.data, step.keep[variable]);
        if (value !== undefined && value !== null) {
          values[variable] = value;
        }
      });
      if (Object.keys(values).length) {
        rememberVariables(values);
      }
    }
    if (step.authorize) {
      var root = result.data[step.authorize.split('.')[0]];
      if (root && root.accessToken) {
        signedIn(root);
      }
    }
  }

  function openExample(example) {
    var editor = page.editor;
    if (!editor) {
      return;
    }
    var variables = Object.assign({}, example.variables);
    Object.keys(variables).forEach(function (name) {
      if (Object.prototype.hasOwnProperty.call(page.remembered, name)) {
        variables[name] = page.remembered[name];
      }
    });
    editor.addTab();
    // addTab fills the new tab's editors when React commits; write ours after that.
    window.setTimeout(function () {
      editor.queryEditor && editor.queryEditor.setValue(example.query);
      editor.variableEditor && editor.variableEditor.setValue(JSON.stringify(variables, null, 2));
      editor.headerEditor && editor.headerEditor.setValue(
        headersWithToken('', page.session && page.session.accessToken));
    }, 0);
  }

  function loadExamples() {
    window.fetch('/playground/assets/examples.json', { credentials: 'same-origin' })
      .then(function (response) { return response.json(); })
      .then(function (document) {
        page.examples = document.examples || [];
        page.sampleBookmarkFile = document.sampleBookmarkFile || null;
        changed();
      });
  }

  // ---- Fetcher ----------------------------------------------------------------------------

  function sameOriginFetch(url, options) {
    return window.fetch(url, Object.assign({}, options, { credentials: 'same-origin' }));
  }

  function typeName(type) {
    return type.kind === 'NamedType' ? type.name.value : typeName(type.type);
  }

  function selectedOperation(documentAST, operationName) {
    var operations = ((documentAST && documentAST.definitions) || []).filter(function (d) {
      return d.kind === 'OperationDefinition';
    });
    if (operationName) {
      return operations.filter(function (o) { return o.name && o.name.value === operationName; })[0];
    }
    return operations.length === 1 ? operations[0] : undefined;
  }

  function uploadVariables(operation) {
    return ((operation && operation.variableDefinitions) || [])
      .filter(function (definition) { return typeName(definition.type) === 'Upload'; })
      .map(function (definition) { return definition.variable.name.value; });
  }

  function fileToUpload() {
    if (page.uploadFile) {
      return page.uploadFile;
    }
    var sample = page.sampleBookmarkFile;
    return sample ? new File([sample.content], sample.name, { type: sample.type }) : null;
  }

  // The GraphQL multipart request spec: `operations`, `map`, then the file itself.
  function multipartRequest(params, headers, names) {
    var file = fileToUpload();
    if (!file) {
      return Promise.resolve({ errors: [{ message: 'choose a file in the Sign in panel first' }] });
    }
    var variables = Object.assign({}, params.variables);
    var map = {};
    names.forEach(function (name) {
      variables[name] = null;
      map['0'] = (map['0'] || []).concat(['variables.' + name]);
    });
    var form = new FormData();
    form.append('operations', JSON.stringify(Object.assign({}, params, { variables: variables })));
    form.append('map', JSON.stringify(map));
    form.append('0', file, file.name);
    return sameOriginFetch(httpUrl, { method: 'POST', headers: headers || {}, body: form })
      .then(function (response) { return response.json(); });
  }

  function isAsyncIterable(value) {
    return value != null && typeof value[Symbol.asyncIterator] === 'function';
  }

  // GraphiQL shows only the latest payload of a stream; this keeps every one, newest last.
  function runningList(operationName, stream) {
    var events = [];
    var iterator = stream[Symbol.asyncIterator]();
    var result = {};
    result[Symbol.asyncIterator] = function () {
      return {
        next: function () {
          return iterator.next().then(function (step) {
            if (step.done) {
              return step;
            }
            events.push(step.value);
            return {
              done: false,
              value: { subscription: operationName || null, eventsReceived: events.length, events: events.slice() }
            };
          });
        },
        return: function () {
          return iterator.return ? iterator.return() : Promise.resolve({ done: true });
        }
      };
    };
    return result;
  }

  // GraphiQL learns the operation name and document from the editor a moment after the text
  // changes; text pasted and run at once would go with the previous tab's name ("Unknown
  // operation named …"). Parse what is sent; a name it does not define falls back to its
  // only operation.
  function currentDocument(params, options) {
    var documentAST;
    try {
      documentAST = GraphiQL.GraphQL.parse(params.query);
    } catch (error) {
      return { params: params, options: options };
    }
    var operations = documentAST.definitions.filter(function (d) { return d.kind === 'OperationDefinition'; });
    var named = operations.some(function (o) { return o.name && o.name.value === params.operationName; });
    if (params.operationName && !named && operations.length === 1) {
      params = Object.assign({}, params, {
        operationName: operations[0].name ? operations[0].name.value : undefined
      });
    }
    return { params: params, options: Object.assign({}, options, { documentAST: documentAST }) };
  }

  // GraphiQL calls this with the parsed Headers tab as `options.headers`. A fetcher is cheap
  // to build, so build one per operation: a subscription then opens its WebSocket with the
  // token that is in the Headers tab right now (graphql-ws sends connectionParams as the
  // connection_init payload).
  function fetcher(params, options) {
    var current = currentDocument(params, options);
    params = current.params;
    options = current.options;
    var headers = options && options.headers;
    var operation = selectedOperation(options && options.documentAST, params.operationName);
    var operationName = params.operationName || (operation && operation.name && operation.name.value);
    var uploads = uploadVariables(operation);
    if (uploads.length) {
      return multipartRequest(params, headers, uploads).then(function (result) {
        applyStep(operationName, result);
        return result;
      });
    }
    var authorization = authorizationFrom(headers);
    var answer = GraphiQL.createFetcher({
      url: httpUrl,
      subscriptionUrl: wsUrl,
      wsConnectionParams: authorization ? { authorization: authorization } : {},
      // The server answers with one JSON body (no @defer/@stream), so ask for just that.
      enableIncrementalDelivery: false,
      fetch: sameOriginFetch
    })(params, options);
    return Promise.resolve(answer).then(function (result) {
      if (isAsyncIterable(result)) {
        return operation && operation.operation === 'subscription'
          ? runningList(operationName, result)
          : result;
      }
      applyStep(operationName, result);
      return result;
    });
  }

  // ---- The panel: sign in, uploads, examples ------------------------------------------------

  function graphql(query, variables) {
    var headers = { 'content-type': 'application/json' };
    if (page.session) {
      headers.authorization = 'Bearer ' + page.session.accessToken;
    }
    return sameOriginFetch(httpUrl, {
      method: 'POST',
      headers: headers,
      body: JSON.stringify({ query: query, variables: variables })
    }).then(function (response) { return response.json(); });
  }

  var REGISTER = 'mutation PlaygroundRegister($input: RegisterInput!) { register(input: $input) ' +
    '{ accessToken refreshToken user { id email displayName isAdmin } } }';
  var LOGIN = 'mutation PlaygroundLogin($input: LoginInput!) { login(input: $input) ' +
    '{ accessToken refreshToken mfaRequired mfaChallenge user { id email displayName isAdmin } } }';
  var VERIFY_MFA = 'mutation PlaygroundVerifyMfa($challenge: String!, $code: String!) { verifyMfa(challenge: $challenge, code: $code) ' +
    '{ accessToken refreshToken user { id email displayName isAdmin } } }';
  var LOGOUT = 'mutation PlaygroundLogout { logout }';

  function firstError(body) {
    return body && body.errors && body.errors.length ? body.errors[0].message : null;
  }

  function field(label, name, type, value, onChange, autoComplete) {
    return h('label', { className: 'catalyst-field' }, label,
      h('input', {
        name: name, type: type, value: value, autoComplete: autoComplete,
        onChange: function (event) { onChange(event.target.value); }
      }));
  }

  function SignIn() {
    var state = usePageState();
    var email = useState('');
    var password = useState('');
    var displayName = useState('');
    var code = useState('');
    var challenge = useState(null);
    var message = useState(null);
    var busy = useState(false);

    function finish(payload, error) {
      busy[1](false);
      if (error) {
        message[1](error);
        return;
      }
      if (payload && payload.mfaRequired) {
        challenge[1](payload.mfaChallenge);
        message[1]('Enter the code from your authenticator app.');
        return;
      }
      challenge[1](null);
      message[1](null);
      password[1]('');
      code[1]('');
      signedIn(payload);
    }

    function submit(kind) {
      return function (event) {
        event.preventDefault();
        busy[1](true);
        var request = kind === 'register'
          ? graphql(REGISTER, { input: { email: email[0], password: password[0], displayName: displayName[0] || email[0].split('@')[0] } })
          : kind === 'mfa'
            ? graphql(VERIFY_MFA, { challenge: challenge[0], code: code[0] })
            : graphql(LOGIN, { input: { email: email[0], password: password[0] } });
        request.then(function (body) {
          var root = kind === 'register' ? 'register' : kind === 'mfa' ? 'verifyMfa' : 'login';
          finish(body.data && body.data[root], firstError(body));
        }, function () { finish(null, 'the server did not answer'); });
      };
    }

    function signOut() {
      graphql(LOGOUT, {}).finally(function () {
        page.session = null;
        fillAuthorizationHeader();
        changed();
      });
    }

    if (state.session) {
      var user = state.session.user || {};
      return h('section', { className: 'catalyst-section', 'data-testid': 'signed-in' },
        h('p', null, 'Signed in as ', h('strong', null, user.email || 'you'),
          user.isAdmin ? ' (platform admin)' : ''),
        h('p', { className: 'catalyst-hint' },
          'The Authorization header of this tab and of every example tab you open is filled in. ' +
          'The token stays in this page and goes only to this server.'),
        h('div', { className: 'catalyst-buttons' },
          h('button', { type: 'button', className: 'graphiql-button', onClick: fillAuthorizationHeader },
            'Fill in this tab\u2019s header'),
          h('button', { type: 'button', className: 'graphiql-button', onClick: signOut }, 'Sign out')));
    }
    if (challenge[0]) {
      return h('form', { className: 'catalyst-section', onSubmit: submit('mfa') },
        field('Code', 'code', 'text', code[0], code[1], 'one-time-code'),
        message[0] && h('p', { className: 'catalyst-message', role: 'alert' }, message[0]),
        h('button', { type: 'submit', className: 'graphiql-button', disabled: busy[0] }, 'Verify'));
    }
    return h('form', { className: 'catalyst-section', onSubmit: submit('login') },
      field('Email', 'email', 'email', email[0], email[1], 'username'),
      field('Password', 'password', 'password', password[0], password[1], 'current-password'),
      field('Display name (to register)', 'displayName', 'text', displayName[0], displayName[1], 'nickname'),
      message[0] && h('p', { className: 'catalyst-message', role: 'alert' }, message[0]),
      h('div', { className: 'catalyst-buttons' },
        h('button', { type: 'submit', className: 'graphiql-button', disabled: busy[0] }, 'Log in'),
        h('button', { type: 'button', className: 'graphiql-button', disabled: busy[0], onClick: submit('register') },
          'Register')));
  }

  function Uploads() {
    var state = usePageState();
    return h('section', { className: 'catalyst-section' },
      h('label', { className: 'catalyst-field' }, 'File for Upload variables',
        h('input', {
          type: 'file', name: 'upload',
          onChange: function (event) {
            page.uploadFile = event.target.files && event.target.files[0] || null;
            changed();
          }
        })),
      h('p', { className: 'catalyst-hint' }, state.uploadFile
        ? 'Sending ' + state.uploadFile.name + '.'
        : 'None chosen: the Bookmarks example sends a small sample browser export.'));
  }

  function Examples() {
    var state = usePageState();
    return h('section', { className: 'catalyst-section' },
      h('p', { className: 'catalyst-hint' },
        'Each opens in a new tab. Run its operations top to bottom; ids an answer returns are ' +
        'filled into the variables for you.'),
      h('ul', { className: 'catalyst-examples' }, state.examples.map(function (example) {
        return h('li', { key: example.id },
          h('button', {
            type: 'button', className: 'graphiql-button', 'data-example': example.id,
            onClick: function () { openExample(example); }
          }, example.title),
          h('span', { className: 'catalyst-hint' }, example.summary));
      })));
  }

  function Panel() {
    return h('div', { className: 'catalyst-panel' },
      h('div', { className: 'graphiql-doc-explorer-title' }, 'Sign in'),
      h(SignIn),
      h(Uploads),
      h('div', { className: 'graphiql-doc-explorer-title' }, 'Examples'),
      h(Examples));
  }

  function PanelIcon() {
    return h('svg', { viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 1.5, 'aria-hidden': true },
      h('circle', { cx: 12, cy: 8, r: 4 }),
      h('path', { d: 'M4 21c0-4 4-6 8-6s8 2 8 6' }));
  }

  var panelPlugin = { title: PANEL_TITLE, icon: PanelIcon, content: Panel };

  // Rendered inside GraphiQL's providers at all times (the panel is not): it hands the editor
  // context to the fetcher and the panel.
  function EditorBridge() {
    var editor = GraphiQL.React.useEditorContext({ nonNull: true });
    page.editor = editor;
    // Beside an open panel the editors are narrow: wrap long lines instead of hiding their ends.
    useEffect(function () {
      [editor.queryEditor, editor.variableEditor, editor.headerEditor].forEach(function (codeMirror) {
        if (codeMirror) {
          codeMirror.setOption('lineWrapping', true);
        }
      });
    }, [editor.queryEditor, editor.variableEditor, editor.headerEditor]);
    return null;
  }

  var defaultQuery = [
    '# Welcome to the Catalyst playground.',
    '#',
    '# Sign in with the person icon on the left:',
    '# register or log in, and the Authorization',
    '# header is filled in for you. The same',
    '# panel opens worked examples as tabs:',
    '# users, reactions, projects and tasks with',
    '# live events, bookmarks, pipelines.',
    '#',
    '# The book icon is the schema: every type',
    '# and field. Ctrl-Space completes a field,',
    '# Ctrl-Enter runs the operation.',
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

  // Re-rendered on sign-in and sign-out, so a tab opened with "+" starts with the header too.
  function Playground() {
    var state = usePageState();
    var token = state.session && state.session.accessToken;
    return h(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultHeaders: token ? headersWithToken('', token) : undefined,
      plugins: [panelPlugin],
      // Keep in step with tests/browser/extract-introspection-fixtures.mjs.
      inputValueDeprecation: true,
      schemaDescription: true,
      toolbar: { additionalComponent: EditorBridge }
    }, h(GraphiQL.Logo, null, 'Catalyst'));
  }

  loadExamples();
  ReactDOM.createRoot(document.getElementById('graphiql')).render(h(Playground));
})();
