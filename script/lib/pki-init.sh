#!/usr/bin/env bash
# script/lib/pki-init.sh DIR: the hall's CA hierarchy under DIR (var/keys/pki),
# created once and never replaced (idempotent: an existing file is kept).
#
#   root.key  root.crt             the root CA, ECDSA P-256, 20 years
#   ecc.key   ecc.crt              issuing CA "ecc" (ecdsa-with-SHA256), 10 years
#   sm2.key   sm2.crt              issuing CA "sm2" (SM2 key; certificates,
#                                  CRLs and OCSP answers it signs are
#                                  SM3withSM2 with the signer ID 1234567812345678)
#   ecc-ocsp.key ecc-ocsp.crt      delegated OCSP signers (id-kp-OCSPSigning,
#   sm2-ocsp.key sm2-ocsp.crt      id-pkix-ocsp-nocheck), 2 years, one per CA
#   seal-maker.key seal-maker.crt  the seal maker (SM2, signed by sm2, 5 years):
#                                  signs the GB/T 38540 SESeal of each approved
#                                  electronic seal (core/pki/seseal.c)
#   audit.key audit.crt            the audit key (ECDSA P-256, signed by root,
#                                  10 years): signs the audit log's daily
#                                  seals (docs/internals/audit-chain.md)
#
# Keys are 0600 in a 0700 directory.  The root key is needed only here:
# in production it is moved offline after set-up (docs/operations.md).
# Called by setup_var (script/lib/common.sh) for script/server and script/test.
set -euo pipefail

dir=${1:?usage: pki-init.sh DIR}
umask 077
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
SM2ID=1234567812345678
O="Hall Demo CA"

ext() {
    # ext NAME: an extension file for openssl x509 -extfile
    case $1 in
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
    audit)
        printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
            'keyUsage=critical,digitalSignature,nonRepudiation' \
            'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid'
        ;;
    sealmaker)
        printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
            'keyUsage=critical,digitalSignature,nonRepudiation' \
            'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid'
        ;;
    esac >"$dir/.ext"
}

serial() { echo "0x$(openssl rand -hex 8)"; }

# key NAME ALG: a private key, unless there is one
key() {
    [ -s "$1.key" ] && return 0
    if [ "$2" = sm2 ]; then
        openssl genpkey -algorithm SM2 -out "$1.key.new"
    else
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
            -pkeyopt ec_param_enc:named_curve -out "$1.key.new"
    fi
    chmod 600 "$1.key.new"
    mv "$1.key.new" "$1.key"
}

# issue NAME ALG CN ISSUER ISSUER_ALG DAYS EXT
issue() {
    local name=$1 alg=$2 cn=$3 issuer=$4 ialg=$5 days=$6 kind=$7
    local reqopt=(-sha256) signopt=(-sha256) vfy=()
    [ -s "$name.crt" ] && return 0
    key "$name" "$alg"
    if [ "$alg" = sm2 ]; then
        reqopt=(-sm3 -sigopt "distid:$SM2ID")
        vfy=(-vfyopt "distid:$SM2ID")
    fi
    if [ "$ialg" = sm2 ]; then
        signopt=(-sm3 -sigopt "distid:$SM2ID")
    fi
    openssl req -new -key "$name.key" "${reqopt[@]}" -subj "/C=CN/O=$O/CN=$cn" -out "$name.csr"
    ext "$kind"
    openssl x509 -req -in "$name.csr" "${vfy[@]}" -CA "$issuer.crt" -CAkey "$issuer.key" \
        "${signopt[@]}" -days "$days" -set_serial "$(serial)" -extfile .ext \
        -out "$name.crt.new" 2>/dev/null
    rm -f "$name.csr" .ext
    chmod 644 "$name.crt.new"
    mv "$name.crt.new" "$name.crt"
}

if [ ! -s root.crt ]; then
    key root ecdsa
    openssl req -x509 -new -key root.key -sha256 -days 7300 -set_serial "$(serial)" \
        -subj "/C=CN/O=$O/CN=Hall Demo Root CA" \
        -addext 'basicConstraints=critical,CA:TRUE' \
        -addext 'keyUsage=critical,keyCertSign,cRLSign' -out root.crt.new
    chmod 644 root.crt.new
    mv root.crt.new root.crt
fi
issue ecc ecdsa "Hall Demo ECC CA" root ecdsa 3650 ca
issue sm2 sm2 "Hall Demo SM2 CA" root ecdsa 3650 ca
issue ecc-ocsp ecdsa "Hall Demo ECC CA OCSP Responder" ecc ecdsa 730 ocsp
issue sm2-ocsp sm2 "Hall Demo SM2 CA OCSP Responder" sm2 sm2 730 ocsp
issue seal-maker sm2 "Hall Demo Seal Maker" sm2 sm2 1825 sealmaker
issue audit ecdsa "Hall Demo Audit Log Signer" root ecdsa 3650 audit
chmod 600 ./*.key
