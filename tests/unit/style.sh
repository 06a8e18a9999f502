#!/bin/sh
# docs/style.md's rules that no other check holds, read in the C of core/,
# modules/ and tools/ (TAP):
#   1. an assignment inside a condition is compared where it stands
#      (`(x = f()) == NULL`, `while ((s = next()) != NULL)`): the bare
#      `if (x = f())` is GCC's -Wparentheses (in -Wall; an error in CI's
#      --enable-werror), and the doubled parentheses that would silence it,
#      `if ((x = f()))`, are refused here;
#   2. the layers that may name a code of core/web/messages.def (core/web,
#      core/flow, the modules and tools) hand no refusal text out through a
#      pointer (`*msg = "…"`, *why, *err, *reason, with Chinese in it):
#      they pass
#      hall_msg_text(pool, HALL_M_...).  The layers below the web (store,
#      pki, biz, stamp, pdf) cannot name a code, so their refusals are
#      their own texts in *msg, answered by the caller (docs/style.md);
#   3. a store failure is answered once, by hall_app_finish (core/web/app.c:
#      a rollback, then 503): no module or file of core/flow answers
#      HALL_M_BUSY itself.  ALLOW_BUSY names the answers of 503 that are
#      not the store's, with the reason;
#   4. each check finds what is planted in a tree of its own.
root=${HALL_ROOT:-.}

# the system's random source failing (modules/pay/pay.c, transfer_key):
# not the store, answered where it is known
ALLOW_BUSY="modules/pay/pay.c"

echo "1..4"

# the C files the rules read, from $1
c_files() {
    (cd "$1" && ls core/*/*.c modules/*/*.c tools/*/*.c 2>/dev/null)
}

# cond_assign ROOT FILE...: "file:line" of each condition that is one
# assignment in doubled parentheses
cond_assign() {
    r=$1
    shift
    for f in "$@"; do
        perl -e '
            local $/; my $s = <STDIN>;
            $s =~ s{/\*.*?\*/}{ my $c = $&; $c =~ s/[^\n]/ /g; $c }gse;
            while ($s =~ /\b(?:if|while)\s*\(\s*(\((?:[^()]++|(?1))*\))\s*\)/g) {
                my ($in, $at) = ($1, $-[0]);
                my $top = substr($in, 1, -1);
                1 while $top =~ s/\((?:[^()]++)*\)/ /g;
                print 1 + (substr($s, 0, $at) =~ tr/\n//), "\n"
                    if $top =~ /(?<![=!<>+\-*\/%&|^])=(?!=)/;
            }' <"$r/$f" | sed "s|^|$f:|"
    done
}

# out_texts ROOT FILE...: "file:line" of each Chinese text handed out
# through a pointer
out_texts() {
    r=$1
    shift
    for f in "$@"; do
        grep -n -P '^\s*\*\s*(?:[A-Za-z_][A-Za-z0-9_]*(?:->|\.))?(?:msg|why|err|reason)\w*\s*=\s*"[^"]*[^\x00-\x7f]' "$r/$f" |
            cut -d: -f1 | sed "s|^|$f:|"
    done
}

# busy ROOT FILE...: "file:line" of each answer of HALL_M_BUSY
busy() {
    r=$1
    shift
    for f in "$@"; do
        grep -n 'hall_msg[a-z_]*(req, *HALL_M_BUSY\b' "$r/$f" | cut -d: -f1 | sed "s|^|$f:|"
    done
}

files=$(c_files "$root")
# shellcheck disable=SC2086 # a word list
found=$(cond_assign "$root" $files)
if [ -z "$found" ]; then
    echo "ok 1 - every assignment inside a condition is compared where it stands"
else
    echo "not ok 1 - a condition that is an assignment in doubled parentheses (file:line):"
    echo "$found" | sed 's/^/#   /'
fi

upper=
for f in $files; do
    case $f in
    core/web/* | core/flow/* | modules/* | tools/*) ;;
    *) continue ;;
    esac
    upper="$upper $f"
done
# shellcheck disable=SC2086
found=$(out_texts "$root" $upper)
if [ -z "$found" ]; then
    echo "ok 2 - core/web, core/flow, the modules and tools hand out message codes' texts, no literal"
else
    echo "not ok 2 - a refusal's text written where a code of messages.def belongs (file:line):"
    echo "$found" | sed 's/^/#   /'
fi

mods=
for f in $files; do
    case $f in
    core/flow/* | modules/*) ;;
    *) continue ;;
    esac
    case " $ALLOW_BUSY " in *" $f "*) continue ;; esac
    mods="$mods $f"
done
# shellcheck disable=SC2086
found=$(busy "$root" $mods)
if [ -z "$found" ]; then
    echo "ok 3 - no module or flow file answers a store failure itself (hall_app_finish does)"
else
    echo "not ok 3 - HALL_M_BUSY answered where the failure happened (file:line):"
    echo "$found" | sed 's/^/#   /'
fi

# 4: a tree of its own, each rule broken once and kept once
t=$(mktemp -d "${TMPDIR:-/tmp}/style.XXXXXX") || exit 1
mkdir -p "$t/core/flow" "$t/core/biz" "$t/modules/x"
cat >"$t/core/flow/a.c" <<'EOF'
static int
a(const char **msg, char *p)
{
    char *q;

    if ((q = next(p)) == NULL) /* compared: kept */
        return 1;
    while ((q = next(q)))
        ;
    if ((q[0] == 'a'))
        return 2;
    *msg = "不能办理";
    *msg = hall_msg_text(pool, HALL_M_X);
    return 0;
}
EOF
cat >"$t/core/biz/b.c" <<'EOF'
static int
b(const char **msg)
{
    *msg = "证书已吊销";
    return 0;
}
EOF
cat >"$t/modules/x/x.c" <<'EOF'
static int
x(struct hall_req *req)
{
    if (hall_db_exec(req->cx, "x") == NULL)
        return hall_msg(req, HALL_M_BUSY, NULL);
    return HALL_ERR;
}
EOF
p1=$(cond_assign "$t" core/flow/a.c core/biz/b.c modules/x/x.c | tr '\n' ' ')
p2=$(out_texts "$t" core/flow/a.c modules/x/x.c | tr '\n' ' ')
p3=$(busy "$t" core/flow/a.c modules/x/x.c | tr '\n' ' ')
if [ "$p1" = "core/flow/a.c:8 " ] && [ "$p2" = "core/flow/a.c:12 " ] &&
    [ "$p3" = "modules/x/x.c:5 " ]; then
    echo "ok 4 - checks 1-3 find the planted assignment, text and answer, and pass the rest"
else
    echo "not ok 4 - on a planted tree: 1 said '$p1', 2 '$p2', 3 '$p3'"
fi
rm -rf "$t"
