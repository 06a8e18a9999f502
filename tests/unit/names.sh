#!/bin/sh
# Unique file names, as in nginx (docs/architecture.md, "Source map"): no two
# C files or headers of core/, modules/ and tools/ share a basename, so that
# a name in a log, a backtrace, a review or a commit message is one file
# (a core file that would share a module's or a tool's name is named after
# what it holds: core/pki/ocsp_answer.c beside modules/ocsp/ocsp.c). TAP.
root=${HALL_ROOT:-.}

echo "1..1"

dups=$(find "$root/core" "$root/modules" "$root/tools" -name '*.[ch]' -type f 2>/dev/null |
    sed "s|^$root/||" | awk -F/ '
        { n = $NF; files[n] = files[n] " " $0; count[n]++ }
        END { for (n in count) if (count[n] > 1) printf " %s (%s)", n, substr(files[n], 2) }')
if [ -z "$dups" ]; then
    echo "ok 1 - every C file and header of core/, modules/ and tools/ has a name of its own"
else
    echo "not ok 1 - file names used twice:$dups"
fi
