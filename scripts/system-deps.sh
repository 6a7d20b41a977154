#!/usr/bin/env bash
# Installs the system packages LeadLoop needs when they are missing:
#   chromium (browser tests, through Playwright's executable path — never a browser download),
#   a CJK font (Chinese text in PDFs), poppler-utils (PDF checks in tests), zbar-tools (the test that
#   decodes the RSVP page's QR code as a door scanner would), a Java runtime (the Nu HTML Checker,
#   vnu.jar from the dev extras, in tests/web/test_web_html_valid.py), Pango (WeasyPrint).
#   cluster mode: nginx and redis-server for bench/cluster.py (two app servers behind nginx).
# Usage: scripts/system-deps.sh [run|test|cluster]
set -euo pipefail
mode="${1:-test}"
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

have_pkg libpango-1.0-0 || need+=(libpango-1.0-0)
have_pkg libpangoft2-1.0-0 || need+=(libpangoft2-1.0-0)
if ! fc-list 2>/dev/null | grep -qiE "WenQuanYi|Noto Sans CJK|Noto Serif CJK"; then need+=(fonts-wqy-microhei fontconfig); fi
if [ "$mode" = "cluster" ]; then
  # `nginx` is the plain server in Debian 12 and 13 (nginx-light is gone from 13).
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
fi
if [ "$mode" = "test" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v pdffonts >/dev/null 2>&1 || need+=(poppler-utils)
  command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
  command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install these system packages (Debian names): ${need[*]}" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "Missing system packages: ${need[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
echo "Installing system packages: ${need[*]}"
# bench/cluster.py runs nginx from its own generated config: keep the package from starting the
# system service on port 80 (a policy-rc.d for the length of the install, when none exists).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ] && [[ " ${need[*]} " == *" nginx "* ]]; then
  printf '#!/bin/sh\n[ "$1" = nginx ] && exit 101\nexit 0\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
