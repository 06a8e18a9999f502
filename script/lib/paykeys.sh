#!/usr/bin/env bash
# script/lib/paykeys.sh KEYS: the payment keys of an offline hall, made once
# (an existing file is kept).  Both sides of each merchant account of
# sql/065 (docs/operations.md "Taking real money", docs/sandbox.md):
#
#   KEYS/pay/wechat-1900000001/     the hall's side (pay_key_dir)
#     apiclient_key.pem             the merchant's RSA 2048 key
#     apiclient_cert.pem            its certificate (serial = serial_no)
#     apiv3.key                     the APIv3 key: 32 characters
#     wechatpay_pub.pem             WeChat Pay's public key (the sandbox's)
#   KEYS/pay/alipay-2021000000000001/
#     app_private_key.pem           the application's RSA 2048 key
#     alipay_public_key.pem         Alipay's public key (the sandbox's)
#   KEYS/sandbox/                   the sandbox's side (HALL_SANDBOX_KEYS)
#     wechatpay_key.pem             "WeChat Pay"'s private key
#     alipay_key.pem                "Alipay"'s private key
#     wechat-1900000001/            what WeChat Pay knows of the merchant:
#       apiclient_cert.pem apiv3.key
#     alipay-2021000000000001/app_public_key.pem
#
# and the same for a second WeChat Pay merchant, wechat-1900000002, that no
# row names: tests give it to a partner (an account of the partner's own).
# Keys are 0600 in 0700 directories.  The hall's private keys and APIv3
# keys (KEYS/pay/*/apiclient_key.pem, app_private_key.pem, apiv3.key: every
# merchant's, the sandbox's and any an operator put there) are kept
# encrypted with the key-encryption passphrase, HALL_PKI_PASS_FILE (keyenc.sh: one in clear, or encrypted
# with fewer iterations, is encrypted anew in place); the sandbox's side
# stays in clear (it plays the gateways).  Called by setup_var (common.sh)
# after pki-init.sh, which makes HALL_PKI_PASS_FILE (outside KEYS).
set -euo pipefail

keys=${1:?usage: paykeys.sh KEYS}
lib=$(cd "$(dirname "$0")" && pwd -P)
# (KEYS/pki.pass without HALL_PKI_PASS_FILE: a throw-away fixture's)
pass=${HALL_PKI_PASS_FILE:-$keys/pki.pass}
[ -s "$pass" ] || {
    echo "paykeys.sh: no $pass (pki-init.sh makes it)" >&2
    exit 1
}
umask 077
ali=alipay-2021000000000001
mkdir -p "$keys/pay/$ali" "$keys/sandbox/$ali"
chmod 700 "$keys/pay" "$keys/pay/$ali" "$keys/sandbox" "$keys/sandbox/$ali"

rsa() {
    # rsa FILE [enc]: an RSA 2048 private key, unless there is one; with
    # enc, encrypted with the passphrase (keyenc.sh raises its iterations)
    local enc=()
    [ "${2:-}" = enc ] && enc=(-aes-256-cbc -pass "file:$pass")
    [ -s "$1" ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "${enc[@]}" \
        -out "$1" 2>/dev/null
}

rsa "$keys/sandbox/wechatpay_key.pem"
rsa "$keys/sandbox/alipay_key.pem"

for mchid in 1900000001 1900000002; do
    wx=wechat-$mchid
    mkdir -p "$keys/pay/$wx" "$keys/sandbox/$wx"
    chmod 700 "$keys/pay/$wx" "$keys/sandbox/$wx"
    rsa "$keys/pay/$wx/apiclient_key.pem" enc
    if [ ! -s "$keys/pay/$wx/apiclient_cert.pem" ]; then
        openssl req -new -x509 -key "$keys/pay/$wx/apiclient_key.pem" -passin "file:$pass" -days 3650 \
            -subj "/C=CN/O=Sandbox Merchant/OU=$mchid/CN=$mchid" \
            -set_serial "0x$(openssl rand -hex 16)" -out "$keys/pay/$wx/apiclient_cert.pem"
    fi
    # the APIv3 key: WeChat Pay's copy (the sandbox's) in clear, the hall's
    # encrypted below; an existing var/'s hall copy may be either
    v3=$keys/pay/$wx/apiv3.key
    if [ ! -s "$v3" ]; then
        [ -s "$keys/sandbox/$wx/apiv3.key" ] ||
            openssl rand -hex 16 | tr -d '\n' >"$keys/sandbox/$wx/apiv3.key"
        cp "$keys/sandbox/$wx/apiv3.key" "$v3"
    elif [ ! -s "$keys/sandbox/$wx/apiv3.key" ]; then
        "$lib/keyenc.sh" --open "$pass" "$v3" >"$keys/sandbox/$wx/apiv3.key"
    fi
    [ -s "$keys/pay/$wx/wechatpay_pub.pem" ] ||
        openssl pkey -in "$keys/sandbox/wechatpay_key.pem" -pubout -out "$keys/pay/$wx/wechatpay_pub.pem"
    cp "$keys/pay/$wx/apiclient_cert.pem" "$keys/sandbox/$wx/"
done

rsa "$keys/pay/$ali/app_private_key.pem" enc
[ -s "$keys/pay/$ali/alipay_public_key.pem" ] ||
    openssl pkey -in "$keys/sandbox/alipay_key.pem" -pubout -out "$keys/pay/$ali/alipay_public_key.pem"
[ -s "$keys/sandbox/$ali/app_public_key.pem" ] ||
    openssl pkey -in "$keys/pay/$ali/app_private_key.pem" -passin "file:$pass" -pubout \
        -out "$keys/sandbox/$ali/app_public_key.pem"

# every merchant's private key and APIv3 key encrypted at rest (an existing
# var/'s, made in clear before, included)
shopt -s nullglob
"$lib/keyenc.sh" "$pass" "$keys"/pay/*/apiclient_key.pem "$keys"/pay/*/app_private_key.pem \
    "$keys"/pay/*/apiv3.key
