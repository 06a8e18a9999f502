#!/usr/bin/env bash
# script/lib/pki-init.sh DIR: what the hall's CA hierarchy needs under DIR
# (var/keys/pki) before hall-pkitool ceremony runs; created once and never
# replaced (idempotent: an existing file or token is kept).
#
# 1. The PKCS#11 token (SoftHSM2, the embedded default) that holds the
#    ECDSA keys, in KEYS = DIR/..:
#      KEYS/softhsm2.conf   SoftHSM2's config (SOFTHSM2_CONF): its tokens
#                           live in KEYS/token, not in /var/lib/softhsm
#      KEYS/token/          the token "hall" (SoftHSM2's encrypted object files)
#      PINS/pkcs11.pin      the token's user PIN (0600): hall.conf's pkcs11_pin_file
#      PINS/pkcs11.so-pin   its security officer PIN (0600): re-initialising
#                           or unblocking the token only; keep it offline
#      the token "hall-report" and PINS/pkcs11-report.pin: the 验签报告's
#                           token (report_token, report_pin_file), whose one
#                           key hall-pkitool report makes (the same SO PIN)
#    PINS is the folder of HALL_PKI_PASS_FILE (the credentials, outside
#    var/: a copy of var/ alone does not unlock the token), KEYS without it
#    The keys themselves (root, ecc, ecc-ocsp, audit, tsa) are made inside the
#    token by hall-pkitool ceremony (core/pki/ceremony.c), never here.
#
# 2. The SM2 hierarchy, in software (SoftHSM2 has no SM2), every key
#    encrypted at rest (PKCS#8, AES-256-CBC, PBKDF2-HMAC-SHA256 with 600,000
#    iterations: keyenc.sh) with the key-encryption passphrase in the file
#    HALL_PKI_PASS_FILE names (0600: hall.conf's pki_pass_file), made once;
#    never under DIR or KEYS (setup_var: VAR-credentials/pki.pass, outside
#    var/; docs/operations.md "Secrets at rest"; without HALL_PKI_PASS_FILE,
#    for a throw-away hierarchy only, KEYS/pki.pass); every signature
#    SM3withSM2 with the signer ID 1234567812345678:
#      sm2-root.key  sm2-root.crt      the SM2 root CA, 20 years
#      sm2.key       sm2.crt           issuing CA "sm2", signed by sm2-root, 10 years
#      sm2-ocsp.key  sm2-ocsp.crt      its OCSP signer (id-kp-OCSPSigning,
#                                      id-pkix-ocsp-nocheck), 2 years
#      seal-maker.key seal-maker.crt   the seal maker (signed by sm2, 5 years):
#                                      signs each electronic seal's SESeal
#                                      (core/pki/seseal.c)
#    A DIR from before the SM2 root (sm2.crt signed by the ECDSA root, keys
#    in clear) is re-chained: sm2.crt is issued anew by the new SM2 root for
#    the same key and name, so the certificates the sm2 CA issued chain to
#    the SM2 root; the keys in clear, or encrypted with fewer iterations
#    (OpenSSL's default 2,048, as they were made before), are encrypted
#    anew in place.
#
# Called by setup_var (script/lib/common.sh) for script/server and script/test.
set -euo pipefail

dir=${1:?usage: pki-init.sh DIR}
lib=$(cd "$(dirname "$0")" && pwd -P)
umask 077
mkdir -p "$dir"
chmod 700 "$dir"
dir=$(cd "$dir" && pwd -P)
keys=$(dirname "$dir")
SM2ID=1234567812345678
O="Hall Demo CA"

# ---- 1. the token

newsecret() {
    # newsecret FILE: 32 random hex characters, 0600, unless there is one
    [ -s "$1" ] && return 0
    openssl rand -hex 16 >"$1.new"
    chmod 600 "$1.new"
    mv "$1.new" "$1"
}

mkdir -p "$keys/token"
chmod 700 "$keys/token"
# written at every run: it names the token directory by its absolute path,
# which changes when var/ is restored elsewhere (script/restore)
printf '%s\n' "# SoftHSM2's config for the hall (script/lib/pki-init.sh): SOFTHSM2_CONF" \
    "directories.tokendir = $keys/token" 'objectstore.backend = file' \
    'log.level = ERROR' 'slots.removable = false' >"$keys/softhsm2.conf.new"
mv "$keys/softhsm2.conf.new" "$keys/softhsm2.conf"
export SOFTHSM2_CONF=$keys/softhsm2.conf
# the PINs beside the key-encryption passphrase, never in KEYS when there
# is one: whoever has KEYS/token and its PIN has the CA's keys
pins=$keys
if [ -n "${HALL_PKI_PASS_FILE:-}" ]; then
    pins=$(dirname "$HALL_PKI_PASS_FILE")
    mkdir -p "$pins"
    pins=$(cd "$pins" && pwd -P)
    case $pins/ in
    "$keys"/*) echo "pki-init.sh: $HALL_PKI_PASS_FILE lies in $keys, the keys it opens: put it outside" >&2 && exit 1 ;;
    esac
fi
newsecret "$pins/pkcs11.pin"
newsecret "$pins/pkcs11.so-pin"
if ! softhsm2-util --show-slots 2>/dev/null | grep -q '^ *Label: *hall *$'; then
    # softhsm2-util takes the PINs as arguments only: this one moment
    softhsm2-util --init-token --free --label hall --pin "$(cat "$pins/pkcs11.pin")" \
        --so-pin "$(cat "$pins/pkcs11.so-pin")" >/dev/null
fi
# the 验签报告's token (report_token): one key, "report", made in it by
# hall-pkitool report; its own PIN (report_pin_file), the one the module
# sign holds, which opens no key of the CA
newsecret "$pins/pkcs11-report.pin"
if ! softhsm2-util --show-slots 2>/dev/null | grep -q '^ *Label: *hall-report *$'; then
    softhsm2-util --init-token --free --label hall-report \
        --pin "$(cat "$pins/pkcs11-report.pin")" --so-pin "$(cat "$pins/pkcs11.so-pin")" >/dev/null
fi

# ---- 2. the SM2 hierarchy

if [ -n "${HALL_PKI_PASS_FILE:-}" ]; then
    passfile=$HALL_PKI_PASS_FILE
    mkdir -p "$(dirname "$passfile")"
    case $(cd "$(dirname "$passfile")" && pwd -P)/ in
    "$keys"/*) echo "pki-init.sh: $passfile lies in $keys, the keys it opens: put it outside" >&2 && exit 1 ;;
    esac
else
    # a throw-away hierarchy (the unit tests' fixtures): beside the keys
    passfile=$keys/pki.pass
    echo "pki-init.sh: no HALL_PKI_PASS_FILE: the passphrase kept in $passfile, beside the keys" >&2
fi
newsecret "$passfile"
cd "$dir"
pass=(-pass "file:$passfile")

ext() {
    # ext KIND: an extension file for openssl x509 -extfile
    case $1 in
    root)
        printf '%s\n' 'basicConstraints=critical,CA:TRUE' \
            'keyUsage=critical,keyCertSign,cRLSign' 'subjectKeyIdentifier=hash'
        ;;
    ca)
        printf '%s\n' 'basicConstraints=critical,CA:TRUE,pathlen:0' \
            'keyUsage=critical,keyCertSign,cRLSign' \
            'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid'
        ;;
    ocsp)
        printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
            'keyUsage=critical,digitalSignature' 'extendedKeyUsage=critical,OCSPSigning' \
            'noCheck=ignored' 'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid'
        ;;
    sealmaker)
        printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
            'keyUsage=critical,digitalSignature,nonRepudiation' \
            'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid'
        ;;
    esac >"$dir/.ext"
}

serial() { echo "0x$(openssl rand -hex 8)"; }

# key NAME: an encrypted SM2 private key, unless there is one; one in clear
# or with a weaker derivation (from before) is encrypted anew in place
key() {
    if [ ! -s "$1.key" ]; then
        openssl genpkey -algorithm SM2 -aes-256-cbc "${pass[@]}" -out "$1.key.new"
        chmod 600 "$1.key.new"
        mv "$1.key.new" "$1.key"
    fi
    "$lib/keyenc.sh" "$passfile" "$1.key"
}

# issue NAME CN ISSUER DAYS KIND [FORCE]: NAME.crt signed by ISSUER (SM3withSM2)
issue() {
    local name=$1 cn=$2 issuer=$3 days=$4 kind=$5 force=${6:-}
    [ -s "$name.crt" ] && [ -z "$force" ] && return 0
    key "$name"
    openssl req -new -key "$name.key" -passin "file:$passfile" -sm3 \
        -sigopt "distid:$SM2ID" -subj "/C=CN/O=$O/CN=$cn" -out "$name.csr"
    ext "$kind"
    openssl x509 -req -in "$name.csr" -vfyopt "distid:$SM2ID" -CA "$issuer.crt" \
        -CAkey "$issuer.key" -passin "file:$passfile" -sm3 -sigopt "distid:$SM2ID" \
        -days "$days" -set_serial "$(serial)" -extfile .ext -out "$name.crt.new" 2>/dev/null
    rm -f "$name.csr" .ext
    chmod 644 "$name.crt.new"
    mv "$name.crt.new" "$name.crt"
}

rechain=
if [ ! -s sm2-root.crt ]; then
    key sm2-root
    ext root
    openssl req -x509 -new -key sm2-root.key -passin "file:$passfile" -sm3 \
        -sigopt "distid:$SM2ID" -days 7300 -set_serial "$(serial)" \
        -subj "/C=CN/O=$O/CN=Hall Demo SM2 Root CA" -config /dev/null -extensions v3 \
        -config <(printf '%s\n' '[req]' 'distinguished_name=dn' '[dn]' '[v3]' && cat .ext) \
        -out sm2-root.crt.new
    rm -f .ext
    chmod 644 sm2-root.crt.new
    mv sm2-root.crt.new sm2-root.crt
    # an sm2 CA from before the SM2 root was signed by the ECDSA root
    [ -s sm2.crt ] && rechain=1
fi
issue sm2 "Hall Demo SM2 CA" sm2-root 3650 ca "$rechain"
issue sm2-ocsp "Hall Demo SM2 CA OCSP Responder" sm2 730 ocsp
issue seal-maker "Hall Demo Seal Maker" sm2 1825 sealmaker
for k in sm2-root sm2 sm2-ocsp seal-maker; do key "$k"; done
chmod 600 ./*.key
