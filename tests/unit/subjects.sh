#!/bin/sh
# Commit subjects of at most 72 bytes (DEVELOPERS.md, "How work gets
# done"), checked on the history (TAP):
#   1. every commit after 3a582b2 (the last before this check: 9 of the 360
#      before it were longer) has a subject of at most 72 bytes, merges
#      included;
#   2. the check finds a planted subject of 73 bytes and passes one of 72.
# tests/unit/subjects.allow names the few that had landed before the check
# caught them.  Not a git checkout, or a shallow one without 3a582b2 (a
# tarball): 1 is skipped.
root=${HALL_ROOT:-.}
base=3a582b2

# long: the lines of stdin ("HASH SUBJECT") whose subject is over 72 bytes
long() {
    LC_ALL=C awk '{ s = substr($0, index($0, " ") + 1); if (length(s) > 72) print }'
}

echo "1..2"

if git -C "$root" rev-parse -q --verify "$base^{commit}" >/dev/null 2>&1; then
    found=$(git -C "$root" log --format='%H %s' "$base..HEAD" | long |
        awk 'NR == FNR { if ($0 !~ /^#/ && NF > 0) ok[$1] = 1; next } !($1 in ok)' \
            "$root/tests/unit/subjects.allow" -)
    if [ -z "$found" ]; then
        echo "ok 1 - every commit since $base has a subject of at most 72 bytes"
    else
        echo "not ok 1 - subjects over 72 bytes:"
        echo "$found" | sed 's/^/#   /'
    fi
else
    echo "ok 1 # SKIP not a git checkout with $base"
fi

s72=$(printf '%072d' 0)
planted=$(printf 'a1 %s\nb2 %s9\n' "$s72" "$s72" | long | cut -d' ' -f1)
# a subject in Chinese counts its bytes: 24 characters are 72 bytes
zh=$(printf 'c3 %s\n' "签名验证签名验证签名验证签名验证签名验证签名验证" | long)
if [ "$planted" = "b2" ] && [ -z "$zh" ]; then
    echo "ok 2 - the check finds a planted 73-byte subject and passes 72 bytes"
else
    echo "not ok 2 - the check on planted subjects said: ${planted:-nothing} ${zh}"
fi
