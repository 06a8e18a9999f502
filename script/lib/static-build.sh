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
# source is gone is removed.  Sub-folders of SRC are not served.
set -euo pipefail

src=${1:?usage: static-build.sh SRC DST}
dst=${2:?usage: static-build.sh SRC DST}
esbuild=${ESBUILD:-esbuild}
mkdir -p "$dst"

for f in "$src"/*; do
    [ -f "$f" ] || continue
    name=${f##*/}
    out=$dst/$name
    if [ ! -e "$out" ] || [ "$f" -nt "$out" ]; then
        case $name in
        *.css | *.js)
            "$esbuild" "$f" --minify --log-level=warning --charset=utf8 --outfile="$out.new"
            ;;
        *) cp "$f" "$out.new" ;;
        esac
        chmod 644 "$out.new"
        mv "$out.new" "$out"
        rm -f "$out.gz"
    fi
    case $name in
    *.css | *.js | *.html)
        if [ ! -e "$out.gz" ]; then
            gzip -9 -n -c "$out" >"$out.gz.new"
            chmod 644 "$out.gz.new"
            mv "$out.gz.new" "$out.gz"
        fi
        ;;
    esac
done

# what SRC no longer has
for f in "$dst"/*; do
    [ -f "$f" ] || continue
    name=${f##*/}
    case $name in
    *.new) rm -f "$f" ;;
    *.gz) [ -e "$dst/${name%.gz}" ] || rm -f "$f" ;;
    *) [ -e "$src/$name" ] || rm -f "$f" "$f.gz" ;;
    esac
done
