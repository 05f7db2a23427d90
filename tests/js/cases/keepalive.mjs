// Staying connected and coming back: heartbeats against the server's idle timeout, and a server that drains.
// The .NET test starts the sample with a short PushEx:IdleTimeout (1 s) for the first two.

export const keepAliveCases = {
  // Heartbeats every 200 ms keep the socket open for several idle timeouts; a push then arrives on it.
  async heartbeat(run, { client: newClient, joinReply, inbox: newInbox, push }) {
    const idleTimeoutMs = Number(run.arg("idle-timeout-ms"));
    const client = await newClient({ user: "1", heartbeatIntervalMs: 200 });
    const inbox = newInbox();
    client.subscribe("user:1").bind("*", inbox.into("user:1"));
    await run.within("connect()", client.connect());
    await joinReply(client, "user:1");

    // Longer than three idle timeouts: a socket the heartbeats did not keep alive would be closed by now.
    await run.pause(3 * idleTimeoutMs);
    run.observed.closeCodes = [...client.log.closeCodes];
    run.observed.opens = client.log.opens;
    run.observed.heartbeatAcks = client.log.heartbeatAcks;

    await push("user:1", "still-here", true);
    await run.until("the push after the wait", () => inbox.count("user:1") > 0);
    run.observed.received = inbox.list("user:1");
    await run.within("disconnect()", client.disconnect());
  },

  // No heartbeat within the idle timeout (phoenix: the interval is set to 60 s; pushex: its 30 s default): the
  // server closes the socket (1001), the client reconnects by itself, rejoins, and gets a push on the new socket.
  async idle(run, { kind, client: newClient, joinReply, inbox: newInbox, push }) {
    const client = await newClient({ user: "1", heartbeatIntervalMs: kind === "phoenix" ? 60_000 : undefined });
    const inbox = newInbox();
    client.subscribe("user:1").bind("*", inbox.into("user:1"));
    await run.within("connect()", client.connect());
    await joinReply(client, "user:1");
    const joinedAt = Date.now();

    await run.until("the server's idle close", () => client.log.closeCodes.length > 0, 5_000);
    run.observed.closedAfterMs = Date.now() - joinedAt;
    run.observed.closeCode = client.log.closeCodes[0];
    await run.until("the reconnect", () => client.log.opens >= 2);
    run.observed.rejoin = await joinReply(client, "user:1", { after: 1, name: "rejoin user:1" });

    await push("user:1", "after-reconnect", "welcome back");
    await run.until("the push after the reconnect", () => inbox.count("user:1") > 0);
    run.observed.received = inbox.list("user:1");
    run.observed.heartbeatAcks = client.log.heartbeatAcks;
    await run.within("disconnect()", client.disconnect());
  },

  // Server A drains (DisconnectSocketsOnShutdown): the socket is closed with 1012, the client reconnects by itself
  // to server B, which the .NET test has started on the same address, rejoins and receives a push posted to B.
  async drain(run, { client: newClient, joinReply, inbox: newInbox }) {
    const client = await newClient({ user: "1", reconnectAfterMs: () => 100 });
    const inbox = newInbox();
    client.subscribe("user:1").bind("*", inbox.into("user:1"));
    await run.within("connect()", client.connect());
    run.observed.joinA = await joinReply(client, "user:1");

    run.progress("joined");
    await run.until("the push the test posts to server A", () => inbox.count("user:1") >= 1, 10_000);
    run.progress("received-from-a");

    await run.until("server A's close", () => client.log.closeCodes.length > 0, 15_000);
    run.observed.closeCode = client.log.closeCodes[0];
    await run.until("the reconnect to server B", () => client.log.opens >= 2, 15_000);
    run.observed.joinB = await joinReply(client, "user:1", { after: 1, name: "rejoin user:1 on server B" });

    run.progress("rejoined");
    await run.until("the push the test posts to server B", () => inbox.count("user:1") >= 2, 10_000);
    run.observed.received = inbox.list("user:1");
    run.observed.opens = client.log.opens;
    run.observed.failedAttempts = client.log.errors.length;
    await run.within("disconnect()", client.disconnect());
  },
};
