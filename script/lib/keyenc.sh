#!/usr/bin/env bash
# script/lib/keyenc.sh PASSFILE KEY...: each key file KEY encrypted at rest
# with the passphrase in PASSFILE, its key derived by PBKDF2-HMAC-SHA256 with
# 600,000 iterations (OWASP's figure for PBKDF2-SHA256; OpenSSL's own
# default is 2,048), AES-256-CBC:
#
#   a private key (a PEM file): PKCS#8 "ENCRYPTED PRIVATE KEY";
#   a secret (any other file, such as WeChat Pay's apiv3.key: one line, its
#   trailing white space not part of it): one line
#       aes-256-cbc:pbkdf2-sha256:ITERATIONS:BASE64
#   where BASE64 is what `openssl enc -aes-256-cbc -pbkdf2 -md sha256 -a -A`
#   writes ("Salted__", 8 bytes of salt, the ciphertext).
#
# A key in clear, or encrypted with fewer iterations or another derivation,
# is encrypted anew in place (the same key, 0600); one already so is left
# alone.  The hall reads them with the same passphrase (hall.conf's
# pki_pass_file): hall_pkey_load_encrypted and hall_secret_load_encrypted.
# Called by pki-init.sh (the SM2 keys) and paykeys.sh (the merchants' keys).
#
# script/lib/keyenc.sh --open PASSFILE SECRET: the secret in clear on
# standard output (encrypted or not), for the sandbox's copy and operators.
set -euo pipefail

open=0
if [ "${1:-}" = --open ]; then
    open=1
    shift
fi
pass=${1:?usage: keyenc.sh [--open] PASSFILE KEY...}
shift
ITER=600000
PREFIX=aes-256-cbc:pbkdf2-sha256
umask 077

# iter FILE: the PBKDF2-HMAC-SHA256 iterations of an encrypted FILE, 0 otherwise
iter() {
    local hex line
    if ! grep -q -- '-----BEGIN ' "$1"; then
        IFS= read -r line <"$1" || true
        if [[ $line =~ ^$PREFIX:([0-9]{1,9}):[A-Za-z0-9+/=]+$ ]]; then
            echo "${BASH_REMATCH[1]}"
        else
            echo 0
        fi
        return
    fi
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

# secret FILE: a secret file's clear text on standard output (no newline)
secret() {
    local n s
    n=$(iter "$1")
    if [ "$n" -gt 0 ]; then
        cut -d: -f4 "$1" | openssl enc -d -aes-256-cbc -pbkdf2 -md sha256 -iter "$n" -a -A \
            -pass env:HALL_KEYENC_PASS
    else
        # $(<) drops the trailing newlines; printf is the shell's own: the
        # secret is in no command line
        s=$(<"$1")
        printf '%s' "${s%"${s##*[![:space:]]}"}"
    fi
}

# openssl reads the first line of a file: for -passin and the second for
# -passout when both name the same file; the environment has no such rule
HALL_KEYENC_PASS=$(head -n 1 "$pass")
export HALL_KEYENC_PASS
if [ "$open" = 1 ]; then
    secret "${1:?usage: keyenc.sh --open PASSFILE SECRET}"
    exit
fi
for key in "$@"; do
    [ -s "$key" ] || continue
    [ "$(iter "$key")" -ge "$ITER" ] && continue
    if ! grep -q -- '-----BEGIN ' "$key"; then
        # one line of printable ASCII: what the hall's reader takes for the
        # secret opened (CBC has no integrity of its own)
        s=$(secret "$key")
        if [ -z "$s" ] || [[ $s == *$'\n'* ]] ||
            [ -n "$(printf '%s' "$s" | LC_ALL=C tr -d '\t\040-\176')" ]; then
            echo "keyenc.sh: $key: a secret is one line of printable ASCII" >&2
            exit 1
        fi
        b64=$(printf '%s' "$s" | openssl enc -aes-256-cbc -pbkdf2 -md sha256 -iter "$ITER" -salt \
            -a -A -pass env:HALL_KEYENC_PASS)
        s=
        [ -n "$b64" ] || {
            echo "keyenc.sh: cannot encrypt $key" >&2
            exit 1
        }
        printf '%s:%s:%s\n' "$PREFIX" "$ITER" "$b64" >"$key.new"
    elif grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$key"; then
        openssl pkcs8 -topk8 -in "$key" -passin env:HALL_KEYENC_PASS -v2 aes-256-cbc \
            -v2prf hmacWithSHA256 -iter "$ITER" -passout env:HALL_KEYENC_PASS -out "$key.new"
    else
        openssl pkcs8 -topk8 -in "$key" -v2 aes-256-cbc -v2prf hmacWithSHA256 \
            -iter "$ITER" -passout env:HALL_KEYENC_PASS -out "$key.new"
    fi
    chmod 600 "$key.new"
    mv "$key.new" "$key"
done
