# shellcheck shell=bash
#
# script/lib/swift.sh: a one-node OpenStack Swift with the S3 API (s3api
# and tempauth) for the hall's S3 driver: what `HALL_TEST_STORE=s3
# script/test` and the object-store tests start.  Debian's packages (swift,
# swift-proxy, swift-object, swift-container, swift-account); everything
# under one directory: the configuration (swift.conf, the rings, one file
# per server: no /etc/swift), the storage (a plain directory, mount_check
# off) and the logs.  One replica, loopback only.  The servers run as the
# user who starts them (root included): no swift user, no /srv.
#
# Sourced after common.sh, never run.  Settings (defaults in brackets):
#
#   SWIFT_DIR        where it all lives [$HALL_VAR/swift]
#   SWIFT_PORT       the proxy's port on 127.0.0.1, the S3 endpoint (set it);
#                    the storage servers take SWIFT_PORT+1, +2, +3
#   SWIFT_ACCESS     the S3 access key [hall:hall] (tempauth's account:user)
#   SWIFT_SECRET     its secret key [made once, kept in SWIFT_DIR/secret]
#
# swift_start starts the four servers under the hall's process manager
# (start_proc: swift_account, swift_container, swift_object, swift_proxy,
# logs in VAR/log/swift_*.log; stop_all ends them) and waits until the
# proxy answers.

swift_conf_write() {
    local d=$SWIFT_DIR user
    user=$(id -un)
    mkdir -p "$d/etc" "$d/srv/d1" || die "cannot create $d"
    if [ ! -s "$d/secret" ]; then
        (umask 077 && openssl rand -hex 20 >"$d/secret") || die "cannot create $d/secret"
    fi
    SWIFT_SECRET=$(cat "$d/secret")
    if [ ! -s "$d/etc/swift.conf" ]; then
        cat >"$d/etc/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = $(openssl rand -hex 8)
swift_hash_path_prefix = $(openssl rand -hex 8)

[storage-policy:0]
name = Policy-0
default = yes
EOF
    fi
    local kind port
    for kind in account container object; do
        case $kind in
        account) port=$((SWIFT_PORT + 1)) ;;
        container) port=$((SWIFT_PORT + 2)) ;;
        object) port=$((SWIFT_PORT + 3)) ;;
        esac
        cat >"$d/etc/$kind-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
workers = 0
user = $user
swift_dir = $d/etc
devices = $d/srv
mount_check = false
log_name = $kind-server
log_level = WARNING

[pipeline:main]
pipeline = $kind-server

[app:$kind-server]
use = egg:swift#$kind

[$kind-replicator]
[$kind-auditor]
EOF
        if [ ! -s "$d/etc/$kind.ring.gz" ]; then
            (cd "$d/etc" &&
                swift-ring-builder "$kind.builder" create 4 1 1 >/dev/null &&
                swift-ring-builder "$kind.builder" add "r1z1-127.0.0.1:$port/d1" 100 >/dev/null &&
                swift-ring-builder "$kind.builder" rebalance >/dev/null) ||
                die "swift-ring-builder failed for the $kind ring"
        fi
    done
    cat >"$d/etc/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $SWIFT_PORT
workers = 0
user = $user
swift_dir = $d/etc
log_name = proxy-server
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache s3api tempauth proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
conn_timeout = 1
node_timeout = 5

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:1

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false
dns_compliant_bucket_names = true

[filter:tempauth]
use = egg:swift#tempauth
user_${SWIFT_ACCESS%%:*}_${SWIFT_ACCESS#*:} = $SWIFT_SECRET .admin
EOF
}

# swift_start: write the configuration (once), start the account,
# container and object servers, wait for each, then the proxy and its
# healthcheck (up to 60 s each: Swift's Python starts slowly on a busy
# machine).
swift_start() {
    SWIFT_DIR=${SWIFT_DIR:-$HALL_VAR/swift}
    SWIFT_PORT=${SWIFT_PORT:?SWIFT_PORT is not set}
    SWIFT_ACCESS=${SWIFT_ACCESS:-hall:hall}
    # shellcheck disable=SC2086 # a word list
    install_deps $HALL_SWIFT_DEBS
    local p kind
    for p in "$SWIFT_PORT" $((SWIFT_PORT + 1)) $((SWIFT_PORT + 2)) $((SWIFT_PORT + 3)); do
        check_port "$p" HALL_TEST_SWIFT_PORT
    done
    swift_conf_write
    for kind in account container object; do
        # -v: the server's log lines on stderr too (there is no syslog here)
        start_proc "swift_$kind" "swift-$kind-server" "$SWIFT_DIR/etc/$kind-server.conf" -v
    done
    # each storage server listening (any answer will do) before the proxy
    # starts: a proxy up before its account server answers uploads with
    # 503 until the account server is (about 70 s once on a loaded host)
    wait_for_http "http://127.0.0.1:$((SWIFT_PORT + 1))/" swift_account "$(child_of swift_account)" 60
    wait_for_http "http://127.0.0.1:$((SWIFT_PORT + 2))/" swift_container "$(child_of swift_container)" 60
    wait_for_http "http://127.0.0.1:$((SWIFT_PORT + 3))/" swift_object "$(child_of swift_object)" 60
    start_proc swift_proxy swift-proxy-server "$SWIFT_DIR/etc/proxy-server.conf" -v
    wait_for_http "http://127.0.0.1:$SWIFT_PORT/healthcheck" swift_proxy "$(child_of swift_proxy)" 60
}

# swift_bucket CONF: creates the bucket of hall.conf CONF with hall-objstore;
# a Swift that has just started may answer 503 for a while (its account
# and container servers warming up on a busy machine): tried for 60 s
swift_bucket() {
    local i
    for ((i = 0; i < 60; i++)); do
        "$HALL_ROOT/tools/objstore/hall-objstore" -c "$1" bucket 2>/dev/null && return 0
        sleep 1
    done
    "$HALL_ROOT/tools/objstore/hall-objstore" -c "$1" bucket
}
