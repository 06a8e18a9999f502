#!/bin/sh
# sql/'s layout (sql/README.md), as script/migrate --check holds it without
# a database (TAP):
#   1. the repository's sql/ passes
#   2. a numbered migration after 131 that creates a function, trigger or
#      view is refused, naming the file; one that drops them, or names them
#      in a comment, passes
#   3. a function's file that creates a second object, or its function
#      without OR REPLACE, or is named after another, is refused
#   4. '-- requires:' naming a file that does not exist is refused
root=${HALL_ROOT:-.}
migrate=$root/script/migrate
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hall-sql-layout.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
echo "1..4"

# copy: a fresh copy of sql/ in $tmp/sql
copy() {
    rm -rf "$tmp/sql" && cp -R "$root/sql" "$tmp/sql"
}
# refused WHAT: --check on the copy fails and its message matches WHAT
refused() {
    if out=$("$migrate" --check --sql-dir "$tmp/sql" 2>&1); then
        echo "# accepted: $out"
        return 1
    fi
    printf '%s\n' "$out" | grep -q -- "$1" || { echo "# wrong message: $out"; return 1; }
}
passes() {
    out=$("$migrate" --check --sql-dir "$tmp/sql" 2>&1) || { echo "# refused: $out"; return 1; }
}

if out=$("$migrate" --check 2>&1); then
    echo "ok 1 - sql/ passes ($out)"
else
    echo "not ok 1 - sql/ refused: $out"
fi

ok=1
copy
printf 'DROP FUNCTION order_no_serial(bigint);\n-- CREATE FUNCTION f() is not here\n' >"$tmp/sql/132_drop.sql"
passes || ok=0
printf 'ALTER TABLE orders ADD COLUMN x integer;\n\nCREATE OR REPLACE\n    FUNCTION x_of(o orders) RETURNS integer\n    LANGUAGE sql AS $$ SELECT o.x $$;\n' >"$tmp/sql/133_x.sql"
refused "133_x.sql: 'CREATE OR REPLACE FUNCTION X_OF'" || ok=0
rm "$tmp/sql/133_x.sql"
printf 'CREATE TRIGGER t AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION f();\n' >"$tmp/sql/140_t.sql"
refused "140_t.sql: 'CREATE TRIGGER T'" || ok=0
rm "$tmp/sql/140_t.sql"
printf 'CREATE VIEW v AS SELECT 1;\n' >"$tmp/sql/140_v.sql"
refused "140_v.sql: 'CREATE VIEW V'" || ok=0
if [ $ok = 1 ]; then
    echo "ok 2 - a numbered migration after 131 defines no function, trigger or view"
else
    echo "not ok 2 - a numbered migration after 131 defines no function, trigger or view"
fi

ok=1
copy
printf '\nCREATE OR REPLACE FUNCTION beijing_day2(t timestamptz) RETURNS date\nLANGUAGE sql AS $$ SELECT t::date $$;\n' >>"$tmp/sql/functions/beijing_day.sql"
refused "functions/beijing_day.sql must create exactly one function, beijing_day" || ok=0
copy
sed 's/CREATE OR REPLACE FUNCTION/CREATE FUNCTION/' "$root/sql/functions/beijing_day.sql" >"$tmp/sql/functions/beijing_day.sql"
refused "it has: CREATE FUNCTION BEIJING_DAY" || ok=0
copy
mv "$tmp/sql/functions/beijing_day.sql" "$tmp/sql/functions/beijing_date.sql"
refused "functions/beijing_date.sql must create exactly one function, beijing_date" || ok=0
copy
mv "$tmp/sql/triggers/orders_gift.sql" "$tmp/sql/triggers/Orders_Gift.sql"
refused "bad file name: triggers/Orders_Gift.sql" || ok=0
if [ $ok = 1 ]; then
    echo "ok 3 - each file creates its one object with CREATE OR REPLACE"
else
    echo "not ok 3 - each file creates its one object with CREATE OR REPLACE"
fi

copy
printf -- '-- requires: views/nothing_here.sql\n' >>"$tmp/sql/functions/report_live_money.sql"
if refused "functions/report_live_money.sql requires views/nothing_here.sql, which does not exist"; then
    echo "ok 4 - a missing required file is refused"
else
    echo "not ok 4 - a missing required file is refused"
fi
