#!/usr/bin/env bash
# StartOS package checks that need neither Docker nor start-cli (reference/startos.md §7). Exit non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")"
step() { echo "[package] $*"; }
started=$(date +%s)

step "npm ci"
npm ci --no-audit --no-fund >/dev/null

step "TypeScript must be 6.0.x (TS 7 breaks ncc)"
ver=$(npx tsc --version | awk '{print $2}')
[[ "$ver" == 6.0.* ]] || { echo "TypeScript $ver is not 6.0.x"; exit 1; }

step "tsc --noEmit (package and tests)"
npx tsc --noEmit
npx tsc -p tsconfig.test.json --noEmit

step "SDK lint"
npm run -s lint

step "bundle (ncc)"
npm run -s build >/dev/null

step "manifest as start-cli pack would read it"
node -e '
  const m = require("./javascript/index.js").manifest;
  const app = require("../package.json").version;
  const fail = (s) => { console.error("manifest: " + s); process.exit(1); };
  if (m.id !== "spark-control") fail("id");
  if (m.sdkVersion !== "2.0.9") fail("sdkVersion " + m.sdkVersion);
  if (m.version.split(":")[0] !== app) fail("version " + m.version + " vs app " + app);
  if (m.description.short.length > 80 || m.description.long.length > 500) fail("description length");
  for (const img of Object.values(m.images)) if (!img.arch.every((a) => ["x86_64","aarch64"].includes(a))) fail("arch");
  const exp = require("./javascript/index.js");
  for (const k of ["main","init","uninit","createBackup","actions"]) if (!exp[k]) fail("missing export " + k);
  console.log("  " + m.id + " " + m.version + " sdk " + m.sdkVersion + " arch " + Object.values(m.images).map((i) => i.arch.join("+")).join(","));
'
pkgid=$(awk -F"'" '/id:/ {print $2; exit}' startos/manifest/index.ts)
[[ "$pkgid" == "spark-control" ]] || { echo "s9pk.mk would read PACKAGE_ID=$pkgid"; exit 1; }

step "pack prerequisites"
[[ $(ls icon.* | wc -l) == 1 ]] || { echo "need exactly one icon.*"; exit 1; }
[[ $(stat -c %s icon.*) -le 40960 ]] || { echo "icon larger than 40 KiB"; exit 1; }
[[ $(ls LICENSE* | wc -l) == 1 ]] || { echo "need exactly one LICENSE"; exit 1; }
[[ -s instructions.md ]] || { echo "instructions.md missing"; exit 1; }
[[ -n "$(ls -A assets)" ]] || { echo "assets/ is empty"; exit 1; }
[[ -f ../Dockerfile ]] || { echo "../Dockerfile missing"; exit 1; }

step "vitest"
npx vitest run
echo "[package] all checks passed in $(( $(date +%s) - started )) s"
