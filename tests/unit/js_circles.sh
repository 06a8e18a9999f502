#!/bin/sh
# The page's modules form no circle (issue 63 §9; layers.sh's check 5 does
# the same for the C objects), checked on the code (TAP):
#   1. no circle between the ES modules under static/ (static-min/ is built
#      from them): a file uses another when it imports it, statically
#      (import ... from '...', export ... from '...', import '...') or with
#      import('...') (a module loaded later is still one its importer
#      stands on); relative paths and /static/... are followed, anything
#      else (a bare name, a URL) is not the hall's; tsort finds the loops.
#      What two modules both need lives in a module below both
#      (static/stamp/base.js, static/stamp/common.js);
#   2. the check of 1 finds a circle planted in tiny modules of its own
#      (a.js imports b.js, which import()s a.js) and none in a chain: a
#      test of the test.
root=${HALL_ROOT:-.}
[ -d "$root/static" ] || root=$(dirname "$0")/../..
echo "1..2"

# edges DIR: "importer imported" per line, paths relative to DIR's parent
edges() {
    top=$1
    find "$top" -name '*.js' -type f | sort | while read -r f; do
        dir=$(dirname "$f")
        # each specifier of an import, an export ... from or an import()
        grep -oE "(from[[:space:]]*|import[[:space:]]*\(?[[:space:]]*)['\"][^'\"]+['\"]" "$f" 2>/dev/null |
            sed -E "s/^[^'\"]*['\"]//; s/['\"]$//" | while read -r spec; do
            case $spec in
            ./* | ../*) to="$dir/$spec" ;;
            /static/*) to="$top/${spec#/static/}" ;; # the hall serves static/ there
            *) continue ;;
            esac
            to=$(realpath -m "$to")
            [ -f "$to" ] || continue
            echo "$(realpath -m "$f") $to"
        done
    done | sort -u
}

# loops DIR: each circle among DIR's modules on a line of its own; nothing
# when there is none
loops() {
    e=$(edges "$1")
    [ -n "$e" ] || return 0
    base=$(realpath -m "$1/..")/
    echo "$e" | tsort 2>&1 >/dev/null |
        awk '/input contains a loop/ { if (l != "") print l; l = ""; next }
             { sub(/^tsort: /, ""); l = l (l == "" ? "" : " ") $0 }
             END { if (l != "") print l }' | sed "s|$base||g"
}

found=$(loops "$root/static")
if [ -z "$found" ]; then
    echo "ok 1 - no circle between the modules under static/ (static imports and import())"
else
    echo "not ok 1 - modules that import each other, round a circle:"
    echo "$found" | sed 's/^/#   /'
fi

# 2: two planted modules that import each other, and a chain that does not
t=$(mktemp -d "${TMPDIR:-/tmp}/js_circles.XXXXXX") || exit 1
mkdir -p "$t/circle/pub/x" "$t/chain/pub/x"
printf "import { b } from './b.js';\nexport const a = () => b;\n" >"$t/circle/pub/x/a.js"
printf "export async function b() { return (await import('./a.js')).a; }\n" >"$t/circle/pub/x/b.js"
printf "import { c } from '/static/x/c.js';\nexport const a = c;\n" >"$t/chain/pub/x/a.js"
printf "export async function b() { return (await import('./a.js')).a; }\n" >"$t/chain/pub/x/b.js"
printf "export const c = 1;\n" >"$t/chain/pub/x/c.js"
planted=$(loops "$t/circle/pub")
chain=$(loops "$t/chain/pub")
case $planted in
*pub/x/a.js*pub/x/b.js* | *pub/x/b.js*pub/x/a.js*)
    if [ -z "$chain" ]; then
        echo "ok 2 - the check finds a planted circle (a.js -> b.js -> import() a.js) and none in a chain"
    else
        echo "not ok 2 - the check saw a circle in a chain: $chain"
    fi
    ;;
*) echo "not ok 2 - the check missed the planted circle a.js <-> b.js (saw: $planted)" ;;
esac
rm -rf "$t"
