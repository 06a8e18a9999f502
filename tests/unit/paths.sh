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
#      test of the test.
# HALL_PATHS_FILES=list checks the files named there instead (one a line,
# from the top).
root=${HALL_ROOT:-.}

# made by the build or by a run, never in the repository
generated="tests/e2e/artifacts static/downloads static-min tests/integ/static_min"

echo "1..2"

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
        # the pages and their scripts (not the npm libraries built into
        # static/stamp/vendor/, which are not ours)
        find templates static -type f \( -name '*.html' -o -name '*.js' -o -name '*.css' \
            -o -name '*.txt' -o -name '*.md' \) -not -path 'static/stamp/vendor/*' 2>/dev/null
    ) | sort -u |
        # a migration keeps the words of its day (its text never changes
        # once applied); this file's and owners.sh's own paths are planted
        grep -v -E '^sql/[0-9]+_[^/]*\.sql$|^tests/unit/(paths|owners)\.sh$'
}

# stale FILE...: "file: path" for each path a file names that is not there
stale() {
    for f in "$@"; do
        dir=$(dirname "$f")
        grep -o -E '(^|[^A-Za-z0-9_./-])(core|modules|tools|tests|docs|sql|script|templates|static|nginx|sandbox|bench)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' \
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
