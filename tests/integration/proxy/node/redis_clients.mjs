// node-redis 5 (RESP2 and RESP3), node-redis 4 and ioredis against `ringleader serve`.
//
// Usage: node redis_clients.mjs REDIS_PORT. Prints "ok" and exits 0, or throws on the first mismatch.
// Each library connects as it does by default (node-redis 5 with RESP 3 opens with HELLO 3, and all
// send CLIENT SETINFO or SETNAME), then runs its commands through the pool: single keys of each
// type, multi-key commands split over the servers, and pipelines.
import assert from "node:assert/strict";

import { createClient } from "redis";
import { createClient as createClient4 } from "redis4";
import Redis from "ioredis";

const port = Number(process.argv[2]);
const url = `redis://127.0.0.1:${port}`;

// The commands every library runs; `tag` keeps one library's keys apart from another's.
async function exercise(client, tag) {
  const k = (name) => `${tag}:${name}`;
  assert.equal(await client.ping(), "PONG");
  const keys = Array.from({ length: 20 }, (_, i) => k(`key${i}`));
  for (const [i, key] of keys.entries()) assert.equal(await client.set(key, `v${i}`), "OK");
  assert.deepEqual(await client.mGet(keys), keys.map((_, i) => `v${i}`));
  assert.deepEqual(await client.mGet([k("missing"), keys[0]]), [null, "v0"]);
  assert.equal(await client.get(k("missing")), null);
  assert.equal(await client.del(keys), keys.length);
  assert.equal(await client.hSet(k("hash"), { f: "1", g: "2" }), 2);
  assert.deepEqual({ ...(await client.hGetAll(k("hash"))) }, { f: "1", g: "2" });
  assert.equal(await client.zAdd(k("zset"), [{ score: 1.5, value: "m" }]), 1);
  assert.equal(Number(await client.zScore(k("zset"), "m")), 1.5);
  assert.equal(await client.sAdd(k("set"), ["x", "y"]), 2);
  assert.deepEqual([...(await client.sMembers(k("set")))].sort(), ["x", "y"]);
  assert.equal(await client.incrBy(k("counter"), 5), 5);
  assert.equal(await client.del([k("hash"), k("zset"), k("set"), k("counter")]), 4);
}

async function nodeRedis(create, options, tag) {
  const client = create({ url, ...options });
  client.on("error", (e) => { throw e; });
  await client.connect();
  await exercise(client, tag);
  // A pipeline: sent together, not as a transaction.
  const replies = await client.multi().incr(`${tag}:p`).incr(`${tag}:p`).get(`${tag}:p`).execAsPipeline();
  assert.deepEqual(replies.map(String), ["1", "2", "2"]);
  await client.del(`${tag}:p`);
  // A transaction on hash-tagged keys, and a blocking pop woken by another client's push.
  const t = `{${tag}}`;
  assert.deepEqual((await client.multi().set(`${t}a`, "1").incr(`${t}b`).exec()).map(String), ["OK", "1"]);
  // One over keys of several servers is refused whole (the error names why), and no key is written.
  const spread = Array.from({ length: 20 }, (_, i) => `${tag}:tx${i}`);
  await assert.rejects(spread.reduce((multi, key) => multi.set(key, "1"), client.multi()).exec(), /another server|EXECABORT/);
  assert.equal(await client.exists(spread), 0);
  const pusher = client.duplicate();
  await pusher.connect();
  const popped = client.blPop(`${t}list`, 0);
  await pusher.rPush(`${t}list`, "woken");
  assert.deepEqual({ ...(await popped) }, { key: `${t}list`, element: "woken" });
  // Pub/sub on a connection of its own, as node-redis wants it: a channel and a pattern.
  const subscriber = client.duplicate();
  await subscriber.connect();
  const received = [];
  let arrived;
  const both = new Promise((resolve) => { arrived = resolve; });
  const note = (message) => { received.push(message); if (received.length === 2) arrived(); };
  await subscriber.subscribe(`${tag}:news`, (message) => note(message));
  await subscriber.pSubscribe(`${tag}:n*`, (message) => note(`p:${message}`));
  assert.equal(await pusher.publish(`${tag}:news`, "hello"), 2);
  await both;
  assert.deepEqual(received.sort(), ["hello", "p:hello"]);
  await subscriber.quit();
  await pusher.quit();
  assert.equal(await client.del([`${t}a`, `${t}b`]), 2);
  if (options.name) assert.equal(await client.clientGetName(), options.name);
  await client.quit();
}

await nodeRedis(createClient, {}, "node5");
await nodeRedis(createClient, { RESP: 3, name: "resp3-app" }, "node5resp3");
await nodeRedis(createClient4, { name: "v4-app" }, "node4");

// ioredis: RESP2, its own command names.
const io = new Redis(port, "127.0.0.1", { connectionName: "io-app", lazyConnect: true, maxRetriesPerRequest: 0 });
await io.connect();
const ioKeys = Array.from({ length: 20 }, (_, i) => `io:key${i}`);
assert.equal(await io.mset(Object.fromEntries(ioKeys.map((key, i) => [key, `v${i}`]))), "OK");
assert.deepEqual(await io.mget(ioKeys), ioKeys.map((_, i) => `v${i}`));
assert.deepEqual(await io.hgetall("io:none"), {});
const piped = await io.pipeline().incr("io:p").incr("io:p").exec();
assert.deepEqual(piped, [[null, 1], [null, 2]]);
assert.deepEqual(await io.multi().set("{io}a", "1").incr("{io}b").exec(), [[null, "OK"], [null, 1]]);
await assert.rejects(ioKeys.reduce((multi, key) => multi.set(key, "x"), io.multi()).exec(), /another server|EXECABORT/);
assert.deepEqual(await io.mget(ioKeys.slice(0, 2)), ["v0", "v1"]);  // the aborted transaction wrote nothing
const ioPusher = io.duplicate();
const ioPopped = io.blpop("{io}list", 0);
await ioPusher.rpush("{io}list", "woken");
assert.deepEqual(await ioPopped, ["{io}list", "woken"]);
ioPusher.disconnect();
assert.equal(await io.del("{io}a", "{io}b"), 2);
assert.equal(await io.del(...ioKeys, "io:p"), ioKeys.length + 1);
assert.equal(await io.client("GETNAME"), "io-app");
await io.quit();
console.log("ok");
