#!/usr/bin/env bash
# script/lib/keyenc.sh PASSFILE KEY...: each private key file KEY encrypted
# at rest with the passphrase in PASSFILE: PKCS#8, AES-256-CBC, its key
# derived by PBKDF2-HMAC-SHA256 with 600,000 iterations (OWASP's figure for
# PBKDF2-SHA256; OpenSSL's own default is 2,048).  A key in clear, or
# encrypted with fewer iterations or another derivation, is encrypted anew
# in place (the same key, 0600); one already so is left alone.  The hall
# reads them with the same passphrase (hall.conf's pki_pass_file).
# Called by pki-init.sh (the SM2 keys) and paykeys.sh (the merchants' keys).
set -euo pipefail

pass=${1:?usage: keyenc.sh PASSFILE KEY...}
shift
ITER=600000
umask 077

# iter FILE: the PBKDF2 iterations of an encrypted PKCS#8 FILE, 0 otherwise
iter() {
    local hex
    grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$1" || {
        echo 0
        return
    }
    hex=$(openssl asn1parse -in "$1" 2>/dev/null |
        awk '/:PBKDF2$/ { p = 1; next } p && / INTEGER / { sub(/.*:/, ""); print; exit }')
    if [ -n "$hex" ] && openssl asn1parse -in "$1" 2>/dev/null | grep -q ':hmacWithSHA256$'; then
        echo $((16#$hex))
    else
        echo 0
    fi
}

# openssl reads the first line of a file: for -passin and the second for
# -passout when both name the same file; the environment has no such rule
HALL_KEYENC_PASS=$(head -n 1 "$pass")
export HALL_KEYENC_PASS
for key in "$@"; do
    [ -s "$key" ] || continue
    [ "$(iter "$key")" -ge "$ITER" ] && continue
    if grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$key"; then
        in=(-passin env:HALL_KEYENC_PASS)
    else
        in=()
    fi
    openssl pkcs8 -topk8 -in "$key" "${in[@]}" -v2 aes-256-cbc -v2prf hmacWithSHA256 \
        -iter "$ITER" -passout env:HALL_KEYENC_PASS -out "$key.new"
    chmod 600 "$key.new"
    mv "$key.new" "$key"
done
