// What a library sees through `ringleader serve` when the server behind its subscriber and its
// blocked client dies: node-redis 5 (RESP2 and RESP3), node-redis 4 or ioredis, one per run.
//
// Usage: node redis_failures.mjs LIBRARY PROXY_PORT SERVER_PORT, LIBRARY one of node5, node5resp3,
// node4, ioredis; the pool's one server listens on SERVER_PORT and is shut down here. Prints "ok"
// and exits 0, or throws on the first mismatch.
import assert from "node:assert/strict";

import { createClient } from "redis";
import { createClient as createClient4 } from "redis4";
import Redis from "ioredis";

const [library, proxyPort, serverPort] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const server = `127.0.0.1:${serverPort}`;
// What never comes (a subscriber never disconnected) fails the run instead of hanging it.
setTimeout(() => {
  console.error("timed out: the subscriber was not disconnected, or BLPOP not answered");
  process.exit(2);
}, 30000).unref();

// The library's clients, none reconnecting (a reconnect would hide what the proxy did), and how
// each says its connection ended.
function connect(port, name) {
  if (library === "ioredis") {
    const client = new Redis(port, "127.0.0.1", { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on("error", () => {});
    const ended = new Promise((resolve) => client.on("end", resolve));
    return { client, ended, open: () => client.connect(), close: () => client.disconnect() };
  }
  const create = library === "node4" ? createClient4 : createClient;
  const client = create({ url: `redis://127.0.0.1:${port}`, name, socket: { reconnectStrategy: false },
                          ...(library === "node5resp3" ? { RESP: 3 } : {}) });
  const ended = new Promise((resolve) => client.on("error", resolve));
  const close = async () => {
    try {
      await client.disconnect();
    } catch {}  // closed already: the server's and the subscriber's
  };
  return { client, ended, open: () => client.connect(), close };
}

const subscriber = connect(proxyPort, "subscriber");
const blocked = connect(proxyPort, "blocked");
const direct = connect(serverPort, "direct");
for (const c of [subscriber, blocked, direct]) await c.open();

if (library === "ioredis") {
  await subscriber.client.subscribe("news");
} else {
  await subscriber.client.subscribe("news", () => {});
}
const popped = library === "ioredis" ? blocked.client.blpop("jobs", 0) : blocked.client.blPop("jobs", 0);
const failed = popped.then(() => assert.fail("BLPOP answered"), (e) => e);
// The pop reaches the server before it goes.
for (let i = 0; !(await direct.client.info("clients")).includes("blocked_clients:1"); ++i) {
  assert.ok(i < 2000, "BLPOP never reached the server");
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const shutdown = library === "ioredis" ? direct.client.shutdown("NOSAVE") : direct.client.sendCommand(["SHUTDOWN", "NOSAVE"]);
await shutdown.catch(() => {});  // the server closes the connection instead of answering

// The blocked client gets an error that names the server, on a connection that stays open.
const error = await failed;
assert.ok(String(error.message).includes(server), `BLPOP's error does not name ${server}: ${error.message}`);
// The subscriber is disconnected, so that a library that reconnects subscribes again.
await subscriber.ended;
for (const c of [subscriber, blocked, direct]) await c.close();
console.log("ok");
