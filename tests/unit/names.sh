#!/bin/sh
# Unique file names, as in nginx (docs/architecture.md, "Source map"): no two
# C files or headers of core/, modules/ and tools/ share a basename, so that
# a name in a log, a backtrace, a review or a commit message is one file
# (a core file that would share a module's or a tool's name is named after
# what it holds: core/pki/ocsp_answer.c beside modules/ocsp/ocsp.c); and
# a module's or a tool's exported names begin with its name (2). TAP.
root=${HALL_ROOT:-.}

echo "1..2"

dups=$(find "$root/core" "$root/modules" "$root/tools" -name '*.[ch]' -type f 2>/dev/null |
    sed "s|^$root/||" | awk -F/ '
        { n = $NF; files[n] = files[n] " " $0; count[n]++ }
        END { for (n in count) if (count[n] > 1) printf " %s (%s)", n, substr(files[n], 2) }')
if [ -z "$dups" ]; then
    echo "ok 1 - every C file and header of core/, modules/ and tools/ has a name of its own"
else
    echo "not ok 1 - file names used twice:$dups"
fi

# 2: what a module exports begins with its name: a function defined
# without static (its name at column 0, docs/style.md) or a datum at file
# scope, of modules/NAME/*.c, is NAME_... (main excepted), so that two
# modules never export one name (order_page was three modules' once)
# exported FILE: the names FILE defines without static
exported() {
    awk '
        /^[A-Za-z_][A-Za-z0-9_]*\(/ && prev !~ /^(static|HALL_TESTABLE|#)/ && prev != "" &&
            prev !~ /[;}]$|\*\/$/ {
            name = $0
            sub(/\(.*/, "", name)
            want = 1
        }
        want && /^\{/ { print name; want = 0 }
        want && /;[ \t]*$/ { want = 0 }
        /^[A-Za-z_]/ && !/^(static|typedef|extern|enum|struct [A-Za-z_0-9 ]*\{|return)/ &&
            /^[A-Za-z_][A-Za-z0-9_ *]* \**[a-z_][a-z0-9_]*(\[[A-Za-z0-9_]*\])* =/ {
            d = $0
            sub(/(\[[A-Za-z0-9_]*\])* =.*/, "", d)
            sub(/.*[ *]/, "", d)
            print d
        }
        { prev = $0 }' "$1" | grep -v -x main
}
bad_p=
# a module's and a tool's: modules/NAME/*.c and tools/NAME/*.c export NAME_...
for d in "$root"/modules/*/ "$root"/tools/*/; do
    m=$(basename "$d")
    for f in "$d"*.c; do
        [ -f "$f" ] || continue
        for n in $(exported "$f"); do
            case $n in
            "${m}"_*) ;;
            *) bad_p="$bad_p ${f#"$root"/}:$n" ;;
            esac
        done
    done
done
if [ -z "$bad_p" ]; then
    echo "ok 2 - what a module or a tool exports begins with its name"
else
    echo "not ok 2 - exported without the module's or tool's name (file:name):$bad_p"
fi
