#!/bin/sh
# Texts a newcomer can trust (issue 52 §4): every path of the repository
# named in docs/, README.md or the code's comments exists (TAP):
#   1. each name that begins with a folder of the repository (core/,
#      modules/, tools/, tests/, docs/, sql/, script/, templates/, static/,
#      nginx/, sandbox/, bench/), in docs/, README.md, the sources' comments,
#      the benches, the templates and the pages' scripts, names a file or
#      folder that is there: from
#      the top, from the naming file's folder, or from docs/ (a page's link
#      text names docs/modules/x.md as modules/x.md).  Not counted: what the
#      build or a run makes (hall-NAME programs, lib*.a, the paths of
#      generated below), a placeholder in capitals (modules/NAME/NAME.c,
#      sql/NNN_name.sql), a prefix of files (core/stamp/stamp_ for
#      stamp_*.c), a migration by its number (sql/065), a version
#      (nginx/1.22.1), a module require()d without .js.  A numbered
#      migration keeps the words of its day and is not read;
#   2. the check of 1 finds a stale path planted in a page of its own: a
#      test of the test;
#   3. each hall_* name the same texts use (a function, a statement table,
#      a type: hall_produce_onto) is one the code uses outside its
#      comments: a function renamed or gone leaves no page or comment
#      naming it.  Not counted: a prefix (hall_order_ for hall_order_*),
#      the suffixes Prometheus adds to a histogram (_bucket, _count, _sum),
#      and the few names of examples that are no code (NOT_CODE below);
#   4. the core's layers as the docs list them: each folder of core/ has
#      its row in docs/architecture.md's layer table ("| `core/X` |") and
#      its line in docs/style.md's layout, and each C file of core/ is
#      named in docs/architecture.md;
#   5. checks 3 and 4 find a gone name and an undocumented folder and file
#      planted in a tree of their own.
# HALL_PATHS_FILES=list checks the files named there instead (one a line,
# from the top).
root=${HALL_ROOT:-.}

# made by the build or by a run, never in the repository
generated="tests/e2e/artifacts static/downloads static-min tests/integ/static_min"

# names of examples in the docs that are not the code's: a database
# restored beside the hall's, a read-only role (docs/operations.md)
NOT_CODE="hall_restored hall_ro"

echo "1..5"

# the files whose texts name paths: the docs and every source's comments
texts() {
    (
        cd "$root" || exit 1
        ls README.md
        find docs -name '*.md'
        ls Makefile.am configure.ac
        find core modules tools tests/unit tests/fuzz tests/integ tests/e2e bench script sql \
            nginx sandbox -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.def' \
            -o -name '*.sql' -o -name '*.js' -o -name '*.conf' -o -name '*.in' -o -name '*.am' \) \
            -not -path '*/node_modules/*' 2>/dev/null
        find script -maxdepth 2 -type f
        # the benches and the modules' list, scripts without a suffix too
        find bench -type f -not -name '*.o' -exec grep -I -l . {} + 2>/dev/null
        ls modules/list
        # the pages and their scripts (not the npm libraries built into
        # static/stamp/vendor/, which are not ours)
        find templates static -type f \( -name '*.html' -o -name '*.js' -o -name '*.css' \
            -o -name '*.txt' -o -name '*.md' \) -not -path 'static/stamp/vendor/*' 2>/dev/null
    ) | sort -u |
        # a migration keeps the words of its day (its text never changes
        # once applied); this file's, owners.sh's and style.sh's paths are planted
        grep -v -E '^sql/[0-9]+_[^/]*\.sql$|^tests/unit/(paths|owners|style)\.sh$'
}

# stale FILE...: "file: path" for each path a file names that is not there
stale() {
    for f in "$@"; do
        dir=$(dirname "$f")
        grep -o -E '(^|[^A-Za-z0-9_./$^-])(core|modules|tools|tests|docs|sql|script|templates|static|nginx|sandbox|bench)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' \
            "$root/$f" 2>/dev/null | sed -E 's/^[^a-z]//' | sort -u |
            while read -r p; do
                [ -e "$root/$p" ] || [ -e "$root/$dir/$p" ] || [ -e "$root/docs/$p" ] && continue
                b=${p##*/}
                case $b in
                hall-* | lib*.a | *.o | *.so) continue ;; # what the build makes
                esac
                # a prefix of files: core/stamp/stamp_ (stamp_*.c), a test by
                # its name without .test.js
                ls -d "$root/$p"* >/dev/null 2>&1 && continue
                [ -e "$root/$p.js" ] || [ -e "$root/$dir/$p.js" ] && continue # a require()
                case $p in
                sql/[0-9][0-9][0-9]) ls "$root/$p"_* >/dev/null 2>&1 && continue ;;
                [a-z]*/[0-9]*.[0-9]*) continue ;; # a version: nginx/1.22.1
                esac
                # a placeholder: modules/X, tools/NAME/hall_NAME.c, sql/NNN_x.sql
                echo "$p" | grep -q -E '(^|/)[A-Z]+(/|$|[._])|[A-Z]{3,}' && continue
                gen=
                for g in $generated; do
                    case $p in
                    "$g" | "$g"/*) gen=1 ;;
                    esac
                done
                [ -n "$gen" ] && continue
                echo "$f: $p"
            done
    done
}

if [ -n "${HALL_PATHS_FILES:-}" ]; then
    # shellcheck disable=SC2046
    found=$(stale $(cat "$HALL_PATHS_FILES"))
else
    # shellcheck disable=SC2046
    found=$(stale $(texts))
fi
if [ -z "$found" ]; then
    echo "ok 1 - every repository path named in docs/, README.md and the code exists"
else
    echo "not ok 1 - paths named that are not there (file: path):"
    echo "$found" | sed 's/^/#   /'
fi

# 2: a page of its own naming one path that is there and one that is not
t=$(mktemp -d "${TMPDIR:-/tmp}/paths.XXXXXX") || exit 1
mkdir -p "$t/docs"
printf 'See core/base/base.h and core/pki/no_such_file.c.\n' >"$t/docs/planted.md"
mkdir -p "$t/core/base"
: >"$t/core/base/base.h"
planted=$(root=$t stale docs/planted.md)
if [ "$planted" = "docs/planted.md: core/pki/no_such_file.c" ]; then
    echo "ok 2 - the check finds a planted stale path and passes the one that is there"
else
    echo "not ok 2 - the check on a planted page said: ${planted:-nothing}"
fi
rm -rf "$t"

# the hall_* names the code uses outside its comments (C, SQL, JS, shell,
# nginx's config), one a line
code_names() {
    (
        cd "$root" || exit 1
        find core modules tools tests sql sandbox script static templates bench nginx -type f \
            -not -path '*/node_modules/*' -not -path 'static/stamp/vendor/*' \
            -not -name '*.o' -not -name '*.a' -print0 2>/dev/null |
            xargs -0 grep -h -I -v -E '^[[:space:]]*(\*|/\*|//|--|#)' 2>/dev/null |
            grep -o -E '(^|[^A-Za-z0-9_])hall_[a-z0-9_]*[a-z0-9]' | sed -E 's/^[^h]//' | sort -u
    )
}

# gone FILE...: "file: name" for each hall_* name a file uses that the code
# does not
gone() {
    known=$(mktemp "${TMPDIR:-/tmp}/paths-names.XXXXXX") || exit 1
    code_names >"$known"
    # a histogram's series (hall_x_bucket) is known when hall_x is
    sed 's/$/_bucket/; p; s/_bucket$/_count/; p; s/_count$/_sum/' "$known" >>"$known.h"
    cat "$known.h" >>"$known"
    for n in $NOT_CODE; do echo "$n" >>"$known"; done
    (cd "$root" && grep -H -o -E '(^|[^A-Za-z0-9_])hall_[a-z0-9_]*[a-z0-9_]' "$@" 2>/dev/null) |
        sed -E 's/^([^:]*):[^h]?/\1: /' |
        grep -v -E '_$' | sort -u |
        awk -v k="$known" 'BEGIN { while ((getline n < k) > 0) have[n] = 1 } !($2 in have)'
    rm -f "$known" "$known.h"
}

if [ -n "${HALL_PATHS_FILES:-}" ]; then
    # shellcheck disable=SC2046
    found=$(gone $(cat "$HALL_PATHS_FILES"))
else
    # shellcheck disable=SC2046
    found=$(gone $(texts))
fi
if [ -z "$found" ]; then
    echo "ok 3 - every hall_* name the docs and comments use is the code's"
else
    echo "not ok 3 - names the code no longer has (file: name):"
    echo "$found" | sed 's/^/#   /'
fi

# layers_doc: "what: missing" for each folder of core/ without its row in
# docs/architecture.md's layer table or its line in docs/style.md's layout,
# and each C file of core/ that docs/architecture.md does not name
layers_doc() {
    for d in "$root"/core/*/; do
        [ -d "$d" ] || continue
        l=$(basename "$d")
        grep -q -F "| \`core/$l\` |" "$root/docs/architecture.md" ||
            echo "core/$l: no row in docs/architecture.md's layer table"
        grep -q -E "^  $l/ " "$root/docs/style.md" ||
            echo "core/$l: no line in docs/style.md's layout"
        for c in "$d"*.c; do
            [ -f "$c" ] || continue
            grep -q -F "$(basename "$c")" "$root/docs/architecture.md" ||
                echo "core/$l/$(basename "$c"): not named in docs/architecture.md"
        done
    done
}
found=$(layers_doc)
if [ -z "$found" ]; then
    echo "ok 4 - every layer of core/ has its row and its line, every C file of core/ its name"
else
    echo "not ok 4 - the core as the docs do not list it:"
    echo "$found" | sed 's/^/#   /'
fi

# 5: a tree of its own, a page naming a function that is there and one
# that is not, a layer with its row and line and one with neither
t=$(mktemp -d "${TMPDIR:-/tmp}/paths.XXXXXX") || exit 1
mkdir -p "$t/docs" "$t/core/base" "$t/core/gone"
printf '/* not hall_elsewhere */\nint\nhall_here(void)\n{\n    return 0;\n}\n' >"$t/core/base/base.c"
: >"$t/core/gone/gone.c"
# shellcheck disable=SC2016 # backquotes of Markdown
printf 'Call `hall_here()`, not hall_elsewhere or hall_gone_away(); hall_x_ is a prefix.\n' \
    >"$t/docs/planted.md"
# shellcheck disable=SC2016
printf '| `core/base` | `base.c` |\n' >"$t/docs/architecture.md"
printf '  base/    the lowest\n' >"$t/docs/style.md"
planted=$(root=$t gone docs/planted.md | tr '\n' ' ')
planted_l=$(root=$t layers_doc | tr '\n' ' ')
want_l="core/gone: no row in docs/architecture.md's layer table core/gone: no line in docs/style.md's layout core/gone/gone.c: not named in docs/architecture.md "
if [ "$planted" = "docs/planted.md: hall_elsewhere docs/planted.md: hall_gone_away " ] &&
    [ "$planted_l" = "$want_l" ]; then
    echo "ok 5 - checks 3 and 4 find the planted gone names, layer and file, and pass the rest"
else
    echo "not ok 5 - on a planted tree check 3 said: ${planted:-nothing}; check 4: ${planted_l:-nothing}"
fi
rm -rf "$t"
