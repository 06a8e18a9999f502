#!/usr/bin/env bash
# tests/fuzz/pki/make.sh: the fuzz targets' fixed hierarchy, made once and
# committed (the stamped seeds in tests/fuzz/corpus/ chain to it, so it may
# not change without `script/fuzz --seeds`).  TEST KEYS ONLY, in clear: no
# hall trusts them.  Ten years from when it was made; the targets verify
# at a fixed clock (tests/fuzz/fuzz_stamp.c, FUZZ_NOW), never today's.
#
#   root, ca, signer (P-256): the hall's ECDSA root, issuing CA and a
#   stamp's signer; tsa: its TSA (under root); sm2-root, sm2, seal-maker:
#   the SM2 hierarchy and the seal maker (pki-init.sh's names, what
#   hall_seseal_load reads); sm2s: an SM2 signer under sm2.
set -euo pipefail
cd "$(dirname "$0")"
I=distid:1234567812345678
k() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"; }
ext() { printf '%s\n' "$@" >.ext; }
ca_ext() { ext 'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,keyCertSign,cRLSign' \
    'subjectKeyIdentifier=hash'; }
# s NAME CN ISSUER SERIAL: NAME.crt signed by ISSUER with .ext
s() {
    openssl req -new -key "$1.key" -subj "/C=CN/CN=$2" 2>/dev/null |
        openssl x509 -req -CA "$3.crt" -CAkey "$3.key" -set_serial "$4" -days 3650 \
            -extfile .ext -out "$1.crt" 2>/dev/null
}
for n in root ca signer tsa; do k "$n"; done
ca_ext
openssl req -x509 -new -key root.key -subj '/C=CN/CN=Fuzz Test Root' -days 3650 -set_serial 1 \
    -config <(printf '%s\n' '[req]' 'distinguished_name=dn' '[dn]' '[v3]' && cat .ext) \
    -extensions v3 -out root.crt
s ca 'Fuzz Test CA' root 2
ext 'keyUsage=critical,digitalSignature,nonRepudiation'
s signer '深圳市模糊测试有限公司' ca 3
ext 'extendedKeyUsage=critical,timeStamping' 'keyUsage=critical,digitalSignature'
s tsa 'Fuzz Test TSA' root 4
# the SM2 hierarchy (SM3withSM2, the GM/T 0009 signer ID)
for n in sm2-root sm2 seal-maker sm2s; do openssl genpkey -algorithm SM2 -out "$n.key"; done
ca_ext
openssl req -x509 -new -key sm2-root.key -sm3 -sigopt "$I" -days 3650 -set_serial 5 \
    -subj '/C=CN/CN=Fuzz Test SM2 Root' \
    -config <(printf '%s\n' '[req]' 'distinguished_name=dn' '[dn]' '[v3]' && cat .ext) \
    -extensions v3 -out sm2-root.crt
# t NAME CN ISSUER SERIAL: as s, SM2
t() {
    openssl req -new -key "$1.key" -sm3 -sigopt "$I" -subj "/C=CN/CN=$2" -out .csr
    openssl x509 -req -in .csr -vfyopt "$I" -CA "$3.crt" -CAkey "$3.key" -sm3 -sigopt "$I" \
        -days 3650 -set_serial "$4" -extfile .ext -out "$1.crt" 2>/dev/null
    rm -f .csr
}
t sm2 'Fuzz Test SM2 CA' sm2-root 6
ext 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,nonRepudiation'
t seal-maker 'Fuzz Test Seal Maker' sm2 7
t sm2s 'Fuzz Test SM2 Signer' sm2 8
# the keys nothing signs with again
rm -f .ext ./*.srl root.key sm2-root.key sm2.key
