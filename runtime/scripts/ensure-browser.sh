#!/usr/bin/env bash
# Makes sure the browser the dashboard tests drive is installed: Debian's `chromium`, driven by playwright-core
# (`npx playwright install` downloads from a CDN this environment cannot reach). Installs it with apt-get when it is
# missing and we are root; otherwise says what to do. NEXUS_CHROMIUM_PATH points the tests at another binary.
set -euo pipefail

log() { printf 'nexus: %s\n' "$*" >&2; }

CHROMIUM="${NEXUS_CHROMIUM_PATH:-/usr/bin/chromium}"

# Korean text (the dashboard's other language, and every sheet a teacher uploads) draws as empty boxes without a CJK
# font: the screenshots in the docs would show nothing. The tests read text, not pixels, so this never fails them.
ensure_cjk_font() {
  command -v fc-list >/dev/null && [ -n "$(fc-list :lang=ko 2>/dev/null | head -1)" ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "no Korean font: screenshots will show boxes for Hangul (sudo apt-get install fonts-noto-cjk)"
    return 0
  fi
  log "installing fonts-noto-cjk from Debian's packages (Hangul in the dashboard's screenshots)"
  [ -n "${NEXUS_APT_UPDATED:-}" ] || { apt-get update -qq >/dev/null; export NEXUS_APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null || log "fonts-noto-cjk did not install; screenshots will show boxes for Hangul"
}

if [ -x "$CHROMIUM" ]; then
  ensure_cjk_font
  exit 0
fi

if [ -n "${NEXUS_CHROMIUM_PATH:-}" ]; then
  log "NEXUS_CHROMIUM_PATH=$CHROMIUM is not an executable; fix it or unset it to use Debian's chromium"
  exit 1
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  log "the browser tests need Chromium at $CHROMIUM: install Debian's package (sudo apt-get install chromium)"
  log "or set NEXUS_CHROMIUM_PATH to a Chromium/Chrome binary"
  exit 1
fi
log "installing chromium from Debian's packages (for the dashboard's browser tests)"
[ -n "${NEXUS_APT_UPDATED:-}" ] || { apt-get update -qq >/dev/null; export NEXUS_APT_UPDATED=1; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[ -x "$CHROMIUM" ] || { log "chromium installed but $CHROMIUM is still missing"; exit 1; }
log "chromium ready: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
ensure_cjk_font
