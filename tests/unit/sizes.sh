#!/bin/sh
# Files and functions a newcomer can hold (issue 42 §4), checked on the
# code (TAP):
#   1. no C file under core/, modules/ or tools/ is over 1,200 lines;
#   2. no function in them is over 150 lines: from the line with its name
#      at column 0 (docs/style.md: the return type on its own line) to its
#      closing } at column 0;
#   3. no header under core/, modules/ or tools/ is over 500 lines (a
#      layer's header is split by area, each part a header of its own:
#      core/flow/replace.h, core/web/staff.h ...);
#   4. no public header of the PDF and stamp layers (core/pdf, core/stamp)
#      is over 300 lines (issue 62 §2): public is a header a file of
#      core/, modules/ or tools/ outside its folder includes
#      ("stamp/stamp.h"); the internal ones (stamp_int.h, stamp_revs.h,
#      which the unit tests and fuzz targets may include) fall under 3.
# tests/unit/sizes.allow names what is still being cut: a file's path, or
# path:function, one a line (shell patterns; # begins a comment).  An
# entry that no longer matches anything over the limit is reported as a
# comment, to be removed.
root=${HALL_ROOT:-.}
allow=${HALL_SIZES_ALLOW:-$root/tests/unit/sizes.allow}
max_file=1200
max_func=150
max_header=500
max_public=300

echo "1..4"

files=$(cd "$root" && for d in core modules tools; do
    [ -d "$d" ] && find "$d" -name '*.c' -type f
done | sort)

# allowed NAME: 0 when an entry of the allow-list matches NAME
allowed() {
    [ -f "$allow" ] || return 1
    while read -r pat rest; do
        case $pat in
        '' | '#'*) continue ;;
        esac
        # shellcheck disable=SC2254
        case $1 in
        $pat) return 0 ;;
        esac
    done <"$allow"
    return 1
}

over_files=
over_funcs=
seen=
for f in $files; do
    n=$(wc -l <"$root/$f")
    if [ "$n" -gt "$max_file" ]; then
        if allowed "$f"; then
            seen="$seen $f"
        else
            over_files="$over_files $f($n)"
        fi
    fi
    for hit in $(awk -v max="$max_func" '
        FNR == 1 { state = 0 }
        state == 0 && /^[A-Za-z_][A-Za-z0-9_]*\(/ {
            name = $0
            sub(/\(.*/, "", name)
            start = FNR
            state = 1
        }
        state == 1 {
            if ($0 ~ /^\{/)
                state = 2
            else if ($0 ~ /;[ \t]*$/)
                state = 0
            next
        }
        state == 2 && /^\}/ {
            if (FNR - start + 1 > max)
                print name ":" FNR - start + 1
            state = 0
        }' "$root/$f"); do
        fn=${hit%%:*}
        if allowed "$f:$fn"; then
            seen="$seen $f:$fn"
        else
            over_funcs="$over_funcs $f:$hit"
        fi
    done
done

if [ -z "$over_files" ]; then
    echo "ok 1 - no C file over $max_file lines"
else
    echo "not ok 1 - C files over $max_file lines (file(lines)):$over_files"
fi
if [ -z "$over_funcs" ]; then
    echo "ok 2 - no function over $max_func lines"
else
    echo "not ok 2 - functions over $max_func lines (file:function:lines):$over_funcs"
fi

over_headers=
for h in $(cd "$root" && for d in core modules tools; do
    [ -d "$d" ] && find "$d" -name '*.h' -type f
done | sort); do
    n=$(wc -l <"$root/$h")
    if [ "$n" -gt "$max_header" ]; then
        if allowed "$h"; then
            seen="$seen $h"
        else
            over_headers="$over_headers $h($n)"
        fi
    fi
done
if [ -z "$over_headers" ]; then
    echo "ok 3 - no header over $max_header lines"
else
    echo "not ok 3 - headers over $max_header lines (file(lines)):$over_headers"
fi

# public_over ROOT: the public headers of ROOT's core/pdf and core/stamp
# over max_public lines, " file(lines)" each
public_over() {
    for h in $(cd "$1" && for d in core/pdf core/stamp; do
        [ -d "$d" ] && find "$d" -name '*.h' -type f
    done | sort); do
        dir=${h%/*}
        inc="${dir#core/}/${h##*/}"
        # included from outside its own folder?
        users=$(cd "$1" && grep -rlF "#include \"$inc\"" core modules tools 2>/dev/null |
            grep -v "^$dir/" | head -n 1)
        [ -n "$users" ] || continue
        n=$(wc -l <"$1/$h")
        [ "$n" -gt "$max_public" ] && printf ' %s(%s)' "$h" "$n"
    done
    return 0
}
over_public=$(public_over "$root")
# the check itself: a planted 301-line header a module includes is seen,
# the same header included only from its own folder is not
plant=$(mktemp -d)
mkdir -p "$plant/core/stamp" "$plant/modules/m"
awk -v max="$max_public" 'BEGIN { for (i = 0; i <= max; i++) print "/* */" }' >"$plant/core/stamp/BIG.h"
echo '#include "stamp/BIG.h"' >"$plant/core/stamp/own.c"
planted_inside=$(public_over "$plant")
echo '#include "stamp/BIG.h"' >"$plant/modules/m/m.c"
planted_outside=$(public_over "$plant")
rm -rf "$plant"
if [ -n "$over_public" ]; then
    echo "not ok 4 - public headers of core/pdf or core/stamp over $max_public lines (file(lines)):$over_public"
elif [ -n "$planted_inside" ] || [ "$planted_outside" != " core/stamp/BIG.h($((max_public + 1)))" ]; then
    echo "not ok 4 - the check missed a planted public header (got '$planted_outside', inside '$planted_inside')"
else
    echo "ok 4 - no public header of core/pdf or core/stamp over $max_public lines"
fi

# entries of the allow-list that nothing over the limits needs any more
[ -f "$allow" ] && while read -r pat rest; do
    case $pat in
    '' | '#'*) continue ;;
    esac
    used=
    for s in $seen; do
        # shellcheck disable=SC2254
        case $s in
        $pat) used=1 ;;
        esac
    done
    [ -n "$used" ] || echo "# $allow: $pat is within the limits now: remove it"
done <"$allow"
exit 0
