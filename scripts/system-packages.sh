#!/usr/bin/env bash
# Debian packages the test suite drives as real peers and tools: sipp, Kamailio, baresip, espeak-ng, sox, promtool,
# chromium and a Chinese font for it (the zh-CN manager page's screenshots), sipvicious (the scanner the SIP hygiene
# test runs). Installs only what is missing, quietly; needs root (CI runs as root).
# `system-packages.sh bench` adds what only bench/ uses: wrk (bench/lookup_bench.py's client; without it the bench
# falls back to an httpx client that measures itself more than the server).
set -euo pipefail
packages=(sip-tester kamailio baresip espeak-ng sox chromium chromium-driver tcpdump prometheus sipvicious libsox-fmt-mp3
          fonts-wqy-microhei)  # prometheus: promtool
[ "${1:-}" = bench ] && packages+=(wrk)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "system-packages: missing ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
