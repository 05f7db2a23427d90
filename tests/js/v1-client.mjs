// A V1 client: raw V1 object frames over `ws`, connecting without `vsn`, as the original PushEx's Tsung load test
// (examples/load-test/agent/multi_client.xml) does. Runs against the sample server:
//
//   node v1-client.mjs --server=http://127.0.0.1:PORT --key=API_KEY
//
// Joins its own topic and a refused one, sends heartbeats, receives a push posted to the API, leaves and closes.
// Prints one JSON line with every frame the server sent, as text, and the frames it sent; exits 0, or 1 on failure.
import WebSocket from "ws";
import { startRun } from "./lib/harness.mjs";
import { fetchToken, postPush, socketUrl } from "./lib/server.mjs";

const run = startRun("v1-client");
const server = run.arg("server");
const key = run.arg("key", "dev-api-key");
const sent = [];
const received = [];
run.observed.sent = sent;
run.observed.received = received;

const token = await run.within("GET /token?user=1", fetchToken(server, "1"));
// No vsn: the server speaks V1.
const url = `${socketUrl(server)}/websocket?token=${encodeURIComponent(token)}`;
const socket = new WebSocket(url);
const waiting = [];
socket.on("message", (data, isBinary) => {
  received.push(isBinary ? `<binary ${data.length} bytes>` : data.toString("utf8"));
  waiting.splice(0).forEach((wake) => wake());
});
socket.on("close", (code) => {
  run.observed.closeCode = code;
  waiting.splice(0).forEach((wake) => wake());
});
socket.on("error", (error) => run.fail(`WebSocket error: ${error.message}`));

await run.step("open", (done) => socket.on("open", done));

// Sends a frame exactly as written (the Tsung script's own spacing) and returns the next frame the server sends.
async function exchange(text, what) {
  const index = received.length;
  sent.push(text);
  socket.send(text);
  return nextFrame(what, index);
}

async function nextFrame(what, index = received.length) {
  await run.until(what, () => received.length > index);
  return received[index];
}

await exchange('{"topic":"user:1", "event":"phx_join", "payload": {}, "ref":"1"}', "join reply");
await exchange('{"topic":"user:2", "event":"phx_join", "payload": {}, "ref":"2"}', "refused join reply");
for (let ref = 3; ref <= 5; ref++) {
  await exchange(`{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"${ref}"}`, `heartbeat ${ref} reply`);
}

const beforePush = received.length;
await run.within("POST /api/push", postPush(server, key, { channel: "user:1", event: "created", data: { id: 7, text: "ünïcode ✓" } }));
await nextFrame("the push", beforePush);
const beforeNull = received.length;
await run.within("POST /api/push", postPush(server, key, { channel: "user:1", event: "nothing", data: null }));
await nextFrame("the null push", beforeNull);

const beforeLeave = received.length;
sent.push('{"topic":"user:1","event":"phx_leave","payload":{},"ref":"6"}');
socket.send(sent.at(-1));
await run.until("leave reply and close", () => received.length >= beforeLeave + 2);

socket.close(1000);
await run.until("the close", () => run.observed.closeCode !== undefined);
run.finish();
