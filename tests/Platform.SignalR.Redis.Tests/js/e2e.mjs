// Real @microsoft/signalr clients against two servers sharing the Redis backplane.
// usage: node e2e.mjs <urlA> <urlB>; prints one JSON line with what each client saw, exits non-zero on failure.
import * as signalR from "@microsoft/signalr";

const [urlA, urlB] = process.argv.slice(2);
const timeout = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms));
const connect = async (url) => {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${url}/hub`, { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  const received = [];
  let notify = () => {};
  connection.on("Receive", (text) => { received.push(text); notify(); });
  connection.on("GetValue", (question) => `answer to ${question}`);
  await connection.start();
  const next = () => received.length > 0 ? Promise.resolve(received.shift())
    : new Promise((resolve) => { notify = () => { notify = () => {}; resolve(received.shift()); }; });
  return { connection, next };
};

try {
  const a = await connect(urlA);
  const b1 = await connect(urlB);
  const b2 = await connect(urlB);
  await a.connection.invoke("Join", "room");
  await b1.connection.invoke("Join", "room");

  await a.connection.invoke("SendToGroup", "room", "hello from A");
  const onA = await Promise.race([a.next(), timeout(10000, "group message on A")]);
  const onB = await Promise.race([b1.next(), timeout(10000, "group message on B")]);
  // b2 is not in the group: the next thing it sees is a direct message sent after the group message.
  await a.connection.invoke("SendToConnection", await b2.connection.invoke("WhoAmI"), "direct");
  const onB2 = await Promise.race([b2.next(), timeout(10000, "direct message on B")]);

  const answer = await Promise.race([
    a.connection.invoke("AskClient", await b1.connection.invoke("WhoAmI"), "life"), timeout(10000, "client result")]);
  let unknown;
  try { await a.connection.invoke("AskClient", "no-such-connection", "x"); } catch (e) { unknown = e.message; }

  console.log(JSON.stringify({ onA, onB, onB2, answer, unknown }));
  await Promise.all([a, b1, b2].map((c) => c.connection.stop()));
  process.exit(0);
} catch (e) {
  console.error(e?.stack ?? String(e));
  process.exit(1);
}
