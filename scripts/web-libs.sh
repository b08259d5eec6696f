#!/usr/bin/env bash
# Copies the page's third-party browser code from Debian's libjs-* packages into Web/vendor,
# each library with its copyright file (`make web-libs`; run by `make build` and `make test`).
# Web/vendor is not committed: the packages are the source. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

copy() {  # package, file under /usr/share/javascript, destination folder under Web/vendor
  local package=$1 file=$2 dest=Web/vendor/$3
  local source=/usr/share/javascript/$file
  if [[ ! -e $source ]]; then
    echo "error: $source is missing: install Debian's $package (make deps does)" >&2
    exit 1
  fi
  mkdir -p "$dest"
  cp -L "$source" "$dest/"
  cp -L "/usr/share/doc/$package/copyright" "$dest/LICENSE.txt"
}

copy libjs-marked marked/marked.min.js marked
