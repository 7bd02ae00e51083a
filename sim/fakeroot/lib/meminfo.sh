#!/usr/bin/env bash
# /proc/meminfo as a DGX Spark reports it: a GB10's 128 GB of LPDDR5x shows as ~121.7 GiB MemTotal (what firmware and
# the kernel keep is not in it; nvtop on a Spark shows 121.69 GiB — an approximate figure). The rest is this machine's
# own meminfo, and what its programs use counts as used there too, so the figures still move. Simulated services add
# what they hold (KiB, one file each under $SIM_STATE/held-memory/, written by the plugins' fakes) to the used memory.
held=0
if [ -d "$SIM_STATE/held-memory" ]; then
  for f in "$SIM_STATE"/held-memory/*; do
    [ -f "$f" ] || continue
    read -r v < "$f" 2>/dev/null || continue
    [[ "$v" =~ ^[0-9]+$ ]] && held=$((held + v))
  done
fi
awk -v total=127601152 -v held="$held" '
  function clamp(v) { return v < 0 ? 0 : (v > total ? total : v) }
  /^MemTotal:/ { real = $2; printf "MemTotal:       %8d kB\n", total; next }
  /^(MemFree|MemAvailable):/ { printf "%-15s %8d kB\n", $1, clamp($2 + total - real - held); next }
  { print }
' /proc/meminfo
