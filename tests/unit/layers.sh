#!/bin/sh
# The core's layers (docs/architecture.md, "The core's layers"), checked on
# the code (TAP):
#   1. every C file of core/ is in one of the six folders;
#   2. a file of core/<layer>/ includes, of the core's headers, only its own
#      layer's and those of the layers it may use, and never hall.h (the
#      modules' header; a private header of the same folder, named
#      without a folder, may be included too); the table below is the only
#      place the order is written, and it has no circle, so no include can
#      make one;
#   3. a core header includes nothing of a layer above it either;
#   4. a module (modules/) or a tool (tools/) includes the core as a whole
#      (hall.h), a core layer's header or a header of its own folder, and
#      nothing of another module or tool: no program imports another.
# A layer's internal header (core/flow/flow_int.h: what the files cut from
# one file share) is for that layer's own files only.
# An upward call cannot hide from this: a function is declared only in its
# layer's header, and the build fails on an undeclared call (-Werror).
root=${HALL_ROOT:-.}

# layer: the layers it may use
uses() {
    case $1 in
    base) echo "" ;;
    store) echo "base" ;;
    web) echo "base store" ;;
    pki) echo "base store" ;;
    biz) echo "base store pki" ;;
    flow) echo "base store web pki biz" ;;
    *) return 1 ;;
    esac
}

echo "1..4"

stray=$(find "$root/core" -maxdepth 1 -name '*.c' | sed "s|^$root/||")
for d in "$root"/core/*/; do
    l=$(basename "$d")
    uses "$l" >/dev/null || stray="$stray core/$l/"
done
if [ -z "$stray" ]; then
    echo "ok 1 - every C file of core/ is in a layer's folder"
else
    echo "not ok 1 - outside the layers: $stray"
fi

bad_c=
bad_h=
for f in "$root"/core/*/*.c "$root"/core/*/*.h; do
    l=$(basename "$(dirname "$f")")
    allowed="$l $(uses "$l")"
    for inc in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        case $inc in
        *.def) continue ;; # the catalogues, beside the file that expands them
        */*) ;;
        *) # a library's private header, beside the files that share it
            [ -f "$(dirname "$f")/$inc" ] && continue ;;
        esac
        ok=
        [ "$inc" != "hall.h" ] && for a in $allowed; do
            [ "$inc" = "$a/$a.h" ] && ok=1
        done
        # a layer's internal header (flow/flow_int.h): its own files only
        case $inc in
        "$l"/*_int.h) ok=1 ;;
        esac
        if [ -z "$ok" ]; then
            case $f in
            *.c) bad_c="$bad_c ${f#"$root"/}->$inc" ;;
            *) bad_h="$bad_h ${f#"$root"/}->$inc" ;;
            esac
        fi
    done
done
if [ -z "$bad_c" ]; then
    echo "ok 2 - each core file includes its own layer's header and lower ones only"
else
    echo "not ok 2 - includes against the layers:$bad_c"
fi
if [ -z "$bad_h" ]; then
    echo "ok 3 - each layer's header includes lower layers' headers only"
else
    echo "not ok 3 - headers against the layers:$bad_h"
fi

bad_m=
for f in "$root"/modules/*/*.[ch] "$root"/tools/*/*.[ch]; do
    [ -f "$f" ] || continue
    for inc in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        case $inc in
        hall.h) continue ;;
        */*) ;;
        *.h) [ -f "$(dirname "$f")/$inc" ] && continue ;;
        esac
        case $inc in
        */*.h) [ -f "$root/core/$inc" ] && uses "${inc%%/*}" >/dev/null && continue ;;
        esac
        bad_m="$bad_m ${f#"$root"/}->$inc"
    done
done
if [ -z "$bad_m" ]; then
    echo "ok 4 - modules and tools include the core's headers only, its own folder's, never another program's file"
else
    echo "not ok 4 - a program including what is not the core's:$bad_m"
fi
