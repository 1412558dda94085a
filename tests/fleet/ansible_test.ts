// Copyright 2026 the xenpv authors. MIT license.
// xenpv's Ansible connection plugin (examples/ansible/connection_plugins/
// xenpv.py) under Debian's real ansible-core (2.14): an inventory of a
// simulated dom0's Linux and Windows guests, an ad-hoc `raw` on both, and a
// playbook on the Linux one: output, exit statuses, and one login kept
// across tasks (a variable set by one task is seen by the next); the
// plugin's put_file and fetch_file through the same login.

import assert from "node:assert/strict";
import { have, skipUnless } from "../_peers.ts";
import { simDom0 } from "./_procs.ts";

const available = await have("ansible", ["--version"]) &&
  await have("ansible-playbook", ["--version"]);
const plugins = new URL("../../examples/ansible/connection_plugins", import.meta.url).pathname;

async function ansible(
  dir: string,
  command: string,
  args: string[],
): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(command, {
    args,
    cwd: dir,
    env: {
      ANSIBLE_CONNECTION_PLUGINS: plugins,
      ANSIBLE_LOCAL_TEMP: `${dir}/tmp`,
      ANSIBLE_NOCOLOR: "1",
      ANSIBLE_FORCE_COLOR: "0",
      ANSIBLE_PYTHON_INTERPRETER: "/usr/bin/python3",
      ANSIBLE_LOCALHOST_WARNING: "0",
      PYTHONDONTWRITEBYTECODE: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: r.code, out: text.decode(r.stdout) + text.decode(r.stderr) };
}

/**
 * Ends the plugin's control processes in `folder` (one per guest, each
 * keeping its login) as their idle time would, and waits until they are
 * gone (they log out first, then release the console).
 */
async function endControls(folder: string): Promise<void> {
  const pids: number[] = [];
  const exists = await Deno.stat(folder).then(() => true, () => false);
  for await (const entry of exists ? Deno.readDir(folder) : []) {
    if (!entry.name.endsWith(".pid")) continue;
    const pid = Number(await Deno.readTextFile(`${folder}/${entry.name}`));
    pids.push(pid);
    Deno.kill(pid, "SIGTERM");
  }
  const deadline = Date.now() + 20_000;
  for (const pid of pids) {
    // not our child: wait for /proc/<pid> to go (or to be a zombie), every 50 ms
    for (;;) {
      const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
      if (stat === "" || / Z /.test(stat)) break;
      if (Date.now() > deadline) throw new Error(`control process ${pid} did not end`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The plugin's put_file and fetch_file, called through Ansible's plugin loader. */
const FILES_PY = `
import sys
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader
from ansible.errors import AnsibleError
folder, socket = sys.argv[1], sys.argv[2]
play = PlayContext()
play.remote_addr = "deb1"
conn = connection_loader.get("xenpv", play, None)
conn.set_options(var_options={
    "inventory_hostname": "deb1", "ansible_user": "root", "ansible_password": "xenpv",
    "ansible_xenpv_dialect": "linux", "ansible_xenpv_env": {"XENSTORED_PATH": socket},
    "ansible_xenpv_control_dir": folder + "/cp", "ansible_xenpv_persist": 30,
})
conn.put_file(folder + "/blob.bin", "/root/blob.bin")
rc, out, err = conn.exec_command("ls -l /root/blob.bin")
print("ls:", out.decode().strip(), rc)
conn.fetch_file("/root/blob.bin", folder + "/back.bin")
try:
    conn.fetch_file("/nowhere", folder + "/nothing.bin")
except AnsibleError as e:
    print("missing: AnsibleError:", e)
conn.close()
`;

Deno.test({
  name: "ansible: ad-hoc raw on a Linux and a Windows guest, a playbook on Linux, one login, files",
  ignore: skipUnless(available, "ansible-core"),
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-ansible-" });
  try {
    const socket = `${dir}/xs.sock`;
    await using dom0 = await simDom0("dom0", socket, ["deb1:linux", "win1:windows"], {
      firstDomid: 301,
    });
    void dom0;
    await Deno.writeTextFile(
      `${dir}/inventory.yml`,
      JSON.stringify({
        all: {
          vars: {
            ansible_connection: "xenpv",
            ansible_xenpv_env: { XENSTORED_PATH: socket },
            ansible_xenpv_control_dir: `${dir}/cp`,
            ansible_xenpv_persist: 30,
          },
          children: {
            linux: {
              hosts: { deb1: { ansible_user: "root", ansible_password: "xenpv" } },
              vars: { ansible_xenpv_dialect: "linux" },
            },
            windows: {
              hosts: { win1: { ansible_user: "Administrator", ansible_password: "xenpv" } },
              vars: { ansible_xenpv_dialect: "windows", ansible_shell_type: "cmd" },
            },
          },
        },
      }),
    );
    try {
      const adhoc = await ansible(dir, "ansible", [
        ...["all", "-i", "inventory.yml", "-m", "raw", "-a", "hostname"],
      ]);
      assert.equal(adhoc.code, 0, adhoc.out);
      assert.match(adhoc.out, /^deb1 \| CHANGED \| rc=0 >>\ndeb1\n/m);
      assert.match(adhoc.out, /^win1 \| CHANGED \| rc=0 >>\nWIN1\n/m);
      assert.doesNotMatch(adhoc.out, /xenpv\b(?!:)/); // no password in what Ansible shows

      await Deno.writeTextFile(
        `${dir}/play.yml`,
        JSON.stringify([{
          hosts: "linux",
          gather_facts: false,
          tasks: [
            { name: "one command", raw: "uname -n", register: "name" },
            { name: "a shell variable", raw: "MARK=kept-by-one-login" },
            { name: "the same shell", raw: "echo $MARK", register: "mark" },
            { name: "a failing command", raw: "ls /nowhere", register: "bad", ignore_errors: true },
            { name: "exit N", raw: "exit 7", register: "seven", ignore_errors: true },
            {
              name: "what the guest said",
              assert: {
                that: [
                  "name.stdout == 'deb1\\n'",
                  "name.rc == 0",
                  "mark.stdout == 'kept-by-one-login\\n'",
                  "bad.rc == 2",
                  "'No such file or directory' in bad.stdout",
                  "seven.rc == 7",
                ],
              },
            },
          ],
        }]),
      );
      const play = await ansible(dir, "ansible-playbook", ["-i", "inventory.yml", "play.yml"]);
      assert.equal(play.code, 0, play.out);
      assert.match(
        play.out,
        /deb1 +: ok=6 +changed=5 +unreachable=0 +failed=0 +skipped=0 +rescued=0 +ignored=2/,
      );

      // put_file and fetch_file, as modules use them (the simulated guest has no
      // python to run a module): the plugin called as Ansible calls it
      await Deno.writeFile(`${dir}/blob.bin`, new Uint8Array([0, 1, 2, 255, 13, 10, 26]));
      await Deno.writeTextFile(`${dir}/files.py`, FILES_PY);
      const files = await new Deno.Command("/usr/bin/python3", {
        args: [`${dir}/files.py`, dir, socket],
        env: { ANSIBLE_CONNECTION_PLUGINS: plugins, PYTHONDONTWRITEBYTECODE: "1" },
      }).output();
      const said = new TextDecoder().decode(files.stdout) + new TextDecoder().decode(files.stderr);
      assert.equal(files.code, 0, said);
      assert.match(said, /^ls: -rw-r--r-- 1 root root/m);
      assert.deepEqual(
        await Deno.readFile(`${dir}/back.bin`),
        new Uint8Array([0, 1, 2, 255, 13, 10, 26]),
      );
      assert.match(said, /^missing: AnsibleError: xenpv: copying \/nowhere from the guest: /m);

      await endControls(`${dir}/cp`); // the kept login holds the console: end it first
      const wrong = JSON.parse(await Deno.readTextFile(`${dir}/inventory.yml`));
      wrong.all.children.linux.hosts.deb1.ansible_password = "not-it";
      wrong.all.vars.ansible_xenpv_control_dir = `${dir}/cp2`;
      await Deno.writeTextFile(`${dir}/wrong.yml`, JSON.stringify(wrong));
      const refused = await ansible(dir, "ansible", [
        "deb1",
        "-i",
        "wrong.yml",
        "-m",
        "raw",
        "-a",
        "true",
      ]);
      assert.equal(refused.code, 4, refused.out); // unreachable
      assert.match(
        refused.out,
        /deb1 \| UNREACHABLE!.*could not log in to deb1: run: login as \\"root\\" failed: the guest rejected the user name or password/s,
      );
      assert.doesNotMatch(refused.out, /not-it/);
    } finally {
      await endControls(`${dir}/cp`);
      await endControls(`${dir}/cp2`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
