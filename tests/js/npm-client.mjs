// Runs one case with one of the unmodified npm clients (pushex or phoenix) against a running sample server
// (samples/PushEx.Sample: GET /token?user=ID, topics user:{own id}, public, room:*, POST /api/push with a key).
//
//   node npm-client.mjs --client=pushex|phoenix --case=NAME --server=http://127.0.0.1:PORT --key=API_KEY
//
// Prints progress lines the .NET test may act on, then one JSON line of what was observed, and exits 0; on any
// failure prints the reason on stderr and exits 1. Every wait is bounded and the whole run has a hard deadline.
import { startRun } from "./lib/harness.mjs";
import { createClient, packageVersion } from "./lib/clients.mjs";
import { fetchToken, postPush, socketUrl } from "./lib/server.mjs";
import { connectCases } from "./cases/connect.mjs";
import { pushCases } from "./cases/pushes.mjs";
import { lifecycleCases } from "./cases/lifecycle.mjs";
import { keepAliveCases } from "./cases/keepalive.mjs";
import { recoveryCases } from "./cases/recovery.mjs";

const cases = { ...connectCases, ...pushCases, ...lifecycleCases, ...keepAliveCases, ...recoveryCases };

const run = startRun("npm-client", { overallTimeoutMs: 30_000 });
const kind = run.arg("client");
const caseName = run.arg("case");
const server = run.arg("server");
const key = run.arg("key", "dev-api-key");
const runCase = cases[caseName] ?? run.fail(`unknown case "${caseName}"; known: ${Object.keys(cases).join(", ")}`);

run.observed.client = kind;
run.observed.case = caseName;
run.observed.version = packageVersion(kind);

const context = {
  kind,
  server,

  /** A client of `kind` for the sample's user `user`: getParams asks GET /token for a token, as the sample page does. */
  async client({ user = "1", getParams, reconnectAfterMs = () => 50, heartbeatIntervalMs } = {}) {
    const client = await createClient(kind, socketUrl(server), {
      getParams: getParams ?? (async () => ({ token: await fetchToken(server, user) })),
      reconnectAfterMs,
      heartbeatIntervalMs,
    });
    // Every case checks the addressing of every push, whether or not this client would notice (PROTOCOL.md §3.6).
    client.onMessage(() => {
      const [wrong] = client.log.misaddressed;
      if (wrong) {
        run.fail(`the server sent a "msg" on ${wrong.topic} with join_ref ${JSON.stringify(wrong.joinRef)}, but the ` +
          `client's join of ${wrong.topic} is ${JSON.stringify(wrong.joinedAs)}: a push must carry its subscriber's join ref`);
      }
    });
    return client;
  },

  /** GET /token?user=ID: a valid token for that user. */
  token: (user) => run.within(`GET /token?user=${user}`, fetchToken(server, user)),

  /** POST /api/push as the backend; fails the run on anything but 200. */
  push(channel, event, data) {
    return run.within(`POST /api/push to ${channel}`, postPush(server, key, { channel, event, data }));
  },

  /** Collects what a binding receives, per name, as {data, event, argCount}. */
  inbox() {
    const received = new Map();
    return {
      /** A binding callback that records into the list `name`. */
      into(name) {
        if (!received.has(name)) {
          received.set(name, []);
        }
        return function binding(...args) {
          received.get(name).push({ data: args[0], event: args[1], argCount: args.length });
        };
      },
      list: (name) => received.get(name) ?? [],
      count: (name) => (received.get(name) ?? []).length,
    };
  },

  /** Waits for the first join reply of `topic` after `after` earlier ones, and returns it. */
  async joinReply(client, topic, { after = 0, name = `join ${topic}` } = {}) {
    await run.until(name, () => client.joinReplies(topic).length > after);
    return client.joinReplies(topic)[after];
  },

  /** Waits until the client's socket has opened `count` times. */
  opened(client, count = 1) {
    return run.until(`socket open #${count}`, () => client.log.opens >= count);
  },
};

await runCase(run, context);
run.finish();
