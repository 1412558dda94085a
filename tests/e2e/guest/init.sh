#!/bin/busybox sh
# /init of the e2e PV guest. The kernel command line picks what runs on its
# console (hvc0): xpv=shell (default) a busybox shell, respawned;
# xpv=login the XENCONS-style login program (xpvguest login), respawned.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmp /tmp
mode=shell
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    xpv=*) mode=${arg#xpv=} ;;
    xpvhost=*) hostname "${arg#xpvhost=}" ;;
  esac
done
echo "xpvguest: $(hostname) up, console mode $mode" >/dev/hvc0
while true; do
  if [ "$mode" = login ]; then
    /bin/xpvguest login </dev/hvc0 >/dev/hvc0 2>&1
  else
    setsid -c sh -l </dev/hvc0 >/dev/hvc0 2>&1
  fi
  sleep 0.2
done
