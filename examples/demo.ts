// Copyright 2026 the xenpv authors. MIT license.
/**
 * `deno task demo`: a guided run of the xenstore layer. It starts the
 * in-memory xenstored on a unix socket, connects two clients through libc
 * (as in dom0), and shows what a console attach relies on: the toolstack
 * writing a guest's console keys, a watch firing when the tty appears, and
 * two writers racing in transactions, the loser retried automatically.
 *
 * @module
 */

import { XenstoreClient, XenstoreServer } from "../xenstore/mod.ts";

const dim = (s: string) => Deno.stdout.isTerminal() ? `\x1b[2m${s}\x1b[0m` : s;
const bold = (s: string) => Deno.stdout.isTerminal() ? `\x1b[1m${s}\x1b[0m` : s;
const step = (s: string) => console.log(`\n${bold(`== ${s}`)}`);
const say = (s: string) => console.log(`   ${s}`);

const socket = `/tmp/xenpv-demo-${Deno.pid}.sock`;
await using server = new XenstoreServer();
await using _listener = server.listen(socket);
step(`xenstored (in-memory) listening on ${socket}`);
say(dim(`try it from another shell: XENSTORED_PATH=${socket} xenstore-ls`));

await using toolstack = await XenstoreClient.connect({ path: socket });
await using console_ = await XenstoreClient.connect({ path: socket });

step("the toolstack creates guest 1 and its console keys");
const home = await toolstack.getDomainPath(1);
await toolstack.transaction(async (tx) => {
  await tx.write(`${home}/name`, "win-guest");
  await tx.write(`${home}/console/type`, "xenconsoled");
  await tx.write(`${home}/console/port`, "2");
  await tx.write(`${home}/console/ring-ref`, "456706");
  await tx.write(`${home}/console/limit`, "1048576");
});
for (const key of await toolstack.directory(`${home}/console`)) {
  say(`${home}/console/${key} = ${await toolstack.readString(`${home}/console/${key}`)}`);
}
server.introduceDomain(1);
say(`introduced: ${await toolstack.isDomainIntroduced(1)}`);

step("an attacher waits for xenconsoled to publish the pty (a watch)");
const ttyPath = `${home}/console/tty`;
await using watch = await console_.watch(ttyPath);
const first = await watch.next();
say(
  `initial event: ${first.value?.path} -> tty is ${
    await console_.tryRead(ttyPath) ?? "not there yet"
  }`,
);
setTimeout(() => toolstack.write(ttyPath, "/dev/pts/7"), 300);
const fired = await watch.next();
say(`watch fired: ${fired.value?.path} -> tty is ${await console_.readString(ttyPath)}`);

step("two writers race to bump a counter inside transactions");
await toolstack.write("/demo/counter", "0");
let attempts = 0;
const bump = async (client: XenstoreClient, who: string) => {
  await client.transaction(async (tx) => {
    const attempt = ++attempts;
    const n = Number(await tx.readString("/demo/counter"));
    await new Promise((r) => setTimeout(r, 20)); // both read before either commits
    await tx.write("/demo/counter", String(n + 1));
    say(`${who} read ${n}, writes ${n + 1} (attempt ${attempt})`);
  });
  say(`${who} committed`);
};
await Promise.all([bump(toolstack, "toolstack"), bump(console_, "attacher ")]);
say(
  `counter = ${await toolstack.readString("/demo/counter")} after ${attempts} attempts: ` +
    "the commit that met EAGAIN was retried on fresh data",
);

step("the guest is destroyed: @releaseDomain fires");
await using released = await console_.watch("@releaseDomain");
await released.next(); // initial event
server.releaseDomain(1);
say(
  `event: ${(await released.next()).value?.path}; introduced: ${await console_.isDomainIntroduced(
    1,
  )}`,
);

step("done");
say(dim(`server stats: ${JSON.stringify(server.stats)}`));
say(
  "next: `deno task test` runs every check, including libxenstore's CLIs and pyxs against this server",
);
