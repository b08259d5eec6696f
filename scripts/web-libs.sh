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

# The terminal screen (issue 22): xterm.js 3.8.1. Debian's libjs-xterm ships its stylesheet and a
# browser file that only requires the CommonJS modules of node-xterm, so the modules are joined
# into one ES module here (scripts/bundle-commonjs.py: no eval, the page's CSP allows it).
copy libjs-xterm xterm/xterm.css xterm
python3 scripts/bundle-commonjs.py /usr/share/nodejs/xterm Web/vendor/xterm/xterm.js \
  Terminal=lib/public/Terminal.js fit=lib/addons/fit/fit.js
cp -L /usr/share/doc/node-xterm/copyright Web/vendor/xterm/LICENSE-node-xterm.txt

# The editor screen: CodeMirror 5 as Debian packages it (classic scripts that define the global
# CodeMirror; the modes register with it), the modes for the files an operator edits, and
# meta.js, which finds a mode from a file name.
copy libjs-codemirror codemirror/lib/codemirror.js codemirror
copy libjs-codemirror codemirror/lib/codemirror.css codemirror
copy libjs-codemirror codemirror/mode/meta.js codemirror
mkdir -p Web/vendor/codemirror/mode Web/vendor/codemirror/addon
modes=(clike css diff go htmlmixed javascript lua markdown perl properties python ruby rust shell sql swift toml xml yaml)
for mode in "${modes[@]}"; do
  cp -L "/usr/share/javascript/codemirror/mode/$mode/$mode.js" Web/vendor/codemirror/mode/
done
# The editor reads which modes are here from this list, so the two cannot drift apart.
printf '["%s"' "${modes[0]}" > Web/vendor/codemirror/modes.json
printf ',"%s"' "${modes[@]:1}" >> Web/vendor/codemirror/modes.json
printf ']\n' >> Web/vendor/codemirror/modes.json
# rust.js defines itself through the simple-mode addon.
cp -L /usr/share/javascript/codemirror/addon/mode/simple.js Web/vendor/codemirror/addon/

# The page names no outside address (DESIGN.md section 8: no CDN): the packaged files carry
# addresses only in comments (licence headers, references) and in marked's warning texts. Whole
# comment lines that hold one go, and any left is replaced; the licence travels as LICENSE*.txt.
find Web/vendor -name '*.js' -print0 | xargs -0 sed -E -i \
  -e '/^[[:space:]]*\/\/.*https?:\/\//d' \
  -e 's#https?://[A-Za-z0-9./_\#?=&%:~+-]*#(see the package documentation)#g'
