// Leaving and coming back: unsubscribe, disconnect, and a client that joins, leaves and rejoins in bursts.

const RAPID_TOPICS = ["room:a", "room:b", "room:c", "room:d"];
const RAPID_PUSHES = 20;

export const lifecycleCases = {
  // unsubscribe() resolves and that topic's pushes stop (user 2, still joined, is the witness that they go on);
  // disconnect() resolves, the socket closes with 1000 and the client does not come back by itself.
  async unsubscribe(run, { client: newClient, joinReply, inbox: newInbox, push }) {
    const client = await newClient({ user: "1" });
    const witness = await newClient({ user: "2" });
    const inbox = newInbox();
    const witnessInbox = newInbox();
    client.subscribe("room:u").bind("*", inbox.into("room:u"));
    client.subscribe("user:1").bind("*", inbox.into("user:1"));
    witness.subscribe("room:u").bind("*", witnessInbox.into("room:u"));
    await run.within("connect() user 1", client.connect());
    await run.within("connect() user 2", witness.connect());
    for (const topic of ["room:u", "user:1"]) {
      await joinReply(client, topic);
    }
    await joinReply(witness, "room:u");

    await push("room:u", "before", 1);
    await run.until("the push before unsubscribe", () => inbox.count("room:u") === 1 && witnessInbox.count("room:u") === 1);
    await run.within("unsubscribe('room:u')", client.unsubscribe("room:u"));
    run.observed.unsubscribeResolved = true;

    await push("room:u", "after", 2);
    await run.until("the witness's push after unsubscribe", () => witnessInbox.count("room:u") === 2);
    // Had user 1 still been sent room:u pushes, "after" would be ahead of this one in its send queue.
    await push("user:1", "sentinel", 3);
    await run.until("user 1's own push", () => inbox.count("user:1") === 1);
    run.observed.received = inbox.list("room:u");
    run.observed.msgFrames = client.log.msgFrames;
    run.observed.leaveReplies = client.log.frames.filter(([joinRef, ref, topic, event]) =>
      topic === "room:u" && event === "phx_reply" && ref !== joinRef);
    run.observed.serverCloses = client.log.frames.filter(([, , topic, event]) => topic === "room:u" && event === "phx_close");

    await run.within("disconnect()", client.disconnect());
    await run.until("the WebSocket's close", () => client.log.transportCloses.length > 0);
    // A reconnect would come after 50 ms (reconnectAfterMs); give it several times that to show it does not.
    await run.pause(400);
    run.observed.afterDisconnect = {
      transportCloses: client.log.transportCloses,
      opens: client.log.opens,
      errors: client.log.errors,
    };
    await run.within("disconnect() the witness", witness.disconnect());
  },

  // Joins, leaves and rejoins in bursts (PROTOCOL.md §4.6): subscriptions made before the socket is open (their
  // frames wait in the client's send buffer) while the first connect attempt is refused, so the buffered joins and
  // the client's rejoins reach the server back to back; subscribe/unsubscribe/subscribe before and after connecting,
  // as a UI effect that mounts twice does; and, for phoenix, channel objects that join a topic already joined.
  // Every topic ends joined once (the .NET test checks the server's channels) and every push arrives once.
  async rapid(run, { kind, client: newClient, token, inbox: newInbox, push }) {
    const validToken = await token("1");
    let refreshed = false;
    const client = await newClient({
      // The first connect attempt presents an expired token; the app refreshes it on the connection error.
      getParams: async () => ({ token: refreshed ? validToken : "expired.token" }),
    });
    client.onError(() => {
      if (!refreshed) {
        refreshed = true;
        client.refreshParams();
      }
    });
    const inbox = newInbox();
    const handles = {};
    const subscribe = (topic) => {
      handles[topic] = client.subscribe(topic);
      return handles[topic].bind("*", inbox.into(topic));
    };

    const connecting = client.connect();
    subscribe("room:a");
    subscribe("room:b")(); // a UI effect that mounts, unmounts (unbind, unsubscribe) and mounts again
    client.unsubscribe("room:b");
    subscribe("room:b");
    await run.within("connect()", connecting);
    await run.until("the refused first attempt", () => client.log.errors.length > 0);
    await run.until("the socket open", () => client.log.opens > 0);

    // Connected: the same effect five times over while each join is still in flight, then mounted for good.
    for (let i = 0; i < 5; i++) {
      subscribe("room:c")();
      await run.within("unsubscribe('room:c')", client.unsubscribe("room:c"));
    }
    subscribe("room:c");

    if (kind === "phoenix") {
      // Five channel objects for one topic, joined one after the other: each join makes the client leave the
      // previous one first (phoenix's leaveOpenTopic), so the server sees leave/join pairs for a joining channel.
      for (let i = 0; i < 5; i++) {
        subscribe("room:d");
      }
    } else {
      // pushex memoises subscriptions by topic: subscribing again returns the same one.
      const first = client.subscribe("room:d");
      for (let i = 0; i < 4; i++) {
        run.check(client.subscribe("room:d") === first, "pushex returned a new subscription for room:d");
      }
      handles["room:d"] = first;
      first.bind("*", inbox.into("room:d"));
    }

    await run.until("every topic joined", () => RAPID_TOPICS.every((topic) => handles[topic].channel?.isJoined()));
    for (const topic of RAPID_TOPICS) {
      for (let i = 0; i < RAPID_PUSHES; i++) {
        await push(topic, "n", i);
      }
    }
    await run.until(`${RAPID_PUSHES} pushes on every topic`,
      () => RAPID_TOPICS.every((topic) => inbox.count(topic) >= RAPID_PUSHES));

    // The .NET test checks the server's channels now, then pushes "end" to every topic.
    run.progress("settled");
    await run.until(`"end" on every topic`,
      () => RAPID_TOPICS.every((topic) => inbox.list(topic).some(({ data }) => data === "end")), 10_000);

    run.observed.topics = Object.fromEntries(RAPID_TOPICS.map((topic) => [topic, {
      received: inbox.list(topic).map(({ data }) => data),
      msgFrames: client.log.msgFrames[topic] ?? 0,
      joinReplies: client.joinReplies(topic),
      serverCloses: client.log.frames.filter(([, , frameTopic, event]) => frameTopic === topic && event === "phx_close").length,
    }]));
    run.observed.refusedAttempts = client.log.errors.length;
    await run.within("disconnect()", client.disconnect());
  },
};
