// Runs the unmodified npm `phoenix` client against a PushEx server and prints what it observed.
//
//   node phoenix-roundtrip.mjs ws://127.0.0.1:PORT/push_socket
//
// Connects with params, joins `room:lobby` (expects ok) and `forbidden` (expects the error
// {reason: "unauthorized"}), waits for two acknowledged heartbeats, leaves `room:lobby` and
// disconnects. Prints one JSON line and exits 0; on any failure prints the reason on stderr and
// exits 1. A hard overall timeout makes sure it never hangs.
import { readFileSync } from "node:fs";
import { Socket } from "phoenix";
import WebSocket from "ws";

const OVERALL_TIMEOUT_MS = 15_000;
const STEP_TIMEOUT_MS = 5_000;
// phoenix.js closes the socket itself (1000, "heartbeat timeout") when a reply has not come by the next beat: on a
// loaded CI machine 200 ms was not always enough for the reply, so the beats are a second apart.
const HEARTBEAT_INTERVAL_MS = 1_000;
const HEARTBEATS_WANTED = 2;

const observed = {
  endpoint: null,
  opened: false,
  lobbyJoin: null,
  forbiddenJoin: null,
  heartbeatAcks: 0,
  leave: null,
  disconnected: false,
  closeCodes: [],
  errors: [],
  phoenixClientVersion: null,
};
let disconnecting = false;

const baseUrl = process.argv[2];
if (!baseUrl) {
  fail("usage: node phoenix-roundtrip.mjs <socket base url, e.g. ws://127.0.0.1:4004/push_socket>");
}

const overallTimer = setTimeout(
  () => fail(`no result within ${OVERALL_TIMEOUT_MS} ms`),
  OVERALL_TIMEOUT_MS,
);

function fail(reason) {
  process.stderr.write(`phoenix-roundtrip: FAILED: ${reason}\n`);
  process.stderr.write(`phoenix-roundtrip: observed so far: ${JSON.stringify(observed)}\n`);
  process.exit(1);
}

// Resolves with the value `start` hands to its callback, or fails the run after STEP_TIMEOUT_MS.
function step(name, start) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => fail(`${name}: no answer within ${STEP_TIMEOUT_MS} ms`), STEP_TIMEOUT_MS);
    start((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

// Resolves with {status, response} for a join or leave push, whichever of ok/error/timeout comes first.
function reply(push) {
  return (done) => {
    push
      .receive("ok", (response) => done({ status: "ok", response }))
      .receive("error", (response) => done({ status: "error", response }))
      .receive("timeout", () => done({ status: "timeout", response: null }));
  };
}

async function main() {
  const manifest = new URL("./node_modules/phoenix/package.json", import.meta.url);
  observed.phoenixClientVersion = JSON.parse(readFileSync(manifest, "utf8")).version;

  const socket = new Socket(baseUrl, {
    transport: WebSocket,
    params: { token: "ok", user: "1" },
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  });
  observed.endpoint = socket.endPointURL();

  socket.onError((error) => {
    observed.errors.push(String(error?.message ?? error?.type ?? error));
    if (!observed.opened) {
      fail(`could not connect to ${observed.endpoint}`);
    }
  });
  socket.onClose((event) => {
    observed.closeCodes.push(event?.code ?? null);
    // phoenix.js would reconnect and carry on, hiding that the server closed the socket.
    if (!disconnecting) {
      fail(`the server closed the socket (code ${event?.code})`);
    }
  });
  socket.onMessage((message) => {
    if (message.topic === "phoenix" && message.event === "phx_reply" && message.payload?.status === "ok") {
      observed.heartbeatAcks += 1;
    }
  });

  let heartbeatsSeen = null;
  const heartbeats = new Promise((resolve) => {
    heartbeatsSeen = resolve;
  });
  socket.onMessage(() => {
    if (observed.heartbeatAcks >= HEARTBEATS_WANTED) {
      heartbeatsSeen();
    }
  });

  await step("connect", (done) => {
    socket.onOpen(() => done());
    socket.connect();
  });
  observed.opened = true;

  const lobby = socket.channel("room:lobby", {});
  observed.lobbyJoin = await step("join room:lobby", reply(lobby.join()));
  if (observed.lobbyJoin.status !== "ok") {
    fail(`join room:lobby answered ${JSON.stringify(observed.lobbyJoin)}`);
  }

  const forbidden = socket.channel("forbidden", {});
  observed.forbiddenJoin = await step("join forbidden", reply(forbidden.join()));
  if (observed.forbiddenJoin.status !== "error") {
    fail(`join forbidden answered ${JSON.stringify(observed.forbiddenJoin)}`);
  }
  // A refused channel rejoins on a timer (1 s, 2 s, …); leaving stops that. It was never joined, so the client
  // closes it at once and the server answers the phx_leave of an unjoined topic with ok.
  forbidden.leave();

  await step(`${HEARTBEATS_WANTED} heartbeat replies`, (done) => heartbeats.then(done));

  observed.leave = await step("leave room:lobby", reply(lobby.leave(STEP_TIMEOUT_MS)));
  if (observed.leave.status !== "ok") {
    fail(`leave room:lobby answered ${JSON.stringify(observed.leave)}`);
  }

  disconnecting = true;
  await step("disconnect", (done) => socket.disconnect(() => done()));
  observed.disconnected = true;

  clearTimeout(overallTimer);
  process.stdout.write(`${JSON.stringify(observed)}\n`);
  process.exit(0);
}

main().catch((error) => fail(error?.stack ?? String(error)));
