#!/usr/bin/env bash
# Renders published reports with Debian's headless Chromium, so a person can
# look at them: the council's monitor and one provider pack of a period, each as
# a PNG of the screen and as a PDF printed on A4 (the reports' print style).
#
#   bash scripts/render-png.sh [out/2019-Q4] [target folder] [AGB of the pack]
#
# Installs Debian's chromium when it is missing (needs root, as in CI).
set -euo pipefail
folder="${1:-$(ls -d out/*-Q* 2>/dev/null | sort | tail -1)}"
target="${2:-$folder/png}"
if [ -z "$folder" ] || [ ! -f "$folder/index.html" ]; then
  echo "render-png: no published period found; run \`wmo-monitor publish\` first, or name the folder (out/2019-Q4)" >&2
  exit 1
fi
if ! command -v chromium >/dev/null; then
  apt-get install -y -q chromium >/dev/null
fi
mkdir -p "$target"
# Globs, not `ls | head`: with pipefail, head closing the pipe early fails the script.
monitors=("$folder"/monitor-sociaal-domein-*.html)
monitor="${monitors[0]}"
packs=("$folder"/aanbieders/prestatiedialoog-"${3:-}"*.html)
pack="${packs[0]}"
if [ ! -f "$pack" ]; then
  echo "render-png: no pack ${3:+for AGB $3 }in $folder/aanbieders" >&2
  exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
for page in "$monitor" "$pack"; do
  name=$(basename "$page" .html)
  # A4 width at 96 dpi; tall enough for the whole report.
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=820,6000 \
    --screenshot="$target/$name.png" "file://$(realpath "$page")" >/dev/null 2>&1
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --no-pdf-header-footer \
    --print-to-pdf="$target/$name.pdf" "file://$(realpath "$page")" >/dev/null 2>&1
  echo "$target/$name.png"
  echo "$target/$name.pdf"
done
