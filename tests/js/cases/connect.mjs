// Connecting: params from getParams, onConnect; a refused connect and the client's retry loop.

export const connectCases = {
  // getParams resolves a token from the sample's /token; the socket opens (pushex: onConnect) with the token and
  // vsn in the URL, joins the user's topic, and the .NET test checks the server's view before pushing.
  async connect(run, { client: newClient, joinReply, opened, inbox: newInbox }) {
    const client = await newClient({ user: "1" });
    const inbox = newInbox();
    client.subscribe("user:1").bind("*", inbox.into("user:1"));

    await run.within("connect()", client.connect());
    await opened(client);
    run.observed.endpoint = client.endpointUrl().replace(/token=[^&]*/, "token=<token>");
    run.observed.join = await joinReply(client, "user:1");

    run.progress("joined");
    await run.until("the push the test posts to user:1", () => inbox.count("user:1") > 0, 10_000);
    run.observed.received = inbox.list("user:1");

    await run.within("disconnect()", client.disconnect());
    await run.until("the WebSocket's close", () => client.log.transportCloses.length > 0);
    run.observed.log = client.log;
  },

  // A forged token: the upgrade is refused (HTTP 403), the client reports a connection error (pushex:
  // onConnectionError) and retries by itself, fast. While it hammers the server, another client connects, joins and
  // gets a push; the refused one never opened.
  async refused(run, { client: newClient, joinReply, opened, inbox: newInbox, push }) {
    const refused = await newClient({ getParams: async () => ({ token: "forged.token" }), reconnectAfterMs: () => 10 });
    await run.within("connect() with a forged token", refused.connect());
    await run.until("10 refused connect attempts", () => refused.log.errors.length >= 10);
    const errorsBefore = refused.log.errors.length;

    const healthy = await newClient({ user: "1" });
    const inbox = newInbox();
    healthy.subscribe("user:1").bind("*", inbox.into("user:1"));
    await run.within("connect() with a valid token", healthy.connect());
    await opened(healthy);
    run.observed.healthyJoin = await joinReply(healthy, "user:1");
    await push("user:1", "during-retries", { ok: true });
    await run.until("the push during the retries", () => inbox.count("user:1") > 0);
    run.observed.healthyReceived = inbox.list("user:1");

    run.check(refused.log.errors.length > errorsBefore, "the refused client stopped retrying");
    await run.within("disconnect() the refused client", refused.disconnect());
    await run.within("disconnect() the healthy client", healthy.disconnect());
    run.observed.refused = {
      opens: refused.log.opens,
      errors: refused.log.errors.length,
      errorSample: refused.log.errors[0],
      closeCodes: [...new Set(refused.log.closeCodes)],
      pushexCallbacks: refused.log.pushexCallbacks,
    };
  },
};
