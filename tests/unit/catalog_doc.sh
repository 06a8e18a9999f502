#!/bin/sh
# docs/catalog.md is what hall-catalog prints from core/flow/catalog.def and
# core/web/messages.def (TAP; `make docs` rewrites the page)
echo "1..3"
root=${HALL_ROOT:-.}
if ./core/hall-catalog | cmp -s - "$root/docs/catalog.md"; then
    echo "ok 1 - docs/catalog.md is up to date"
else
    echo "not ok 1 - docs/catalog.md is stale: run make docs"
fi
if "$root/script/modules" check; then
    echo "ok 2 - modules/local.am is what modules/list gives"
else
    echo "not ok 2 - modules/local.am is stale: run script/modules write"
fi
missing=
for m in $("$root/script/modules" names); do
    grep -q "hall-module@$m.service" "$root/script/systemd/hall.target" || missing="$missing $m"
done
if [ -z "$missing" ]; then
    echo "ok 3 - script/systemd/hall.target wants every module of modules/list"
else
    echo "not ok 3 - script/systemd/hall.target lacks:$missing"
fi
