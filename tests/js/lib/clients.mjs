// The two unmodified npm clients behind one small surface, so every case runs the same steps with both:
//
//   pushex 0.0.15  `new Pushex(url, {getParams, onConnect, onConnectionError, socketReconnectAlgorithm})`,
//                  `subscribe(topic).bind(event, (data, event) => ...)`, `unsubscribe`, `disconnect`. It is a
//                  browser bundle carrying its own (older) phoenix client, which takes `WebSocket` from `window`.
//   phoenix 1.8.x  `new Socket(url, {params, reconnectAfterMs, heartbeatIntervalMs, transport})`,
//                  `socket.channel(topic).join()`, `channel.on("msg", ({data, event}) => ...)`, `leave`, `disconnect`.
//
// Each method below is one documented call of the client it wraps; `client.raw` is the Pushex instance or the
// phoenix Socket for what a case does with one client only. The client's socket-level hooks (open, error, close,
// message) are recorded in `client.log`.
import { readFileSync } from "node:fs";
import WebSocket from "ws";

export const CLIENT_KINDS = ["pushex", "phoenix"];

/**
 * Creates a client that is not connected yet.
 *
 * @param {"pushex"|"phoenix"} kind
 * @param {string} url              the socket base URL, ws://host/push_socket
 * @param {object} options
 * @param {() => Promise<object>} options.getParams   connect params; evaluated by connect() and refreshParams()
 * @param {(tries: number) => number} [options.reconnectAfterMs]
 * @param {number} [options.heartbeatIntervalMs]
 */
export async function createClient(kind, url, options) {
  switch (kind) {
    case "pushex":
      return createPushexClient(url, options, await loadPushex());
    case "phoenix":
      return createPhoenixClient(url, options, await loadPhoenix());
    default:
      throw new Error(`unknown client "${kind}"; expected one of ${CLIENT_KINDS.join(", ")}`);
  }
}

/** The version of an installed package, from its package.json. */
export function packageVersion(name) {
  const manifest = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(manifest, "utf8")).version;
}

async function loadPushex() {
  // The bundle's UMD wrapper reads the global `window`, and its phoenix client picks `self.WebSocket` or
  // `window.WebSocket` and adds a `beforeunload` listener to `window`. Node 20 has none of these, so give it the
  // `ws` WebSocket the way a browser would offer its own. Nothing of the bundle is changed.
  globalThis.WebSocket ??= WebSocket;
  globalThis.window ??= { WebSocket, addEventListener() {}, removeEventListener() {} };
  const module = await import("pushex");
  return (module.default ?? module).Pushex;
}

async function loadPhoenix() {
  const { Socket } = await import("phoenix");
  return Socket;
}

function newLog() {
  return {
    opens: 0,
    errors: [],
    // Close codes as the client's onClose hooks saw them (pushex's bundled phoenix detaches its hook before a
    // disconnect() closes, so that close only shows in transportCloses).
    closeCodes: [],
    // Every close of the client's WebSockets, as {code, wasClean}, whoever started it.
    transportCloses: [],
    heartbeatAcks: 0,
    // "msg" frames that reached the socket per topic, before any channel looked at their join ref.
    msgFrames: {},
    // "msg" frames whose join_ref is not that of the topic's current join on this client, or that arrive after the
    // join was closed. phoenix 1.8 drops them silently; the phoenix bundled in pushex 0.0.15 does not even look (it
    // checks the join_ref of lifecycle events only), so only this record shows them.
    misaddressed: [],
    // Every frame but "msg" pushes and heartbeat replies, as [join_ref, ref, topic, event, status].
    frames: [],
    // The payloads of "recovery" events, per topic, in order.
    recoveries: {},
  };
}

/** Records the socket-level hooks of a phoenix Socket (the npm package's or the one bundled in pushex). */
function watch(socket, log, listeners) {
  const joinedAs = new Map(); // topic -> join_ref of its latest ok join reply

  socket.onOpen(() => {
    log.opens += 1;
    listeners.open.forEach((listener) => listener());
  });
  socket.onError((error) => {
    log.errors.push(describeError(error));
    listeners.error.forEach((listener) => listener(error));
  });
  socket.onClose((event) => {
    log.closeCodes.push(event?.code ?? null);
    listeners.close.forEach((listener) => listener(event));
  });
  socket.onMessage((message) => {
    const { join_ref: joinRef, ref, topic, event, payload } = message;
    if (topic === "phoenix" && event === "phx_reply") {
      log.heartbeatAcks += 1;
    } else if (event === "msg") {
      log.msgFrames[topic] = (log.msgFrames[topic] ?? 0) + 1;
      if ((joinRef ?? null) !== (joinedAs.get(topic) ?? null)) {
        log.misaddressed.push({ topic, joinRef: joinRef ?? null, joinedAs: joinedAs.get(topic) ?? null });
      }
    } else {
      if (event === "phx_reply" && ref === joinRef && payload?.status === "ok") {
        joinedAs.set(topic, joinRef);
      } else if (event === "phx_close" && joinRef === joinedAs.get(topic)) {
        joinedAs.delete(topic); // left: any later push on the topic is misaddressed
      }
      log.frames.push([joinRef ?? null, ref ?? null, topic, event, payload?.status ?? null]);
      if (event === "recovery") {
        (log.recoveries[topic] ??= []).push(payload);
      }
    }
    listeners.message.forEach((listener) => listener(message));
  });
}

/** The `ws` WebSocket, recording every close of its connections into `log`: what a browser's devtools would show. */
function recordingWebSocket(log) {
  return class RecordingWebSocket extends WebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("close", (event) => log.transportCloses.push({ code: event.code, wasClean: event.wasClean }));
    }
  };
}

function describeError(error) {
  return String(error?.message ?? error?.error?.message ?? error?.type ?? error);
}

function newListeners() {
  return { open: [], error: [], close: [], message: [] };
}

/** What both kinds share: waiting for hooks and reading join replies. */
function common(log, listeners) {
  return {
    log,
    onOpen: (listener) => listeners.open.push(listener),
    onError: (listener) => listeners.error.push(listener),
    onClose: (listener) => listeners.close.push(listener),
    onMessage: (listener) => listeners.message.push(listener),

    /** Join replies for `topic` seen so far, as {joinRef, status, response}. A join reply has ref == join_ref. */
    joinReplies(topic) {
      return log.frames
        .filter(([joinRef, ref, frameTopic, event]) => frameTopic === topic && event === "phx_reply" && ref === joinRef)
        .map(([joinRef, , , , status]) => ({ joinRef, status }));
    },
  };
}

function createPushexClient(url, options, Pushex) {
  const log = newLog();
  const listeners = newListeners();
  // pushex's own callbacks, counted apart from the socket hooks that watch() records, prove that pushex fires them
  // (with itself as the argument).
  log.pushexCallbacks = { onConnect: 0, onConnectionError: 0 };
  const pushex = new Pushex(url, {
    getParams: options.getParams,
    onConnect: (instance) => {
      log.pushexCallbacks.onConnect += instance === pushex ? 1 : 0;
    },
    onConnectionError: (instance) => {
      log.pushexCallbacks.onConnectionError += instance === pushex ? 1 : 0;
    },
    socketReconnectAlgorithm: options.reconnectAfterMs,
  });
  const socket = pushex.getSocket();
  // The bundle's socket took `window.WebSocket` as its transport; the same class, recording its closes.
  socket.transport = recordingWebSocket(log);
  if (options.heartbeatIntervalMs !== undefined) {
    // pushex has no heartbeat option: its socket keeps phoenix's 30 s default, read when a connection opens.
    socket.heartbeatIntervalMs = options.heartbeatIntervalMs;
  }
  watch(socket, log, listeners);

  return {
    kind: "pushex",
    raw: pushex,
    ...common(log, listeners),
    endpointUrl: () => socket.endPointURL(),
    connect: () => pushex.connect(),
    refreshParams: () => pushex.resetParams(),
    disconnect: () => pushex.disconnect(),
    /** Closes the connection under the client, which did not ask for it (a network drop): it reconnects by itself. */
    cut: () => socket.conn.close(4000, "cut"),

    /** `pushex.subscribe(topic)`: a Subscription with `bind(event, fn)` returning its unbind function. */
    subscribe: (topic) => pushex.subscribe(topic),
    unsubscribe: (topic) => pushex.unsubscribe(topic),
  };
}

function createPhoenixClient(url, options, Socket) {
  const log = newLog();
  const listeners = newListeners();
  let params = {};
  const socket = new Socket(url, {
    transport: recordingWebSocket(log),
    // Evaluated on every connect attempt, so refreshParams() reaches the next reconnect, as in a browser app.
    params: () => params,
    reconnectAfterMs: options.reconnectAfterMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
  });
  watch(socket, log, listeners);
  const channels = new Map();

  return {
    kind: "phoenix",
    raw: socket,
    ...common(log, listeners),
    endpointUrl: () => socket.endPointURL(),
    async connect() {
      params = await options.getParams();
      socket.connect();
    },
    async refreshParams() {
      params = await options.getParams();
    },
    disconnect: () => new Promise((resolve) => socket.disconnect(() => resolve())),
    /** Closes the connection under the client, which did not ask for it (a network drop): it reconnects by itself. */
    cut: () => socket.conn.close(4000, "cut"),

    /**
     * `socket.channel(topic).join()`; the handle's `bind(event, fn)` is `channel.on("msg", ...)` calling
     * `fn(data, event)` for that event (or every event for "*"), and returns `channel.off` for it.
     */
    subscribe(topic) {
      const channel = socket.channel(topic, {});
      channels.set(topic, channel);
      channel.join();
      return phoenixSubscription(channel);
    },

    /** `channel.leave()` of the topic's latest channel: resolves on the ok reply, rejects on error or timeout. */
    unsubscribe(topic) {
      const channel = channels.get(topic);
      channels.delete(topic);
      if (!channel) {
        return Promise.resolve();
      }
      return new Promise((resolve, reject) => {
        channel
          .leave()
          .receive("ok", () => resolve())
          .receive("error", (response) => reject(new Error(`leave answered error ${JSON.stringify(response)}`)))
          .receive("timeout", () => reject(new Error("leave timed out")));
      });
    },
  };
}

/** A phoenix channel seen the way pushex's Subscription shows it: bindings called as fn(data, event). */
export function phoenixSubscription(channel) {
  return {
    channel,
    bind(eventName, fn) {
      const ref = channel.on("msg", (payload) => {
        if (eventName === "*" || payload.event === eventName) {
          fn(payload.data, payload.event);
        }
      });
      return () => channel.off("msg", ref);
    },
  };
}
