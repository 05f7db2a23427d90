// What a front end and its backend do with the server besides the socket: ask the sample's demo login for a token,
// and post pushes to the HTTP API as a backend would. Every request is bounded.

const REQUEST_TIMEOUT_MS = 5_000;

/** The socket base URL a front end passes to `new Pushex(...)` or `new Socket(...)`: ws://host/push_socket. */
export function socketUrl(server) {
  const url = new URL("/push_socket", server);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** GET /token?user=ID on the sample server, as the sample page does; resolves with the token. */
export async function fetchToken(server, user) {
  const response = await fetch(new URL(`/token?user=${encodeURIComponent(user)}`, server), {
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!response.ok) {
    throw new Error(`GET /token answered ${response.status}`);
  }
  return (await response.json()).token;
}

/** POST /api/push with `Authorization: Bearer <key>`; resolves with the status and fails on anything but 200. */
export async function postPush(server, key, push) {
  const response = await fetch(new URL("/api/push", server), {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
    body: JSON.stringify(push),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = await response.text();
  if (response.status !== 200) {
    throw new Error(`POST /api/push ${JSON.stringify(push).slice(0, 200)} answered ${response.status} ${body}`);
  }
  return response.status;
}
