/* Grassroots Ledger's GraphiQL page (api/graphiql/ide.py renders it).
 *
 * The bearer token lives in this tab only (sessionStorage, or this page's memory where
 * storage is off) and goes out as `Authorization: Bearer <token>`: a header on every
 * HTTP request, and the `connection_init` payload of subscriptions. GraphiQL is told
 * not to persist its headers editor, so no token lands in localStorage. In
 * development, "Get a token" asks this server for a short-lived token for the chosen
 * role (POST /graphiql/dev-token). Loaded as a file of this server: the page's
 * Content-Security-Policy runs no inline script.
 */
(function () {
  "use strict";

  var KEY = "grassroots-ledger.graphiql.token";
  var DEFAULT_QUERY = [
    "# Grassroots Ledger. Set a bearer token above (or, in development, get one),",
    "# then run this with Ctrl-Enter or the play button.",
    "{",
    "  me {",
    "    subject",
    "    name",
    "    roles",
    "  }",
    "}",
    ""
  ].join("\n");

  var body = document.body;
  var endpoint = new URL(body.getAttribute("data-endpoint"), window.location.href);
  var socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
  var tokenInput = document.getElementById("token");
  var status = document.getElementById("token-status");
  var memory = "";

  function load() {
    try {
      return window.sessionStorage.getItem(KEY) || "";
    } catch (e) {
      return memory;
    }
  }

  function save(token) {
    memory = token;
    try {
      if (token) {
        window.sessionStorage.setItem(KEY, token);
      } else {
        window.sessionStorage.removeItem(KEY);
      }
    } catch (e) {
      /* storage disabled: the page's memory keeps it until reload */
    }
  }

  function claims(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      part += "===".slice(0, (4 - (part.length % 4)) % 4);
      var bytes = Uint8Array.from(window.atob(part), function (c) { return c.charCodeAt(0); });
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      return null;
    }
  }

  function show(token, problem) {
    status.classList.toggle("problem", Boolean(problem));
    if (problem) {
      status.textContent = problem;
      return;
    }
    if (!token) {
      status.textContent = "no token";
      return;
    }
    var c = claims(token);
    if (!c) {
      status.textContent = "token set (not a JWT this page can read)";
      return;
    }
    var expires = new Date(c.exp * 1000);
    var expired = expires.getTime() <= Date.now();
    status.classList.toggle("problem", expired);
    status.textContent = "token: " + c.sub + " · " + (c.roles || []).join(", ") + " · " +
      (c.org ? "organization " + c.org : "whole system") + " · " +
      (expired ? "expired" : "until " + expires.toLocaleTimeString());
  }

  function fetcherFor(token) {
    var headers = token ? { Authorization: "Bearer " + token } : {};
    return GraphiQL.createFetcher({
      url: endpoint.href,
      subscriptionUrl: socket.href,
      headers: headers,
      wsConnectionParams: headers
    });
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  function render() {
    var token = load();
    show(token);
    /* A new fetcher makes GraphiQL fetch the schema again, now with this token. */
    root.render(React.createElement(GraphiQL, {
      fetcher: fetcherFor(token),
      defaultQuery: DEFAULT_QUERY,
      plugins: [explorer],
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true
    }));
  }

  function use(token) {
    save(token.trim());
    tokenInput.value = "";
    render();
  }

  document.getElementById("auth").addEventListener("submit", function (event) {
    event.preventDefault();
    use(tokenInput.value);
  });
  document.getElementById("forget-token").addEventListener("click", function () {
    use("");
  });

  var dev = document.getElementById("dev-token");
  if (dev) {
    document.getElementById("dev-mint").addEventListener("click", function () {
      var org = document.getElementById("dev-org").value.trim();
      window.fetch(dev.getAttribute("data-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ role: document.getElementById("dev-role").value, org: org || null })
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) {
            throw new Error(answer.error || ("HTTP " + response.status));
          }
          use(answer.token);
        });
      }).catch(function (error) {
        show("", "no token: " + error.message);
      });
    });
  }

  render();
})();
