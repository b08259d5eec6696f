#!/usr/bin/env bash
# Installs the Debian packages ElohimOS builds and tests against, once. Idempotent: when
# everything is present it only checks and exits. Needs root to install; says so otherwise.
set -euo pipefail

packages=(
  libsodium-dev        # Sodium: Ed25519, BLAKE2b, ChaCha20-Poly1305, X25519, ristretto255, Argon2id
  libsqlite3-dev       # GRDB's SQLite
  libavahi-client-dev  # Discovery: mDNS through Avahi
  libzstd-dev          # zstd for sync batches and vault format v1
  zlib1g-dev           # deflate for vault format v2 (what browsers ship) and gzip for the web page
  libjs-marked         # the web page's Markdown renderer (copied into Web/vendor by make web-libs)
  libjs-xterm          # the page's terminal (issue 22): its xterm.css (its xterm.js is a stub that needs node-xterm)
  node-xterm           # xterm.js 3.8.1 as CommonJS modules; scripts/web-libs.sh bundles them for the browser
  libjs-codemirror     # the page's editor with syntax colouring (issue 22)
  chromium chromium-driver  # the browser tests of the web page (Selenium drives them)
  zstd                 # the reference zstd tool: the browser test stores a format v1 file with it
  libopenblas-dev      # the assistant's embeddings (issue 20): matrix products on BLAS
  poppler-utils        # the assistant's retrieval: pdftotext for PDF documents
  libxlsxwriter-dev    # DataEngine: .xlsx files in constant memory (JSON to Excel, query exports)
  avahi-daemon avahi-utils dbus  # a local mDNS responder for discovery tests
  protobuf-compiler    # protoc, for `make protos` only
  iproute2             # network namespaces for the LAN test
  python3-venv         # the virtualenv for interop tools (Noise library, schemathesis)
  wrk                  # HTTP load figures
  curl                 # the shell tests talk to nodes with it
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift toolchain (6.1 or newer) is not on PATH. Install it from swift.org and run again." >&2
  exit 1
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "error: these Debian packages are missing: ${missing[*]}" >&2
  echo "Install them as root, then run make again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
