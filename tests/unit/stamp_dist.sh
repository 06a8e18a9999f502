#!/bin/sh
# make stamp-dist's script (script/stamp-dist, docs/modules/stamp.md
# "Packaging") into a temp dir, checked as a downloader would (TAP): the
# .sha256 files verify; the tarball holds bin/hall-stamp, which runs and
# names the version; the .deb is hall-stamp of that version for amd64 with
# libpoppler-glib (sign --keyword) among its Depends and no libqpdf (the
# stamp reads PDFs through core/pdf);
# hall-stamp.json names both files with the
# SHA-256 of what is on disk.  The same script packages the 证书助手
# (docs/modules/assist.md "Packaging"): hall-assist's .deb and tarball,
# its program running, and hall-assist.json carrying the usage it prints.
root=${HALL_ROOT:-.}
bin=$root/tools/stamp/hall-stamp
assist=$root/tools/assist/hall-assist
echo "1..5"
if [ "$(uname -m)" != x86_64 ] || [ ! -x "$bin" ] || [ ! -x "$assist" ]; then
    for i in 1 2 3 4 5; do echo "ok $i # SKIP not x86-64 or hall-stamp, hall-assist not built"; done
    exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$root/script/stamp-dist" 9.8.7 "$bin" "$out" >/dev/null 2>"$out/err" || { cat "$out/err" >&2; }

if (cd "$out" && sha256sum -c --quiet ./*.sha256) >/dev/null 2>&1 &&
    [ "$(ls "$out"/*.sha256 | wc -l)" -eq 2 ]; then
    echo "ok 1 - both archives' SHA-256 files verify"
else
    echo "not ok 1 - SHA-256 files missing or wrong"
fi
tar -xzf "$out/hall-stamp-9.8.7-linux-x86_64.tar.gz" -C "$out" 2>/dev/null
if "$out/hall-stamp-9.8.7-linux-x86_64/bin/hall-stamp" --version 2>/dev/null | grep -q '^hall-stamp ' &&
    grep -q 'libpoppler-glib8' "$out/hall-stamp-9.8.7-linux-x86_64/README" &&
    ! grep -q 'libqpdf' "$out/hall-stamp-9.8.7-linux-x86_64/README"; then
    echo "ok 2 - the tarball's bin/hall-stamp runs; its README names the packages"
else
    echo "not ok 2 - the tarball's program or README"
fi
info=$(dpkg-deb -f "$out/hall-stamp_9.8.7_amd64.deb" Package Version Architecture Depends 2>/dev/null)
if echo "$info" | grep -q '^Package: hall-stamp$' && echo "$info" | grep -q '^Version: 9.8.7$' &&
    echo "$info" | grep -q '^Architecture: amd64$' && ! echo "$info" | grep -q 'libqpdf' &&
    echo "$info" | grep -q 'libpoppler-glib8'; then
    echo "ok 3 - the .deb is hall-stamp 9.8.7 amd64, depending on libpoppler-glib8, not libqpdf"
else
    echo "not ok 3 - the .deb's control: $info"
fi
tgz=$(sha256sum "$out/hall-stamp-9.8.7-linux-x86_64.tar.gz" | cut -d' ' -f1)
deb=$(sha256sum "$out/hall-stamp_9.8.7_amd64.deb" | cut -d' ' -f1)
if grep -q "\"version\": \"9.8.7\"" "$out/hall-stamp.json" && grep -q "\"sha256\": \"$tgz\"" "$out/hall-stamp.json" &&
    grep -q "\"sha256\": \"$deb\"" "$out/hall-stamp.json"; then
    echo "ok 4 - hall-stamp.json names the version and both files' SHA-256"
else
    echo "not ok 4 - hall-stamp.json: $(cat "$out/hall-stamp.json")"
fi

"$root/script/stamp-dist" 9.8.7 "$assist" "$out" >/dev/null 2>"$out/err" || { cat "$out/err" >&2; }
tar -xzf "$out/hall-assist-9.8.7-linux-x86_64.tar.gz" -C "$out" 2>/dev/null
usage=$("$out/hall-assist-9.8.7-linux-x86_64/bin/hall-assist" 2>&1 >/dev/null)
info=$(dpkg-deb -f "$out/hall-assist_9.8.7_amd64.deb" Package Version Depends 2>/dev/null)
if echo "$usage" | grep -q 'hall-assist unlock' && echo "$info" | grep -q '^Package: hall-assist$' &&
    echo "$info" | grep -q '^Version: 9.8.7$' && echo "$info" | grep -q 'libcurl4' &&
    grep -q '"usage": "用法：hall-assist list' "$out/hall-assist.json" &&
    grep -q "\"sha256\": \"$(sha256sum "$out/hall-assist_9.8.7_amd64.deb" | cut -d' ' -f1)\"" "$out/hall-assist.json" &&
    (cd "$out" && sha256sum -c --quiet ./hall-assist*.sha256) >/dev/null 2>&1; then
    echo "ok 5 - hall-assist packaged: its program runs, the .deb is hall-assist 9.8.7, the JSON has its usage"
else
    echo "not ok 5 - hall-assist's packages: $info $(cat "$out/hall-assist.json" 2>/dev/null)"
fi
