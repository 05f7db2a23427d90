// Reconnecting without losing a push: the unmodified clients rejoin with `{}`, and the server recovers what they
// missed from the topic's history and the position it recorded for their socket id when the connection ended.

const FIRST = 5;
const WHILE_AWAY = 5;

export const recoveryCases = {
  // Pushes 1–5 arrive; the connection is cut under the client (it did not ask to disconnect, as on a network drop or
  // a proxy restart); 6–10 are pushed while it is away; it reconnects and rejoins by itself; then 11 is pushed live.
  // Its bindings must see 1–11, each once, in order.
  async recover(run, { client: newClient, joinReply, inbox: newInbox, push }) {
    // A reconnect a second later leaves time to push while the client is away.
    const client = await newClient({ user: "1", reconnectAfterMs: () => 1000 });
    const inbox = newInbox();
    client.subscribe("user:1").bind("*", inbox.into("user:1"));
    await run.within("connect()", client.connect());
    await joinReply(client, "user:1");
    for (let i = 1; i <= FIRST; i++) {
      await push("user:1", "n", i);
    }
    await run.until(`pushes 1-${FIRST}`, () => inbox.count("user:1") === FIRST);

    client.cut();
    await run.until("the cut connection's close", () => client.log.transportCloses.length === 1);
    for (let i = FIRST + 1; i <= FIRST + WHILE_AWAY; i++) {
      await push("user:1", "n", i);
    }

    await run.until("the rejoin", () => client.joinReplies("user:1").length === 2);
    await run.until("the missed pushes", () => inbox.count("user:1") === FIRST + WHILE_AWAY);
    await push("user:1", "n", FIRST + WHILE_AWAY + 1);
    await run.until("the live push", () => inbox.count("user:1") === FIRST + WHILE_AWAY + 1);

    run.observed.received = inbox.list("user:1");
    run.observed.opens = client.log.opens;
    run.observed.recoveryEvents = client.log.recoveries["user:1"] ?? [];
    await run.within("disconnect()", client.disconnect());
  },

  // The .NET test moves the client between nodes of a cluster behind a relay while it posts pushes at a steady rate;
  // the client just listens until the push "end", reconnecting by itself when its node drains.
  async move(run, { client: newClient, joinReply, inbox: newInbox }) {
    const client = await newClient({ user: "1", reconnectAfterMs: () => 100 });
    const inbox = newInbox();
    client.subscribe("user:1").bind("*", inbox.into("user:1"));
    await run.within("connect()", client.connect());
    await joinReply(client, "user:1");
    run.progress("joined");

    await run.until("the push \"end\"", () => inbox.list("user:1").some(({ data }) => data === "end"), 25_000);
    run.observed.received = inbox.list("user:1");
    run.observed.opens = client.log.opens;
    run.observed.closeCodes = client.log.closeCodes;
    run.observed.recoveryEvents = client.log.recoveries["user:1"] ?? [];
    await run.within("disconnect()", client.disconnect());
  },
};
