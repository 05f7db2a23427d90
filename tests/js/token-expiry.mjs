// A socket whose token expires, with one of the unmodified npm clients (pushex or phoenix) against a PushEx test host
// whose socket handler accepts `token` until `exp` (Unix ms) and names the socket after `user`.
//
//   node token-expiry.mjs --client=pushex|phoenix --server=http://127.0.0.1:PORT --key=API_KEY --lifetime-ms=4000
//
// The client joins user:1 with a short-lived token and gets push 1. When the server closes the socket for the expired
// token, push 2 is posted while the client is away, and the app refreshes its token the way the README says:
//   phoenix  its `params` function (evaluated on every connect) returns the fresh token from then on;
//   pushex   `resetParams()` on the connection error, which comes when the reconnect with the stale token is refused.
// The client must reconnect and rejoin by itself and then get push 2 (recovered) and push 3 (live), each once.
// Prints one JSON line of what was observed and exits 0; on any failure prints the reason on stderr and exits 1.
import { startRun } from "./lib/harness.mjs";
import { createClient, packageVersion } from "./lib/clients.mjs";
import { postPush, socketUrl } from "./lib/server.mjs";

const LONG_LIFETIME_MS = 10 * 60_000;

const run = startRun("token-expiry", { overallTimeoutMs: 30_000 });
const kind = run.arg("client");
const server = run.arg("server");
const key = run.arg("key");
const lifetimeMs = Number(run.arg("lifetime-ms"));

// The app's credentials: what its login would hand out. The first token is short-lived, the refreshed one is not.
let issued = 0;
const issue = (lifetime) => {
  issued += 1;
  return { token: `token-${issued}`, exp: String(Date.now() + lifetime), user: "1" };
};
let credentials = issue(lifetimeMs);

const client = await createClient(kind, socketUrl(server), {
  getParams: async () => credentials,
  reconnectAfterMs: () => 100,
});
const push = (n) => run.within(`POST push ${n}`, postPush(server, key, { channel: "user:1", event: "n", data: n }));
const received = [];
client.subscribe("user:1").bind("*", (data) => received.push(data));

run.observed.client = kind;
run.observed.version = packageVersion(kind);
run.observed.endpoints = [];
run.observed.closes = [];
client.onOpen(() => run.observed.endpoints.push(client.endpointUrl()));

let expired = null;
const refreshed = new Promise((resolve) => {
  client.onClose((event) => {
    run.observed.closes.push({ code: event?.code ?? null, reason: event?.reason ?? null });
    if (event?.code !== 4001 || expired) {
      return;
    }

    // Whether the close itself counted as a connection error (it must not: only the refused reconnect does).
    run.observed.errorsAtExpiryClose = client.log.errors.length;
    expired = (async () => {
      await push(2);
      if (kind === "phoenix") {
        credentials = issue(LONG_LIFETIME_MS);
        await client.refreshParams();
        resolve();
      }
    })();
  });
  if (kind === "pushex") {
    // The same hook pushex's onConnectionError hangs on; the log counts that pushex fired it too.
    client.onError(() => {
      if (expired && credentials.token === "token-1") {
        credentials = issue(LONG_LIFETIME_MS);
        client.refreshParams().then(() => resolve());
      }
    });
  }
});

await run.within("connect()", client.connect());
await run.until("join user:1", () => client.joinReplies("user:1").length >= 1);
await push(1);
// Normally before the expiry; on a machine slow enough for the token to expire first, push 1 comes with the rejoin's
// recovery instead. The .NET test checks that each push arrived once, in order, either way.
await run.until("push 1", () => received.length >= 1);

await run.until("the expiry close", () => expired !== null, lifetimeMs + 5_000);
await run.within("push 2 while away", expired);
await run.within("the refreshed token", refreshed);
await run.until("the reconnect", () => client.log.opens === 2);
await run.until("the rejoin of user:1", () => client.joinReplies("user:1").length === 2);
await run.until("push 2", () => received.length >= 2);
await push(3);
await run.until("push 3", () => received.includes(3));

run.observed.received = received;
run.observed.opens = client.log.opens;
run.observed.errors = client.log.errors.length;
run.observed.pushexCallbacks = client.log.pushexCallbacks ?? null;
run.observed.recoveryEvents = client.log.recoveries["user:1"] ?? [];
run.observed.joinReplies = client.joinReplies("user:1");
await run.within("disconnect()", client.disconnect());
run.finish();
