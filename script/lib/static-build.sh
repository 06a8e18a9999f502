#!/usr/bin/env bash
# script/lib/static-build.sh SRC DST: the static files as the hall serves
# them (static_dir), made by `make` from the readable ones in the repository:
#
#   SRC/*.css, SRC/*.js  minified by esbuild (Debian's esbuild package:
#                        comments and white space gone, local names
#                        shortened; the syntax is kept as written)
#   other files          copied as they are
#   DST/NAME.gz          beside each CSS, JS and HTML file, its gzip -9
#                        (nginx's gzip_static sends it to a client that
#                        accepts gzip; -n: no name or time in it, so the
#                        same file makes the same bytes)
#
# Only what is older than its source is made again; a file of DST whose
# source is gone is removed.  Sub-folders are mirrored; files below a
# vendor/ or downloads/ folder are copied as their makers built them.
set -euo pipefail

src=${1:?usage: static-build.sh SRC DST}
dst=${2:?usage: static-build.sh SRC DST}
esbuild=${ESBUILD:-esbuild}
mkdir -p "$dst"
# every file below SRC, sub-folders too (static/stamp/: 在线盖章's scripts
# and their vendored libraries; static/downloads/: make stamp-dist's)
while IFS= read -r -d '' f; do
    rel=${f#"$src"/}
    out=$dst/$rel
    mkdir -p "${out%/*}"
    if [ ! -e "$out" ] || [ "$f" -nt "$out" ]; then
        case $rel in
        vendor/* | */vendor/* | downloads/* | */downloads/*) cp "$f" "$out.new" ;; # built by their makers: as they are
        *.css | *.js)
            "$esbuild" "$f" --minify --log-level=warning --charset=utf8 --outfile="$out.new"
            ;;
        *) cp "$f" "$out.new" ;;
        esac
        chmod 644 "$out.new"
        mv "$out.new" "$out"
        rm -f "$out.gz"
    fi
    case $rel in
    *.css | *.js | *.html | *.mjs)
        if [ ! -e "$out.gz" ]; then
            gzip -9 -n -c "$out" >"$out.gz.new"
            chmod 644 "$out.gz.new"
            mv "$out.gz.new" "$out.gz"
        fi
        ;;
    esac
done < <(find "$src" -type f -print0)
# what SRC no longer has
while IFS= read -r -d '' f; do
    rel=${f#"$dst"/}
    case $rel in
    *.new) rm -f "$f" ;;
    *.gz) [ -e "$src/$rel" ] || [ -e "$dst/${rel%.gz}" ] || rm -f "$f" ;; # a source's own .gz, or ours
    *) [ -e "$src/$rel" ] || rm -f "$f" "$f.gz" ;;
    esac
done < <(find "$dst" -type f -print0)
