#!/usr/bin/env bash
# script/lib/common.sh's start-up stamps (docs/operations.md, "Start-up"):
# a step recorded with its inputs is skipped at the next start, and runs
# again when one of them changes (a key file, a script).  TAP.
set -u
root=${HALL_ROOT:-.}
root=$(cd "$root" && pwd -P)
echo "1..5"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hall-stamps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
HALL_ROOT=$root
HALL_VAR=$tmp/var
# shellcheck source=script/lib/common.sh
. "$root/script/lib/common.sh"
HALL_CRED=$tmp/var-credentials
mkdir -p "$HALL_VAR/keys/pki" "$HALL_CRED/kdf-cache" "$HALL_VAR/keys/token/8a1f"
echo made >"$HALL_VAR/keys/token/8a1f/object"
echo one >"$HALL_VAR/keys/pki/sm2.key"
echo pass >"$HALL_CRED/pki.pass"

d1=$(keys_digest)
stamp_write keys "$d1"
if stamp_fresh keys "$(keys_digest)"; then
    echo "ok 1 - nothing changed: the keys' step is skipped"
else
    echo "not ok 1 - nothing changed, yet the keys' step would run again"
fi
# what the running hall writes (the token's files, the derived keys' cache)
# is no input
echo used >"$HALL_VAR/keys/token/8a1f/object"
echo entry >"$HALL_CRED/kdf-cache/abc"
if stamp_fresh keys "$(keys_digest)"; then
    echo "ok 2 - the token's and the cache's files do not count"
else
    echo "not ok 2 - a token or cache file made the keys' step run again"
fi
# a key file changed (same size, another time): the step runs again
echo two >"$HALL_VAR/keys/pki/sm2.key"
touch -d '2001-01-01' "$HALL_VAR/keys/pki/sm2.key"
if stamp_fresh keys "$(keys_digest)"; then
    echo "not ok 3 - a changed key file left the keys' step skipped"
else
    echo "ok 3 - a changed key file: the keys' step runs again"
fi
# a passphrase put in place by hand: the same
stamp_write keys "$(keys_digest)"
echo other >"$HALL_CRED/pki.pass.next"
if stamp_fresh keys "$(keys_digest)"; then
    echo "not ok 4 - a new file in the credentials left the keys' step skipped"
else
    echo "ok 4 - a new file in the credentials: the keys' step runs again"
fi
# the token's folder removed (to make it anew): the step runs again
stamp_write keys "$(keys_digest)"
rm -rf "$HALL_VAR/keys/token"
if stamp_fresh keys "$(keys_digest)"; then
    echo "not ok 5 - the token's folder gone, yet the keys' step would be skipped"
else
    echo "ok 5 - the token's folder gone: the keys' step runs again"
fi
