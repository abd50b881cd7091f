#!/usr/bin/env bash
# Rebuilds crates/web/assets/echarts.js, the vendored Apache ECharts bundle the
# web UI serves at /assets/echarts.js. The output is committed, so building
# amends needs no node; run this only after changing tools/charts (entry.js,
# banner.txt or the pinned versions in package.json / package-lock.json).
# Needs node and npm; installs exactly the locked packages (npm ci).
set -euo pipefail
cd "$(dirname "$0")/../tools/charts"
npm ci --no-audit --no-fund
out=../../crates/web/assets/echarts.js
./node_modules/.bin/esbuild entry.js \
  --bundle --minify --format=iife --target=es2019 \
  --legal-comments=none --charset=utf8 \
  --define:process.env.NODE_ENV='"production"' \
  --outfile="$out.tmp"
cat banner.txt "$out.tmp" > "$out"
rm "$out.tmp"
echo "wrote crates/web/assets/echarts.js ($(wc -c < "$out") bytes, $(gzip -9c < "$out" | wc -c) gzipped)"
