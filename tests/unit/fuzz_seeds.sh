#!/bin/sh
# Every PDF of tests/data/pdf is a seed of the stamp's fuzz targets
# (docs/internals/stamp.md §7): tests/fuzz/corpus/{verify,reader,sign}/
# seed-NAME holds its bytes (script/fuzz --seeds writes them, with the
# stamped ones).  One TAP line a file.
root=${HALL_ROOT:-.}
list=$(find "$root/tests/data/pdf" -name '*.pdf' | LC_ALL=C sort)
echo "1..$(printf '%s\n' "$list" | grep -c .)"
n=0
for f in $list; do
    n=$((n + 1))
    b=$(basename "$f")
    miss=
    for t in verify reader sign; do
        cmp -s "$f" "$root/tests/fuzz/corpus/$t/seed-$b" || miss="$miss $t"
    done
    if [ -z "$miss" ]; then
        echo "ok $n - ${f#"$root"/} is a seed"
    else
        echo "not ok $n - ${f#"$root"/} is no seed of:$miss (script/fuzz --seeds)"
    fi
done
