#!/bin/sh
# The core's layers (docs/architecture.md, "The core's layers"), checked on
# the code (TAP):
#   1. every C file of core/ is in one of the eight folders;
#   2. a file of core/<layer>/ includes, of the core's headers, only its own
#      layer's and those of the layers it may use (a layer's header and the
#      headers it is split into by area), and never hall.h (the
#      modules' header; a private header of the same folder, named
#      without a folder, may be included too); the table below is the only
#      place the order is written, and it has no circle, so no include can
#      make one;
#   3. a core header includes nothing of a layer above it either;
#   4. a module (modules/) or a tool (tools/) includes the core as a whole
#      (hall.h), a core layer's header or a header of its own folder, and
#      nothing of another module or tool: no program imports another;
#   5. no circle between files, inside a folder too, read from the objects
#      the build made (nm: what each object defines and what it uses): a
#      file uses another when it names a symbol the other defines, within
#      the core (every object under core/) or within one program's folder
#      (modules/X, tools/X); no file may be used back by what it uses,
#      however far round (tsort finds the loops).  A file that names the
#      handlers of others (a route table) is above them: what they share
#      lives in a file below both (modules/admin/admin_page.c);
#   6. the check of 5 finds a circle planted in tiny objects of its own
#      (a.c calls b.c, which calls a.c) and none in a chain: a test of the
#      test;
#   7. the PDF and stamp layers have one public header each (issue 62 §2):
#      a file of core/ outside the folder, of modules/, tools/ or bench/
#      includes of core/pdf only pdf/pdf.h and of core/stamp only
#      stamp/stamp.h; only pdf_int.h includes pdf_lex.h (the lexer's
#      token loop inline for core/pdf's own files); each public header
#      is at most 300 lines.  The unit tests and fuzz targets (tests/) may
#      look inside (pdf_int.h, stamp_int.h).
# A layer's internal header (core/flow/flow_int.h: what the files cut from
# one file share) is for that layer's own files only.
# An upward call cannot hide from this: a function is declared only in its
# layer's header, and the build fails on an undeclared call (-Werror).
root=${HALL_ROOT:-.}
# the objects: the build directory (make check runs from it)
build=${HALL_BUILD:-.}

# layer: the layers it may use
uses() {
    case $1 in
    base) echo "" ;;
    store) echo "base" ;;
    web) echo "base store" ;;
    pki) echo "base store" ;;
    pdf) echo "base" ;;
    stamp) echo "base store pki pdf" ;;
    biz) echo "base store pki" ;;
    flow) echo "base store web pki biz" ;;
    *) return 1 ;;
    esac
}

echo "1..7"

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
        # a layer's headers: its own (flow/flow.h) and those it is split
        # into by area (flow/replace.h), not another layer's internal one
        [ "$inc" != "hall.h" ] && for a in $allowed; do
            case $inc in
            "$a"/*_int.h) ;;
            "$a"/*.h) [ -f "$root/core/$inc" ] && ok=1 ;;
            esac
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

# objname OBJ: the source an automake object was built from
# (core/flow/libhall_a-flow.o -> core/flow/flow.c)
objname() {
    b=${1##*/}
    case $b in
    *-*) b=${b#*-} ;;
    esac
    echo "${1%/*}/${b%.o}.c"
}

# edges OBJ...: "user definer symbol", one a line, for each global symbol an
# object uses that another of the group defines
edges() {
    for o in "$@"; do
        n=$(objname "$o")
        nm -P "$o" | awk -v f="$n" 'NF >= 2 { print f, $1, $2 }'
    done | awk '
        $3 ~ /^[BCDGRSTVW]$/ { def[$2] = def[$2] " " $1; next }
        $3 == "U" || $3 == "w" || $3 == "v" { use[++n] = $1 " " $2 }
        END {
            for (i = 1; i <= n; i++) {
                split(use[i], u, " ")
                m = split(def[u[2]], d, " ")
                for (j = 1; j <= m; j++)
                    if (d[j] != u[1])
                        print u[1], d[j], u[2]
            }
        }' | sort -u
}

# loops OBJ...: each circle among the group's files on a line of its own,
# its files and the symbols that close it ("a.c b.c [a.c>b.c: f; b.c>a.c: g]");
# nothing when there is none
loops() {
    e=$(edges "$@")
    [ -n "$e" ] || return 0
    echo "$e" | awk '{ print $1, $2 }' | sort -u | tsort 2>&1 >/dev/null |
        awk '/input contains a loop/ { if (l != "") print l; l = ""; next }
             { sub(/^tsort: /, ""); l = l (l == "" ? "" : " ") $0 }
             END { if (l != "") print l }' |
        while read -r members; do
            why=$(echo "$e" | awk -v m=" $members " '
                index(m, " " $1 " ") && index(m, " " $2 " ") { w[$1 ">" $2] = w[$1 ">" $2] " " $3 }
                END { for (k in w) printf "%s:%s; ", k, w[k] }')
            echo "$members [${why%; }]"
        done
}

# the groups: the core as one, each program's folder apart (a program's
# files link only with the core, which never names a program's symbol)
objs_core=$(find "$build/core" -name '*.o' -type f 2>/dev/null | sort)
if [ -z "$objs_core" ]; then
    echo "ok 5 # SKIP no objects under $build/core: build first (make)"
else
    # shellcheck disable=SC2086
    found=$(loops $objs_core)
    for d in "$build"/modules/* "$build"/tools/*; do
        [ -d "$d" ] || continue
        o=$(find "$d" -name '*.o' -type f | sort)
        # shellcheck disable=SC2086
        [ -n "$o" ] && found="$found
$(loops $o)"
    done
    # the build's folder as a literal, not a pattern ("." would eat "e/")
    esc=$(printf '%s/' "$build" | sed 's/[].[*^$|\\]/\\&/g')
    found=$(echo "$found" | sed "/^$/d; s|$esc||g")
    if [ -z "$found" ]; then
        echo "ok 5 - no circle between files (the objects' own symbols)"
    else
        echo "not ok 5 - files that use each other, round a circle:"
        echo "$found" | sed 's/^/#   /'
    fi
fi

# 6: two planted objects that call each other, and a chain that does not
t=$(mktemp -d "${TMPDIR:-/tmp}/layers.XXXXXX") || exit 1
printf 'int b_f(void);\nint a_f(void) { return b_f(); }\n' >"$t/a.c"
printf 'int a_f(void);\nint b_f(void) { return a_f() + 1; }\n' >"$t/b.c"
printf 'int a_f(void);\nint c_f(void) { return a_f(); }\n' >"$t/c.c"
if ${CC:-cc} -c -o "$t/a.o" "$t/a.c" && ${CC:-cc} -c -o "$t/b.o" "$t/b.c" &&
    ${CC:-cc} -c -o "$t/c.o" "$t/c.c"; then
    planted=$(loops "$t/a.o" "$t/b.o" "$t/c.o")
    chain=$(loops "$t/a.o" "$t/c.o")
    case $planted in
    *"$t/a.c"*"$t/b.c"* | *"$t/b.c"*"$t/a.c"*)
        if [ -z "$chain" ]; then
            echo "ok 6 - the check finds a planted circle (a.c <-> b.c) and none in a chain"
        else
            echo "not ok 6 - the check saw a circle in a chain: $chain"
        fi
        ;;
    *) echo "not ok 6 - the check missed the planted circle a.c <-> b.c (saw: $planted)" ;;
    esac
else
    echo "not ok 6 - could not compile the planted objects with ${CC:-cc}"
fi
rm -rf "$t"

# 7: one public header for each of core/pdf and core/stamp
pub_max=300
bad_p=
for f in "$root"/core/*/*.[ch] "$root"/modules/*/*.[ch] "$root"/tools/*/*.[ch] "$root"/bench/*.[ch]; do
    [ -f "$f" ] || continue
    rel=${f#"$root"/}
    dir=${rel%/*}
    for inc in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        # a bare name is a header of the file's own folder
        case $inc in
        */*) ;;
        *) inc="${dir#core/}/$inc" ;;
        esac
        case $rel:$inc in
        core/pdf/pdf_int.h:pdf/pdf_lex.h) ;;
        *:pdf/pdf_lex.h) bad_p="$bad_p $rel->$inc" ;;
        core/pdf/*:pdf/* | core/stamp/*:stamp/*) ;; # the layer's own files
        *:pdf/pdf.h | *:stamp/stamp.h) ;;
        *:pdf/* | *:stamp/*) bad_p="$bad_p $rel->$inc" ;;
        esac
    done
done
for h in core/pdf/pdf.h core/stamp/stamp.h; do
    n=$(wc -l <"$root/$h")
    [ "$n" -le "$pub_max" ] || bad_p="$bad_p $h($n lines > $pub_max)"
done
if [ -z "$bad_p" ]; then
    echo "ok 7 - core/pdf and core/stamp: one public header each (pdf.h, stamp.h), at most $pub_max lines"
else
    echo "not ok 7 - beside the one public header of core/pdf, core/stamp:$bad_p"
fi
