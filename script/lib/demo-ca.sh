#!/usr/bin/env bash
# script/lib/demo-ca.sh DIR PASSFILE: the 免费体验 demo CA under DIR
# (var/keys/demo, hall.conf's demo_dir), made once and never replaced
# (idempotent: existing files are kept).
#
# The demo CA is NOT the hall's CA: its own self-signed root, outside the
# token and outside pki_dir, never listed at /pki/, and a stamp under it is
# 体验印章 at the hall's verifier, never 有效 (docs/modules/sign.md).  Its
# signer's key is the only key the hall itself ever stamps with (POST
# /sign/try, modules/sign).
#   demo-root.key  demo-root.crt      ECDSA P-256, 20 years, "体验专用"
#   demo-signer.key demo-signer.crt   ECDSA P-256 signed by demo-root, 5 years,
#                                     digitalSignature + nonRepudiation
# The keys are encrypted at rest with PASSFILE's passphrase (keyenc.sh:
# PKCS#8, AES-256-CBC, PBKDF2-HMAC-SHA256 600,000 iterations), as the SM2
# CA's are; modules/sign reads demo-signer.key with hall.conf's
# pki_pass_file.
#
# Called by setup_var (script/lib/common.sh) after pki-init.sh.
set -euo pipefail

dir=${1:?usage: demo-ca.sh DIR PASSFILE}
pass=${2:?usage: demo-ca.sh DIR PASSFILE}
lib=$(cd "$(dirname "$0")" && pwd -P)
umask 077
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
O="免费体验 体验专用 不具法律效力"

serial() { echo "0x$(openssl rand -hex 8)"; }

key() {
    if [ ! -s "$1.key" ]; then
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
            -pkeyopt ec_param_enc:named_curve -out "$1.key.new"
        chmod 600 "$1.key.new"
        mv "$1.key.new" "$1.key"
    fi
    "$lib/keyenc.sh" "$pass" "$1.key"
}

if [ ! -s demo-root.crt ]; then
    key demo-root
    openssl req -x509 -new -utf8 -key demo-root.key -passin "file:$pass" -sha256 -days 7300 \
        -set_serial "$(serial)" -subj "/C=CN/O=$O/CN=免费体验根证书（非本CA）" \
        -config <(printf '%s\n' '[req]' 'distinguished_name=dn' '[dn]' '[v3]' \
            'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,keyCertSign,cRLSign' \
            'subjectKeyIdentifier=hash') -extensions v3 -out demo-root.crt.new
    chmod 644 demo-root.crt.new
    mv demo-root.crt.new demo-root.crt
    rm -f demo-signer.crt
fi
if [ ! -s demo-signer.crt ]; then
    key demo-signer
    openssl req -new -utf8 -key demo-signer.key -passin "file:$pass" -sha256 \
        -subj "/C=CN/O=$O/CN=免费体验签章人" -out demo-signer.csr
    printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
        'keyUsage=critical,digitalSignature,nonRepudiation' \
        'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' >.ext
    openssl x509 -req -in demo-signer.csr -CA demo-root.crt -CAkey demo-root.key \
        -passin "file:$pass" -sha256 -days 1825 -set_serial "$(serial)" -extfile .ext \
        -out demo-signer.crt.new 2>/dev/null
    rm -f demo-signer.csr .ext
    chmod 644 demo-signer.crt.new
    mv demo-signer.crt.new demo-signer.crt
fi
for k in demo-root demo-signer; do key "$k"; done
chmod 600 ./*.key
