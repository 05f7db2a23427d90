// Receiving pushes posted to POST /api/push: bindings and data types, refused topics, order.
import { isDeepStrictEqual } from "node:util";

const LARGE_BYTES = 60 * 1024;

// Every JSON type as push data, unicode, and a 60 KiB payload; "evt" is the event bound by name.
function bindingPushes() {
  const block = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"; // 64 ASCII bytes
  return [
    { event: "evt", data: "a string" },
    { event: "number", data: 42 },
    { event: "number", data: -12.5 },
    { event: "object", data: { id: 1, nested: { list: [1, { deep: null }], flag: false }, text: "x" } },
    { event: "array", data: [1, "two", null, true, { three: 3 }, []] },
    { event: "null", data: null },
    { event: "boolean", data: true },
    { event: "evt", data: "héllo wörld, Ünïcödé ✓ 日本語 🚀 \u2028 \"quoted\" \\ </script>" },
    { event: "unicode-évènement-🚀", data: { "ключ": "значение", emoji: "👩‍💻" } },
    { event: "large", data: { blob: block.repeat(LARGE_BYTES / block.length) } },
    { event: "evt", data: { last: true } },
  ];
}

function describeReceived(received, sent) {
  return received.map(({ data, event, argCount }, index) => {
    const json = JSON.stringify(data);
    return {
      event,
      argCount,
      equal: isDeepStrictEqual(data, sent[index]?.data) && event === sent[index]?.event,
      bytes: Buffer.byteLength(json ?? "null"),
      // The data itself for the .NET test to compare, except the large one.
      ...(json !== undefined && json.length <= 512 ? { json } : {}),
    };
  });
}

export const pushCases = {
  // subscribe("user:1").bind("*", fn) and .bind("evt", fn): fn(data, event) for each push, data of every type.
  async bindings(run, { client: newClient, joinReply, inbox: newInbox, push }) {
    const client = await newClient({ user: "1" });
    const inbox = newInbox();
    const subscription = client.subscribe("user:1");
    subscription.bind("*", inbox.into("*"));
    subscription.bind("evt", inbox.into("evt"));
    await run.within("connect()", client.connect());
    run.observed.join = await joinReply(client, "user:1");

    const pushes = bindingPushes();
    for (const { event, data } of pushes) {
      await push("user:1", event, data);
    }
    await run.until(`${pushes.length} pushes on "*"`, () => inbox.count("*") >= pushes.length);
    await run.until(`3 pushes on "evt"`, () => inbox.count("evt") >= 3);
    await run.pause(100); // a duplicate would arrive right behind
    run.observed.star = describeReceived(inbox.list("*"), pushes);
    run.observed.evt = describeReceived(inbox.list("evt"), pushes.filter(({ event }) => event === "evt"));
    await run.within("disconnect()", client.disconnect());
  },

  // A join the server refuses (user 1 asks for user:2) gets {reason: "unauthorized"} and none of that topic's
  // pushes; user 2, joined to it, is the witness that the push went out.
  async forbidden(run, { client: newClient, joinReply, inbox: newInbox, push }) {
    const intruder = await newClient({ user: "1" });
    const witness = await newClient({ user: "2" });
    const intruderInbox = newInbox();
    const witnessInbox = newInbox();
    intruder.subscribe("user:2").bind("*", intruderInbox.into("user:2"));
    intruder.subscribe("user:1").bind("*", intruderInbox.into("user:1"));
    witness.subscribe("user:2").bind("*", witnessInbox.into("user:2"));
    await run.within("connect() user 1", intruder.connect());
    await run.within("connect() user 2", witness.connect());
    run.observed.refusedJoin = await joinReply(intruder, "user:2");
    run.observed.ownJoin = await joinReply(intruder, "user:1");
    run.observed.witnessJoin = await joinReply(witness, "user:2");

    await push("user:2", "secret", "for user 2 only");
    await run.until("the witness's push", () => witnessInbox.count("user:2") > 0);
    // A push to user 1's own topic afterwards: had user 1 been sent the user:2 push, it would be ahead of this
    // one in user 1's (first in, first out) send queue.
    await push("user:1", "sentinel", "after the secret");
    await run.until("user 1's own push", () => intruderInbox.count("user:1") > 0);
    run.observed.intruderReceived = intruderInbox.list("user:2");
    run.observed.intruderOwn = intruderInbox.list("user:1");
    run.observed.witnessReceived = witnessInbox.list("user:2");
    run.observed.refusedJoins = intruder.joinReplies("user:2");
    await run.within("disconnect() user 1", intruder.disconnect());
    await run.within("disconnect() user 2", witness.disconnect());
  },

  // 500 pushes to one topic, posted one after the other, arrive complete and in order.
  async order(run, { client: newClient, joinReply, inbox: newInbox, push }) {
    const count = 500;
    const client = await newClient({ user: "1" });
    const inbox = newInbox();
    client.subscribe("user:1").bind("*", inbox.into("user:1"));
    await run.within("connect()", client.connect());
    await joinReply(client, "user:1");

    const started = Date.now();
    for (let i = 0; i < count; i++) {
      await push("user:1", "seq", i);
    }
    run.observed.postedMs = Date.now() - started;
    await run.until(`${count} pushes`, () => inbox.count("user:1") >= count, 15_000);
    run.observed.receivedMs = Date.now() - started;
    await run.pause(100); // a duplicate would arrive right behind
    const data = inbox.list("user:1").map(({ data }) => data);
    run.observed.count = data.length;
    run.observed.inOrder = data.every((value, index) => value === index);
    run.observed.firstOutOfOrder = data.findIndex((value, index) => value !== index);
    await run.within("disconnect()", client.disconnect());
  },

  // Pushes to three topics, round robin, plus pushes to all three in one API call: each topic gets its own pushes,
  // complete, in the order they were posted; none leaks into another topic.
  async interleave(run, { client: newClient, joinReply, inbox: newInbox, push }) {
    const topics = ["user:1", "public", "room:mix"];
    const rounds = 60;
    const client = await newClient({ user: "1" });
    const inbox = newInbox();
    const arrival = [];
    for (const topic of topics) {
      const record = inbox.into(topic);
      client.subscribe(topic).bind("*", (data, event) => {
        arrival.push(topic);
        record(data, event);
      });
    }
    await run.within("connect()", client.connect());
    for (const topic of topics) {
      await joinReply(client, topic);
    }

    const expected = Object.fromEntries(topics.map((topic) => [topic, []]));
    for (let i = 0; i < rounds; i++) {
      for (const topic of topics) {
        await push(topic, "round", `${topic}#${i}`);
        expected[topic].push(`${topic}#${i}`);
      }
      if (i % 20 === 19) {
        await push(topics, "all", `all#${i}`); // one API call naming every topic
        topics.forEach((topic) => expected[topic].push(`all#${i}`));
      }
    }
    for (const topic of topics) {
      await run.until(`${expected[topic].length} pushes on ${topic}`, () => inbox.count(topic) >= expected[topic].length, 10_000);
    }
    await run.pause(100); // a duplicate would arrive right behind
    run.observed.topics = Object.fromEntries(topics.map((topic) => {
      const data = inbox.list(topic).map(({ data }) => data);
      return [topic, { count: data.length, expected: expected[topic].length, matches: isDeepStrictEqual(data, expected[topic]) }];
    }));
    // How often consecutive arrivals switched topic: the topics really were interleaved on the one socket.
    run.observed.topicSwitches = arrival.filter((topic, index) => index > 0 && topic !== arrival[index - 1]).length;
    await run.within("disconnect()", client.disconnect());
  },
};

