#!/bin/busybox sh
# /init of the e2e dom0: load the Xen drivers, start xenstored and
# xenconsoled as a Debian dom0 does, mount the checkout (9p "repo") and the
# Deno binary (9p "deno"), create the boot guests (in the background, HVM
# first: they boot while deno starts), run the dom0 test suite with the real
# deno, leave its log and exit status in the checkout's .cache/e2e/out,
# power off.
/bin/busybox --install -s /bin
export PATH=/usr/lib/xen-4.17/bin:/usr/bin:/bin:/usr/sbin:/sbin
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm /run /tmp /var /var/log/xen/console /var/lib/xen /var/lib/xenstored /var/lock /mnt/repo /opt/deno
mount -t devpts devpts /dev/pts
mount -t tmpfs run /run
mount -t tmpfs tmp /tmp
mount -t tmpfs shm /dev/shm
ln -s /run /var/run
# loopback: the console server test listens on 127.0.0.1
ip link set lo up || ifconfig lo 127.0.0.1 up
mkdir -p /run/xen /run/xenstored
say() { echo "xpv-e2e: $*"; }
finish() {
  if [ -d "$out" ]; then
    xl dmesg > $out/xl-dmesg.log 2>&1
    cp /var/log/xen/console/guest-*.log $out/ 2>/dev/null
    cp /var/log/xen/qemu-dm-*.log $out/ 2>/dev/null
  fi
  say "exit $1"
  echo "XPV-E2E-EXIT=$1"
  sync
  printf '\001' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
  poweroff -f
}
for m in $(cat /etc/xpv-modules); do insmod "$m" || say "insmod $m failed"; done
mount -t xenfs xenfs /proc/xen || finish 90
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 repo /mnt/repo || finish 91
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro deno /opt/deno || finish 92
out=/mnt/repo/.cache/e2e/out
mkdir -p $out
xenstored --pid-file=/run/xenstored.pid || finish 93
xen-init-dom0 >/dev/null || finish 94
# --log=guest: every guest's console output in /var/log/xen/console, copied to
# the output folder at the end (a guest that crashes leaves its last words)
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest || finish 95
say "xen up at $(cut -d' ' -f1 /proc/uptime)s"
# One xl create at a time (two at once made libxc fail to unpack the kernel).
# The tests wait for /run/xpv-guests/done; each guest's creation time (s since
# the epoch, Xen's wall clock, which the guests share) is in /run/xpv-guests.
mkdir -p /run/xpv-guests
(
  for cfg in /etc/xpv-guests/*.cfg; do
    name=$(basename "$cfg" .cfg)
    name=${name#*-}
    date +%s > /run/xpv-guests/$name.created
    t0=$(cut -d' ' -f1 /proc/uptime)
    if xl create -q "$cfg" > /run/xpv-guests/$name.log 2>&1; then
      say "created $name in $(awk "BEGIN { print $(cut -d' ' -f1 /proc/uptime) - $t0 }") s"
    else
      say "xl create $name failed: $(tail -3 /run/xpv-guests/$name.log)"
    fi
  done
  say "boot guests created at $(cut -d' ' -f1 /proc/uptime)s"
  touch /run/xpv-guests/done
) &
cd /mnt/repo
export HOME=/root DENO_DIR=/tmp/deno NO_COLOR=1 XPV_E2E_OUT=$out
export XPV_E2E_KINDS=$(cat /etc/xpv-kinds)
filter=$(cat /etc/xpv-filter 2>/dev/null)
set -o pipefail
# a crash of deno leaves a core in the checkout for gdb on the host (deno
# crashed at random here before Xen ran with xsave=0, see run.ts)
ulimit -c unlimited
echo "$out/core.%e.%p" > /proc/sys/kernel/core_pattern
# One deno process, the tests in order (see suite.ts)
/opt/deno/deno test --allow-all --no-check --reporter=tap ${filter:+--filter "$filter"} \
  tests/e2e/dom0/suite.ts 2>&1 | tee $out/dom0.log
finish $?
