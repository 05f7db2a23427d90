// A small Phoenix Channels (V2) client for the sample page. Front ends normally use the `pushex` or `phoenix`
// npm packages, which the test suite runs against this server; this module only keeps the page dependency-free.
// It recovers explicitly: each push carries its place in the topic's history ({offset, epoch}), and a rejoin asks
// for everything after the last one seen (phoenix.js apps do the same with `channel(topic, () => ({recover}))`).
// The socket URL comes from a function called before every connect, as phoenix.js calls a `params` function: the
// token in it expires (the server then closes with 4001 "token expired"), and each reconnect needs a valid one.
export class PushClient {
  #getUrl; #socket = null; #ref = 0; #topics = new Map(); #heartbeat = null; #retries = 0; #closedByUs = false;

  // getUrl: () => Promise<string> (or a string), the socket URL with fresh credentials.
  constructor(getUrl, { onStatus = () => {} } = {}) {
    this.#getUrl = getUrl;
    this.onStatus = onStatus;
  }

  async connect() {
    this.#closedByUs = false;
    let url;
    try {
      url = await this.#getUrl();
    } catch {
      this.#retryLater();
      return;
    }
    if (this.#closedByUs) return;
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.onopen = () => {
      this.#retries = 0;
      this.onStatus("connected");
      for (const topic of this.#topics.keys()) this.#join(topic);
      this.#heartbeat = setInterval(() => this.#send([null, this.#nextRef(), "phoenix", "heartbeat", {}]), 30000);
    };
    socket.onmessage = (message) => this.#receive(JSON.parse(message.data));
    socket.onclose = (event) => {
      clearInterval(this.#heartbeat);
      for (const channel of this.#topics.values()) channel.joinRef = null;
      this.onStatus(`disconnected (${event.code})`);
      // Like phoenix.js: a server close with 1000 means "stay away"; anything else (4001 "token expired" too: the
      // next connect asks for a fresh URL) is retried with backoff.
      if (!this.#closedByUs && event.code !== 1000) this.#retryLater();
    };
  }

  #retryLater() {
    const delay = [1000, 2000, 5000][this.#retries++] ?? 10000;
    setTimeout(() => this.connect(), delay);
  }

  disconnect() {
    this.#closedByUs = true;
    this.#socket?.close(1000);
  }

  // onPush(data, event, position) is called for every push to the topic, as pushex.js calls its bindings;
  // onRecovery({recovered, missed, epoch, offset}) after a rejoin that asked to recover.
  subscribe(topic, onPush, onJoin = () => {}, onRecovery = () => {}) {
    this.#topics.set(topic, { onPush, onJoin, onRecovery, joinRef: null, last: null });
    if (this.#socket?.readyState === WebSocket.OPEN) this.#join(topic);
  }

  #join(topic) {
    const ref = this.#nextRef();
    this.#topics.get(topic).joinRef = ref;
    const { last } = this.#topics.get(topic);
    this.#send([ref, ref, topic, "phx_join", last ? { recover: last } : {}]);
  }

  #receive([joinRef, ref, topic, event, payload]) {
    const channel = this.#topics.get(topic);
    if (!channel || (joinRef !== null && joinRef !== channel.joinRef)) return;
    if (event === "phx_reply" && ref === channel.joinRef) channel.onJoin(payload.status, payload.response);
    if (event === "msg") {
      if (payload.epoch !== undefined) channel.last = { epoch: payload.epoch, offset: payload.offset };
      channel.onPush(payload.data, payload.event, channel.last);
    }
    if (event === "recovery") {
      // Not recovered: the history changed or no longer reaches back; start over from the position given.
      if (payload.epoch !== null) channel.last = { epoch: payload.epoch, offset: payload.offset };
      channel.onRecovery(payload);
    }
  }

  #send(frame) {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(frame));
  }

  #nextRef() {
    return String(++this.#ref);
  }
}
