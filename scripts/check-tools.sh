#!/usr/bin/env bash
# Proves that every outside tool the tests use really works, before the suite starts: one line per tool, and a
# failure within seconds that names the missing piece (a Debian package's Recommends are not installed with
# --no-install-recommends, so "installed" is not the same as "works").
set -uo pipefail
failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check() { # name, Debian package, command...
  local name=$1 pkg=$2; shift 2
  local out
  if out=$(timeout 30 "$@" 2>&1); then
    printf 'ok    %-22s %s\n' "$name" "$(head -n 1 <<<"$out" | cut -c1-80)"
  else
    printf 'FAIL  %-22s (Debian package %s): %s\n' "$name" "$pkg" "$(tail -n 2 <<<"$out" | tr '\n' ' ' | cut -c1-200)"
    failed=1
  fi
}

# Debian's Python packages belong to /usr/bin/python3, not to whatever python3 is first on PATH.
check "pymodbus client" "python3-pymodbus python3-serial-asyncio" \
  /usr/bin/python3 -c 'import pymodbus; from pymodbus.client import ModbusTcpClient; print("pymodbus", pymodbus.__version__)'
check "snmpget" "snmp" snmpget -V
check "snmpwalk" "snmp" snmpwalk -V
check "snmpd" "snmpd" snmpd -v
check "mbpoll" "mbpoll" mbpoll -V
check "socat" "socat" bash -c 'socat -V | sed -n 2p && socat -u OPEN:/dev/null,rdonly OPEN:/dev/null,wronly'
# mosquitto really serving: start it on a free port, subscribe once, publish once.
check "mosquitto" "mosquitto mosquitto-clients" bash -c '
  port=$(( 20000 + RANDOM % 20000 ))
  printf "listener %s 127.0.0.1\nallow_anonymous true\n" "$port" > '"$work"'/mosquitto.conf
  mosquitto -c '"$work"'/mosquitto.conf >'"$work"'/mosquitto.log 2>&1 & pid=$!
  trap "kill $pid 2>/dev/null" EXIT
  for i in $(seq 50); do mosquitto_pub -h 127.0.0.1 -p "$port" -t probe -m x 2>/dev/null && break; sleep 0.1; done
  (sleep 0.5; mosquitto_pub -h 127.0.0.1 -p "$port" -t probe -m hello) &
  mosquitto_sub -h 127.0.0.1 -p "$port" -t probe -C 1 -W 5 && mosquitto -h 2>&1 | head -n 1 >/dev/null'
check "chromium" "chromium" bash -c 'chromium --version 2>/dev/null && chromium --headless --no-sandbox --disable-gpu \
  --no-first-run --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir='"$work"'/chromium --dump-dom "data:text/html,<p>rendered</p>" 2>/dev/null | grep -q rendered'
check "CJK fonts" "fonts-noto-cjk" bash -c 'fc-list :lang=zh family | grep -m 1 -i "noto"'

if [ "$failed" != 0 ]; then
  echo "check-tools: a tool the tests need does not work; install the package named above" >&2
  exit 1
fi
