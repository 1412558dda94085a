#!/bin/busybox sh
# /init of the e2e guests (PV, PVH and HVM alike). The kernel command line
# picks what runs on its PV console (hvc0): xpv=shell (default) a busybox
# shell, respawned; xpv=login the XENCONS-style login program (xpvguest
# login), respawned. xpvserial=1 (HVM) also runs a shell on the emulated
# UART (ttyS0).
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
serial=0
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    xpv=*) mode=${arg#xpv=} ;;
    xpvhost=*) hostname "${arg#xpvhost=}" ;;
    xpvserial=*) serial=${arg#xpvserial=} ;;
  esac
done
if [ "$serial" = 1 ]; then
  (
    echo "xpvguest: $(hostname) serial up" >/dev/ttyS0
    while true; do
      setsid -c sh -l </dev/ttyS0 >/dev/ttyS0 2>&1
      sleep 0.2
    done
  ) &
fi
if [ "$mode" = agetty ]; then
  chown 1000:1000 /home/xenpv
  chmod 0640 /etc/shadow
fi
echo "xpvguest: $(hostname) up at $(date +%s), console mode $mode" >/dev/hvc0
while true; do
  if [ "$mode" = login ]; then
    /bin/xpvguest login </dev/hvc0 >/dev/hvc0 2>&1
  elif [ "$mode" = agetty ]; then
    /sbin/agetty -o '-p -- \u' --keep-baud 115200,57600,38400,9600 hvc0 vt220
  else
    setsid -c sh -l </dev/hvc0 >/dev/hvc0 2>&1
  fi
  sleep 0.2
done
