// The npm side of the load generator's roll scenario (samples/PushEx.LoadTest/Roll): K unmodified clients of one kind
// against the sample server behind a load balancer, each joined to user:ID and the shared topics, recording the
// pusher's `seq` of every push its bindings see. The clients keep their own defaults (reconnect backoff: pushex
// 3, 6, 10, 20, 30 s; phoenix 10 ms … 5 s; heartbeat 30 s; rejoin with {}).
//
//   node roll-client.mjs --client=pushex|phoenix --server=http://127.0.0.1:PORT --users=roll-1001,roll-1002,…
//                        [--shared=room:shared] [--stop-file=PATH] [--max-seconds=1800]
//
// Prints {"progress":"ready"} once every client has joined every topic, then, when its standard input closes, on
// SIGTERM/SIGINT, when the stop file appears or after --max-seconds, one JSON line and exits 0:
//   {"client":"pushex","version":"0.0.15","clients":[{"user","connected","joined","opens","drops","reconnects",
//     "disconnectedMs","topics":{"user:ID":{"messages","distinct","duplicates","maxSeq","ranges":[[from,to],…],
//     "repeats":[[seq,extraTimes],…]}}}]}
// Disconnected time: from the close of a socket on which every topic was joined until every topic's join is answered
// again, as the socket's onClose hook and the join replies show it.
import { existsSync } from "node:fs";
import { createClient, packageVersion } from "./lib/clients.mjs";
import { fetchToken, socketUrl } from "./lib/server.mjs";

const args = Object.fromEntries(process.argv.slice(2).map((arg) => /^--([^=]+)=(.*)$/s.exec(arg)).filter(Boolean).map((m) => [m[1], m[2]]));
const kind = args.client;
const server = args.server;
const users = (args.users ?? "").split(",").filter(Boolean);
const shared = (args.shared ?? "room:shared").split(",").filter(Boolean);
const maxSeconds = Number(args["max-seconds"] ?? 1800);
if (!kind || !server || users.length === 0) {
  process.stderr.write("usage: node roll-client.mjs --client=pushex|phoenix --server=URL --users=a,b,… [--shared=room:shared]\n");
  process.exit(2);
}

const records = [];

async function start(user) {
  const topics = [`user:${user}`, ...shared];
  const record = {
    user,
    topics,
    seqs: Object.fromEntries(topics.map((topic) => [topic, new Map()])),
    messages: Object.fromEntries(topics.map((topic) => [topic, 0])),
    joined: new Set(),
    open: false,
    opens: 0,
    drops: 0,
    everJoined: false,
    lostAt: 0,
    disconnectedMs: 0,
  };
  records.push(record);
  let token = null;
  const client = await createClient(kind, socketUrl(server), {
    // A token once, reused on every reconnect (it lasts an hour), so a roll does not also load GET /token.
    getParams: async () => ({ token: (token ??= await fetchToken(server, user)) }),
  });
  client.onOpen(() => {
    record.open = true;
    record.opens += 1;
  });
  client.onClose(() => {
    if (stopping) {
      return;
    }
    if (record.open) {
      record.drops += 1;
    }
    record.open = false;
    if (record.joined.size === topics.length && record.everJoined && record.lostAt === 0) {
      record.lostAt = Date.now();
    }
    record.joined.clear();
  });
  client.onMessage(({ join_ref: joinRef, ref, topic, event, payload }) => {
    if (event === "phx_reply" && ref != null && ref === joinRef && topics.includes(topic)) {
      if (payload?.status === "ok") {
        record.joined.add(topic);
        if (record.joined.size === topics.length) {
          record.everJoined = true;
          if (record.lostAt !== 0) {
            record.disconnectedMs += Date.now() - record.lostAt;
            record.lostAt = 0;
          }
        }
      } else {
        record.joined.delete(topic);
      }
    } else if ((event === "phx_error" || event === "phx_close") && topics.includes(topic)) {
      record.joined.delete(topic);
    }
  });
  for (const topic of topics) {
    client.subscribe(topic).bind("roll", (data) => {
      record.messages[topic] += 1;
      const seq = Number(data?.seq);
      if (Number.isInteger(seq)) {
        const seqs = record.seqs[topic];
        seqs.set(seq, (seqs.get(seq) ?? 0) + 1);
      }
    });
  }
  await client.connect();
  record.client = client;
}

function summary(record) {
  const topics = {};
  for (const topic of record.topics) {
    const seqs = [...record.seqs[topic].entries()].sort((a, b) => a[0] - b[0]);
    const ranges = [];
    for (const [seq] of seqs) {
      const last = ranges[ranges.length - 1];
      if (last && seq === last[1] + 1) {
        last[1] = seq;
      } else {
        ranges.push([seq, seq]);
      }
    }
    const repeats = seqs.filter(([, times]) => times > 1).map(([seq, times]) => [seq, times - 1]);
    topics[topic] = {
      messages: record.messages[topic],
      distinct: seqs.length,
      duplicates: repeats.reduce((sum, [, extra]) => sum + extra, 0),
      maxSeq: seqs.length ? seqs[seqs.length - 1][0] : 0,
      ranges,
      repeats,
    };
  }
  return {
    user: record.user,
    connected: record.open,
    joined: record.joined.size === record.topics.length,
    opens: record.opens,
    drops: record.drops,
    reconnects: Math.max(0, record.opens - 1),
    disconnectedMs: record.disconnectedMs + (record.lostAt ? Date.now() - record.lostAt : 0),
    topics,
  };
}

let stopping = false;
function stop() {
  if (stopping) {
    return;
  }
  const report = { client: kind, version: packageVersion(kind), clients: records.map(summary) };
  stopping = true;
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}

process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
setTimeout(stop, maxSeconds * 1000).unref();
if (args["stop-file"]) {
  setInterval(() => existsSync(args["stop-file"]) && stop(), 200).unref();
}

// Connect a few at a time, as pages opening over a moment would.
for (let i = 0; i < users.length; i += 20) {
  await Promise.all(users.slice(i, i + 20).map(start));
}
const readyBy = Date.now() + 60_000;
const readyCheck = setInterval(() => {
  if (records.every((record) => record.joined.size === record.topics.length)) {
    clearInterval(readyCheck);
    process.stdout.write(`${JSON.stringify({ progress: "ready", clients: records.length })}\n`);
  } else if (Date.now() > readyBy) {
    clearInterval(readyCheck);
    process.stderr.write(`roll-client: ${records.filter((r) => r.joined.size < r.topics.length).length} clients not joined after 60 s\n`);
  }
}, 100);
