// Drives Sync.Api's hub with the official @microsoft/signalr client, exactly as the browser front end will:
// a host on instance A and a guest on instance B. Prints one JSON line with what it observed.
import * as signalR from "@microsoft/signalr";

const [urlA, urlB] = process.argv.slice(2);
const fail = (message) => { console.error(message); process.exit(1); };
const within = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);

async function post(base, path, body, token) {
  const response = await fetch(new URL(path, base), {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) fail(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

function connect(base, token) {
  return new signalR.HubConnectionBuilder()
    .withUrl(new URL("/hubs/sync", base).toString(), { accessTokenFactory: () => token })
    .withAutomaticReconnect()
    .configureLogging(signalR.LogLevel.Warning)
    .build();
}

const host = await post(urlA, "/api/sessions", { displayName: "js-host" });
const guest = await post(urlB, "/api/sessions", { displayName: "js-guest" });
const room = await post(urlA, "/api/rooms", { name: "js room" }, host.token);

const a = connect(urlA, host.token);
const b = connect(urlB, guest.token);
let guestLatest = null;
let resolveSeen;
const seen = new Map();
b.on("TimelineChanged", (t) => {
  if (!guestLatest || t.seq > guestLatest.seq) guestLatest = t;
  seen.get(t.seq)?.();
});
const chat = new Promise((resolve) => a.on("ChatReceived", resolve));
const waitSeq = (seq) => guestLatest?.seq >= seq ? Promise.resolve() : new Promise((r) => seen.set(seq, r));

await a.start();
await b.start();
const joinedA = await a.invoke("JoinRoom", room.id, null);
const joinedB = await b.invoke("JoinRoom", room.id, null);
if (!joinedA.ok || !joinedB.ok) fail(JSON.stringify({ joinedA, joinedB }));
await a.invoke("SetWaitOptOut", true);
await b.invoke("SetWaitOptOut", true);

const t0 = Date.now();
const serverTime = await a.invoke("GetServerTime");
const media = await a.invoke("ChangeMedia", null, "https://media.example/js.mp4", "JS", 60000);
const seek = await a.invoke("Seek", media.value.seq, 5000);
await within(waitSeq(seek.value.seq), 10000, "guest sees the seek");
const bad = await a.invoke("Seek", null, -5);
const stale = await b.invoke("Pause", media.value.seq);
const sent = await b.invoke("SendChat", "hello from node");
const received = await within(chat, 10000, "host gets the chat");

console.log(JSON.stringify({
  serverTimeSkewMs: Math.abs(serverTime - t0),
  hostSeq: seek.value.seq,
  guestSeq: guestLatest.seq,
  guestPosition: guestLatest.positionMs,
  badCode: bad.ok ? null : bad.error.code,
  staleCode: stale.ok ? null : stale.error.code,
  staleValueSeq: stale.value?.seq ?? null,
  chatOk: sent.ok,
  chatText: received.text,
  chatFrom: received.displayName,
}));
await a.stop();
await b.stop();
