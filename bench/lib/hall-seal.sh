# shellcheck shell=bash
# bench/lib/hall-seal.sh: hall_seal DIR, a 机构章 the running hall makes
# for a bench as the integration tests make one (tests/integ/lib/stamp.js
# producedSeal: a 电子签章 order through /seal/apply, moved to accepted in
# the database, issued by the operator, the PIN from the sandbox's SMS):
# DIR/seal.seseal and DIR/medium.p12 written, the PIN printed.  Its stamps
# verify at the hall as 有效, every check of docs/internals/stamp.md §3 and
# the hall's records included.  Sourced; needs root (the tree), HALL_URL,
# HALL_VAR and HALL_SANDBOX_URL of a hall script/server started.

hall_seal() {
    local psql
    psql=$(find /usr/lib/postgresql/*/bin -name psql 2>/dev/null | sort -V | tail -1)
    [ -x "$psql" ] || { echo "hall_seal: psql is needed" >&2; return 1; }
    HALL_URL=$HALL_URL HALL_VAR=$HALL_VAR HALL_SANDBOX_URL=$HALL_SANDBOX_URL \
        HALL_CONF=$HALL_VAR/hall.conf HALL_CRED=${HALL_CRED:-$HALL_VAR-credentials} \
        HALL_PSQL="$psql -h $HALL_VAR/run/pg -U hall -d hall -X -q" node -e '
            require(process.argv[1] + "/tests/integ/lib/stamp.js").producedSeal(process.argv[2])
                .then((s) => console.log(s.pin), (e) => { console.error(e.message); process.exit(1); });
        ' "$root" "$1"
}
