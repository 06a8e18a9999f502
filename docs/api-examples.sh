#!/usr/bin/env bash
#
# docs/api-examples.sh: the curl examples of docs/api.md, run in the order
# the page gives them, against a running hall.  Every example's HTTP status
# and answer are checked; the first one that differs stops the script with
# exit status 1.  Last line: "N examples passed".
#
#   docs/api-examples.sh                 # script/server on 8080 / 8091
#   HALL_URL=http://127.0.0.1:38080 HALL_SANDBOX_URL=http://127.0.0.1:38091 \
#       docs/api-examples.sh
#
# It covers the walkthrough of docs/api.md (new, pay, finauth, center,
# admin, the signed partner link); the account module is used only as far
# as the walkthrough needs it (registration, SMS login).  Each run
# registers fresh phone numbers, so it can run any number of times.
#
# Needs curl, openssl, node (script/partner-link) and the hall's var
# directory, for the sandbox gateway's WeChat Pay key (its notifications are
# signed as WeChat Pay signs them): HALL_VAR, default
# var/ of this repository (what script/server uses).
set -uo pipefail

H=${HALL_URL:-http://127.0.0.1:8080}
B=${HALL_SANDBOX_URL:-http://127.0.0.1:8091}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
HALL_VAR=${HALL_VAR:-$ROOT/var}

D=$(mktemp -d "${TMPDIR:-/tmp}/hall-api-examples.XXXXXX")
trap 'rm -rf "$D"' EXIT
J=$D/applicant.jar

N=0
OUT=
LOC=

# (grep reads all its input, never -q: with pipefail, a grep that stops at
# the first match can make the writer die of SIGPIPE and a match look like a
# failure, as it did once on a slow machine.)
#
# ex STATUS REGEX curl ARGS...: run one example; check its HTTP status and
# that its body (followed by a line "location: URL" for redirects) matches
# the extended REGEX ('' checks the status only).  The body is left in OUT,
# the redirect target in LOC.
# (grep reads all its input: with pipefail, "grep -q" could end the pipe while
# printf still writes, and SIGPIPE would fail an example that matched)
ex() {
    local want=$1 re=$2 meta code
    shift 3 # "curl"
    N=$((N + 1))
    meta=$(curl -o "$D/out" -w '%{http_code} %{redirect_url}' "$@") || meta="000 "
    code=${meta%% *}
    LOC=${meta#* }
    OUT=$(cat "$D/out" 2>/dev/null)
    if [ "$code" != "$want" ] ||
        { [ -n "$re" ] && ! printf '%s\nlocation: %s\n' "$OUT" "$LOC" | grep -E -- "$re" >/dev/null; }; then
        printf 'FAIL: example %d (line %d): want %s matching /%s/\n' "$N" "${BASH_LINENO[0]}" \
            "$want" "$re" >&2
        printf '      got %s %s\n      %.600s\n' "$code" "$LOC" "$OUT" >&2
        exit 1
    fi
}

# wait_for WHAT REGEX CMD...: run CMD every 0.2 s until its output matches
# (the outbox worker and the sandbox's callback are asynchronous)
wait_for() {
    local what=$1 re=$2 i
    shift 2
    for ((i = 0; i < 100; i++)); do
        if "$@" 2>/dev/null | grep -E -- "$re" >/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    printf 'FAIL: %s did not happen within 20 s\n' "$what" >&2
    exit 1
}

die() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------- setup

curl -s -o /dev/null "$H/healthz" || die "no hall at $H (HALL_URL)"
curl -s -o /dev/null "$B/sandbox/health" || die "no sandbox at $B (HALL_SANDBOX_URL)"
[ -r "$HALL_VAR/keys/sandbox/wechatpay_key.pem" ] ||
    die "cannot read $HALL_VAR/keys/sandbox/wechatpay_key.pem (HALL_VAR)"

token() { # token JAR URL: fetch a page with that cookie jar, print its CSRF token
    curl -s -c "$1" -b "$1" "$2" | sed -n 's/.*<meta name="csrf-token" content="\([^"]*\)".*/\1/p'
}
totp() { # totp LOGIN: a TOTP code of a demo staff account not used yet (hall-staff totp)
    "$ROOT/tools/staff/hall-staff" -c "${HALL_CONF:-$HALL_VAR/hall.conf}" totp "$1"
}
totp_of() { # totp_of SECRET: the current code of a base32 secret (RFC 6238; oathtool --totp -b SECRET)
    node -e '
const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", key = [];
let bits = 0, buf = 0;
for (const ch of process.argv[1]) {
    buf = (buf << 5) | abc.indexOf(ch);
    bits += 5;
    if (bits >= 8) { key.push((buf >> (bits - 8)) & 255); bits -= 8; }
}
const msg = Buffer.alloc(8);
msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
const mac = require("crypto").createHmac("sha1", Buffer.from(key)).update(msg).digest();
console.log(String((mac.readUInt32BE(mac[19] & 15) & 0x7fffffff) % 1000000).padStart(6, "0"));' "$1"
}
code_of() { # code_of PHONE: the newest SMS code the sandbox delivered to PHONE
    curl -s "$B/sandbox/sms?phone=$1&limit=1" | grep -o '验证码是[0-9]*' | grep -o '[0-9]*$'
}
fresh_phone() { # fresh_phone PREFIX: a mobile number not used before, never ending in 0000
    printf '%s%s%04d' "$1" "$(date +%s | cut -c7-10)" $((RANDOM % 9000 + 1000))
}

P=$(fresh_phone 139)
P2=$(fresh_phone 137)
[ "$P" != "$P2" ] || die "phone numbers collide"

# sample files: the hall decides the type by the first bytes, not the name
printf '%%PDF-1.4\n%% 申请表扫描件 (demo)\n' >"$D/application.pdf"
printf '\xff\xd8\xff\xe0 license scan (demo)' >"$D/license.jpg"
printf 'GIF89a agent ID card scan (demo)' >"$D/agent_id.gif"
printf 'MZ\x90\x00 not an image' >"$D/evil.pdf"
printf '\x89PNG\r\n\x1a\n transfer voucher (demo)' >"$D/voucher.png"
# ID card photos for the sandbox OCR: the marker after the image bytes
{ printf '\xff\xd8\xff\xe0'; printf 'SANDBOX-ID:李四|412723199010050012\n'; } >"$D/front.jpg"
{ printf '\xff\xd8\xff\xe0'; printf 'SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期\n'; } >"$D/back.jpg"
{ printf '\xff\xd8\xff\xe0'; printf 'SANDBOX-ID:张三|360426199101010071\n'; } >"$D/other.jpg"
printf '\x00\x00\x00\x18ftypmp42 liveness video (demo)' >"$D/face.mp4"
printf 'SANDBOX-LIVENESS:FAIL' >"$D/fail.mp4"

# ---------------------------------------------------------------- register

T=$(token "$J" "$H/register")
[ ${#T} -eq 43 ] || die "no CSRF token on $H/register"
ex 200 '"ok":true' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d phone="$P" -d purpose=register "$H/sms/send"
SMS_AT=$(date +%s) # the phone's last code: the next one (证书解锁) waits for its interval
wait_for "the registration SMS" '^[0-9]{6}$' code_of "$P"
CODE=$(code_of "$P")
ex 200 '"redirect":"\\/"' curl -s -c "$J" -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d phone="$P" -d code="$CODE" -d password=Demo2026pass -d password2=Demo2026pass "$H/register"
ex 403 '页面已过期' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall "$H/new/agree"
T=$(token "$J" "$H/new")
[ ${#T} -eq 43 ] || die "no CSRF token on $H/new"
ex 200 'id="nav-who">欢迎您！[0-9]{3}\*{4}[0-9]{4}<' curl -s -b "$J" "$H/"
ex 200 'id="hotline"><a href="tel:4001123838">400-112-3838' curl -s "$H/faq"
ex 200 '（邮费到付）' curl -s "$H/jieyang/faq"
ex 200 '<a href="/hunan/">进入湖南公共资源办理</a>' curl -s "$H/partners"
ex 200 'id="finauth-empty"' curl -s -b "$J" "$H/finauth"

# ---------------------------------------------------------------- new: project, agreements

ex 200 'href="/new\?project=jieyang"' curl -s -b "$J" "$H/new"
ex 401 '请先登录' curl -s -H 'Accept: application/json' "$H/new"
ex 200 'name="agree2"' curl -s -b "$J" "$H/new?project=hall"
ex 404 '项目不存在' curl -s -b "$J" -H 'Accept: application/json' "$H/new?project=nowhere"
# a flow the partner does not sell: the refusal first (GET / and partner homes)
ex 404 '该项目暂不办理电子签章申请业务' curl -s -H 'Accept: application/json' "$H/hunan/seal/product"
ex 200 'id="biz-reissue"' curl -s -b "$J" "$H/hunan/"
ex 400 '"field":"agree2"' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d agree1=on "$H/new/agree"
ex 200 'apply\?project=hall' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d agree1=on -d agree2=on "$H/new/agree"

# ---------------------------------------------------------------- new: lookups

ex 200 '"code":"440000","name":"广东省"' curl -s -b "$J" -H 'Accept: application/json' "$H/new/divisions"
ex 200 '"code":"440305","name":"南山区"' curl -s -b "$J" -H 'Accept: application/json' "$H/new/divisions?parent=440300"
ex 200 '"id":"63","name":"招商银行深圳南山支行","bank_id":"7","bank":"招商银行"' curl -s -b "$J" \
    -H 'Accept: application/json' -G --data-urlencode q=招商银行深圳 "$H/new/banks"
ex 200 '^\{"ok":true,"items":\[\{"id":"[0-9]+","name":"中国建设银行深圳南山支行","bank_id":"4","bank":"中国建设银行","city":"深圳","cnaps":null\}\]\}' \
    curl -s -b "$J" -H 'Accept: application/json' -G --data-urlencode q=南山 \
    --data-urlencode bank=建设银行 "$H/new/banks"

# ---------------------------------------------------------------- new: apply

# 建筑工务署: 是否办理电子签章, its own step before the form (seed 003)
ex 200 '"redirect":"\\/szjsgws\\/new\\/seal\?project=szjsgws"' curl -s -b "$J" -H "X-CSRF-Token: $T" \
    -H 'Accept: application/json' -d project=szjsgws -d agree1=on -d agree2=on "$H/szjsgws/new/agree"
ex 200 '<option value="yes" selected>是' curl -s -b "$J" "$H/szjsgws/new/seal?project=szjsgws"
ex 200 '"redirect":"\\/szjsgws\\/new\\/apply\?project=szjsgws"' curl -s -b "$J" -H "X-CSRF-Token: $T" \
    -H 'Accept: application/json' -d project=szjsgws -d seal=no "$H/szjsgws/new/seal"
ex 200 'data-fen="48000"' curl -s -b "$J" "$H/szjsgws/new/apply?project=szjsgws"

ex 200 'name="org_name"' curl -s -b "$J" "$H/new/apply?project=hall"

ORG=(-d cert_type=org -d years=1
    --data-urlencode org_name=深圳示例科技有限公司 -d org_id=91110000600037341L
    -d unit_province=440000 -d unit_city=440300 --data-urlencode unit_address=南山区科技园1号
    --data-urlencode legal_name=张三 -d legal_ric=360426199101010071 -d legal_mobile=13800138000
    --data-urlencode agent_name=李四 -d agent_ric=412723199010050012 -d agent_mobile="$P"
    -d agent_email=agent@example.com --data-urlencode agent_title=行政专员
    --data-urlencode bank_account_name=深圳示例科技有限公司 -d bank_branch_id=63
    --data-urlencode 'bank_account=4000 0210 0910 0123 456'
    -d mail_province=440000 -d mail_city=440300 -d mail_district=440305 -d mail_town=440305001
    --data-urlencode mail_address=科技园1号 -d mail_postcode=518057
    --data-urlencode mail_receiver=李四 -d mail_mobile="$P" -d shipping=prepaid
    -d invoice=yes -d invoice_title_type=org --data-urlencode invoice_title=深圳示例科技有限公司
    -d invoice_taxid=91110000600037341L)

ex 400 '"field":"org_id"' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d org_id=91110000600037341X "${ORG[@]}" "$H/new/apply"
K=example-$(date +%s%N)
ex 200 'print\?id=[0-9]+' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d submit_key="$K" "${ORG[@]}" "$H/new/apply"
ID=$(printf '%s' "$OUT" | grep -oE 'print\?id=[0-9]+' | grep -oE '[0-9]+$')
ex 200 "print\\?id=$ID\"" curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d submit_key="$K" "${ORG[@]}" "$H/new/apply"

# ---------------------------------------------------------------- new: print, upload

ex 200 '申请表' curl -s -b "$J" "$H/new/print?id=$ID"
NO=$(printf '%s' "$OUT" | grep -o 'id="order-no">[^<]*' | cut -d'>' -f2)
ex 303 "location: .*/new/print\\?id=$ID" curl -s -b "$J" -H 'Accept: text/html' "$H/new/upload?id=$ID"
ex 200 "upload\\?id=$ID" curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID" "$H/new/printed"
ex 200 'name="kind" value="agent_id"' curl -s -b "$J" "$H/new/upload?id=$ID"
ex 200 '"kind":"application","mime":"application\\/pdf"' curl -s -b "$J" -H "X-CSRF-Token: $T" \
    -H 'Accept: application/json' -F id="$ID" -F kind=application -F file=@"$D/application.pdf" "$H/new/upload"
FILE_ID=$(printf '%s' "$OUT" | grep -o '"file_id":"[0-9]*"' | grep -o '[0-9]*')
ex 200 '"mime":"image\\/jpeg"' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -F id="$ID" -F kind=license -F file=@"$D/license.jpg" "$H/new/upload"
ex 400 '仅支持jpg、jpeg、bmp、gif、pdf格式的文件' curl -s -b "$J" -H "X-CSRF-Token: $T" \
    -H 'Accept: application/json' -F id="$ID" -F kind=agent_id -F file=@"$D/evil.pdf" "$H/new/upload"
ex 400 '"field":"agent_id"' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID" "$H/new/uploaded"
ex 200 '"mime":"image\\/gif"' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -F id="$ID" -F kind=agent_id -F file=@"$D/agent_id.gif" "$H/new/upload"
ex 200 '' curl -s -b "$J" "$H/new/file?id=$FILE_ID"
cmp -s "$D/out" "$D/application.pdf" || die "GET /new/file: not the uploaded bytes"
ex 200 "identity\\?id=$ID" curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID" "$H/new/uploaded"

# ---------------------------------------------------------------- new: identity (PC and phone)

ex 200 '/new/m/verify\?t=' curl -s -b "$J" "$H/new/identity?id=$ID"
M=$(printf '%s' "$OUT" | grep -o 'http[^"]*/new/m/verify?t=[^"]*' | head -n 1)
TK=${M#*t=}
ex 200 '"status":"pending"' curl -s -b "$J" -H 'Accept: application/json' "$H/new/identity/status?id=$ID"
JP=$D/phone.jar
PT=$(token "$JP" "$M")
[ ${#PT} -eq 43 ] || die "no CSRF token on the phone page"
ex 200 '认证人：李\*\*' curl -s -b "$JP" "$M"
ex 400 '身份证姓名与经办人姓名不一致' curl -s -b "$JP" -H "X-CSRF-Token: $PT" -H 'Accept: application/json' \
    -F t="$TK" -F front=@"$D/other.jpg" -F back=@"$D/back.jpg" "$H/new/m/ocr"
ex 409 '请先完成身份证识别' curl -s -b "$JP" -H "X-CSRF-Token: $PT" -H 'Accept: application/json' \
    -F t="$TK" -F media=@"$D/face.mp4" "$H/new/m/liveness"
ex 200 '"redirect":"\\/new\\/m\\/verify' curl -s -b "$JP" -H "X-CSRF-Token: $PT" -H 'Accept: application/json' \
    -F t="$TK" -F front=@"$D/front.jpg" -F back=@"$D/back.jpg" "$H/new/m/ocr"
ex 400 '活体认证未通过' curl -s -b "$JP" -H "X-CSRF-Token: $PT" -H 'Accept: application/json' \
    -F t="$TK" -F media=@"$D/fail.mp4" "$H/new/m/liveness"
ex 200 '"ok":true' curl -s -b "$JP" -H "X-CSRF-Token: $PT" -H 'Accept: application/json' \
    -F t="$TK" -F media=@"$D/face.mp4" "$H/new/m/liveness"
ex 200 '"status":"passed".*"next":"\\/pay\?id=' curl -s -b "$J" -H 'Accept: application/json' \
    "$H/new/identity/status?id=$ID"
ex 404 '认证链接无效' curl -s -H 'Accept: application/json' "$H/new/m/verify?t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

# ---------------------------------------------------------------- pay: corporate transfer

ex 200 'id="amount">493.00元' curl -s -b "$J" "$H/pay?id=$ID"
PK=$(printf '%s' "$OUT" | grep -o 'name="submit_key" value="[^"]*"' | cut -d'"' -f4)
[ -n "$PK" ] || die "GET /pay: no submit_key in the transfer form"
ex 200 "\"redirect\":\"\\\\/pay\\?id=$ID\"" curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -F id="$ID" -F submit_key="$PK" -F voucher=@"$D/voucher.png" "$H/pay/transfer"
ex 200 "\"redirect\":\"\\\\/pay\\?id=$ID\"" curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -F id="$ID" -F submit_key="$PK" -F voucher=@"$D/voucher.png" "$H/pay/transfer"
ex 409 '该业务单当前状态不能缴费' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -F id="$ID" -F voucher=@"$D/voucher.png" "$H/pay/transfer"
ex 200 '"status_code":"transfer_review"' curl -s -b "$J" -H 'Accept: application/json' "$H/center/orders"

# ---------------------------------------------------------------- admin: finance

SF=$D/finance.jar
ST=$(token "$SF" "$H/admin/login")
ex 400 '登录名或密码不正确' curl -s -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d login=finance -d password=wrong-password "$H/admin/login"
ex 200 '"redirect":"\\/admin\\/login\\/code\?next=%2Fadmin"' curl -s -c "$SF" -b "$SF" -H "X-CSRF-Token: $ST" \
    -H 'Accept: application/json' -d login=finance -d password=Finance2026demo "$H/admin/login"
grep -q 'hall_staff' "$SF" || die "no hall_staff cookie after the staff login"
ex 303 'location: .*/admin/login/code\?next=%2Fadmin$' curl -s -b "$SF" -H 'Accept: text/html' "$H/admin"
ex 401 '请先登录管理后台' curl -s -b "$SF" -H 'Accept: application/json' "$H/admin/finance"
ST=$(token "$SF" "$H/admin/login/code")
ex 400 '动态验证码不正确或已使用' curl -s -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d code=000000 "$H/admin/login/code"
ex 200 '"redirect":"\\/admin"' curl -s -c "$SF" -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d code="$(totp finance)" "$H/admin/login/code"
ex 200 '财务' curl -s -b "$SF" "$H/admin"
ST=$(token "$SF" "$H/admin")

# a member without a factor enrols, gets ten recovery codes, later uses one
SN=$D/new.jar
NEWSTAFF=enrol$(date +%s%N | tail -c 8)
# four eyes: asked by admin, approved by admin2 (each with their password
# and then their TOTP code on stdin, the new password after them)
OUT=$("$ROOT/tools/staff/hall-staff" -c "${HALL_CONF:-$HALL_VAR/hall.conf}" \
    add "$NEWSTAFF" report - as admin <<<"Admin2026demo"$'\n'"$(totp admin)"$'\n'"Enrol2026demo") ||
    die "hall-staff add $NEWSTAFF"
"$ROOT/tools/staff/hall-staff" -c "${HALL_CONF:-$HALL_VAR/hall.conf}" approve \
    "$(printf '%s' "$OUT" | sed -n 's/^request \([0-9]*\) pending.*/\1/p')" as admin2 \
    <<<"Admin2026demo2"$'\n'"$(totp admin2)" >/dev/null || die "hall-staff approve $NEWSTAFF"
NT=$(token "$SN" "$H/admin/login")
ex 200 '"redirect":"\\/admin\\/login\\/enrol\?next=%2Fadmin"' curl -s -c "$SN" -b "$SN" -H "X-CSRF-Token: $NT" \
    -H 'Accept: application/json' -d login="$NEWSTAFF" -d password=Enrol2026demo "$H/admin/login"
ex 200 'id="enrol-secret">[A-Z2-7 ]{39}<' curl -s -c "$SN" -b "$SN" "$H/admin/login/enrol"
SECRET=$(printf '%s' "$OUT" | sed -n 's/.*id="enrol-secret">\([A-Z2-7 ]*\)<.*/\1/p' | tr -d ' ')
NT=$(printf '%s' "$OUT" | sed -n 's/.*<meta name="csrf-token" content="\([^"]*\)".*/\1/p')
ex 200 '"redirect":"\\/admin","recovery_codes":\["[a-z2-9]{5}-[a-z2-9]{5}"' curl -s -c "$SN" -b "$SN" \
    -H "X-CSRF-Token: $NT" -H 'Accept: application/json' -d code="$(totp_of "$SECRET")" "$H/admin/login/enrol"
RECOVERY=$(printf '%s' "$OUT" | grep -o '"[a-z2-9]\{5\}-[a-z2-9]\{5\}"' | head -n 1 | tr -d '"')
SN2=$D/new2.jar
NT=$(token "$SN2" "$H/admin/login")
ex 200 '"redirect":"\\/admin\\/login\\/code\?next=%2Fadmin"' curl -s -c "$SN2" -b "$SN2" -H "X-CSRF-Token: $NT" \
    -H 'Accept: application/json' -d login="$NEWSTAFF" -d password=Enrol2026demo "$H/admin/login"
NT=$(token "$SN2" "$H/admin/login/code")
ex 200 '"message":"已使用一个恢复码，还剩 9 个"' curl -s -c "$SN2" -b "$SN2" -H "X-CSRF-Token: $NT" \
    -H 'Accept: application/json' -d code="$RECOVERY" "$H/admin/login/code"
ex 200 "\"id\":$ID,.*\"status\":\"transfer_review\"" curl -s -b "$SF" -H 'Accept: application/json' "$H/admin/finance?q=$NO"
ex 403 '没有执行此操作的权限' curl -s -b "$SF" -H 'Accept: application/json' "$H/admin/review"
ex 200 '"name":"agent_ric","label":"经办人身份证号码","value":"412723199010050012"' \
    curl -s -b "$SF" -H 'Accept: application/json' "$H/admin/order?id=$ID"
VOUCHER=$(printf '%s' "$OUT" | grep -o '"id":[0-9]*,"kind":"transfer_voucher"' | grep -o '[0-9]*')
ex 200 '' curl -s -b "$SF" "$H/admin/file?id=$VOUCHER"
cmp -s "$D/out" "$D/voucher.png" || die "GET /admin/file: not the uploaded voucher"
ex 403 '页面已过期' curl -s -b "$SF" -H 'Accept: application/json' -d id="$ID" "$H/admin/transfer/confirm"
ex 200 '已退回，业务单回到待支付' curl -s -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d id="$ID" --data-urlencode reason=未查到到账记录 "$H/admin/transfer/refuse"
ex 200 '"ok":true' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -F id="$ID" -F voucher=@"$D/voucher.png" "$H/pay/transfer"
ex 200 '已确认到账，业务单进入审核' curl -s -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d id="$ID" "$H/admin/transfer/confirm"
ex 409 '当前状态为“待审核”' curl -s -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d id="$ID" "$H/admin/transfer/confirm"

# ---------------------------------------------------------------- admin: review, reject, resubmit, approve

SR=$D/reviewer.jar
ST2=$(token "$SR" "$H/admin/login")
ex 200 '"redirect":"\\/admin\\/login\\/code\?next=%2Fadmin%2Freview"' curl -s -c "$SR" -b "$SR" -H "X-CSRF-Token: $ST2" \
    -H 'Accept: application/json' -d login=reviewer -d password=Reviewer2026demo -d next=/admin/review "$H/admin/login"
ST2=$(token "$SR" "$H/admin/login/code")
ex 200 '"redirect":"\\/admin\\/review"' curl -s -c "$SR" -b "$SR" -H "X-CSRF-Token: $ST2" \
    -H 'Accept: application/json' -d code="$(totp reviewer)" -d next=/admin/review "$H/admin/login/code"
ST2=$(token "$SR" "$H/admin/review")
ex 200 "\"id\":$ID,.*\"status\":\"review\"" curl -s -b "$SR" -H 'Accept: application/json' "$H/admin/review?q=$NO"
ex 400 '请填写驳回原因' curl -s -b "$SR" -H "X-CSRF-Token: $ST2" -H 'Accept: application/json' \
    -d id="$ID" "$H/admin/order/reject"
ex 200 '已审核驳回' curl -s -b "$SR" -H "X-CSRF-Token: $ST2" -H 'Accept: application/json' \
    -d id="$ID" --data-urlencode reason=单位地址与营业执照不一致 "$H/admin/order/reject"
wait_for "the rejection SMS" '审核驳回。驳回原因：单位地址与营业执照不一致。' curl -s "$B/sandbox/sms?phone=$P&limit=3"
ex 200 '"status_code":"rejected".*"label":"编辑"' curl -s -b "$J" -H 'Accept: application/json' \
    "$H/center/orders?status=rejected"
ex 200 '单位地址与营业执照不一致' curl -s -b "$J" "$H/center/order?id=$ID"
ex 200 "print\\?id=$ID" curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID" --data-urlencode unit_address=南山区科技园2号 "${ORG[@]}" "$H/new/apply"
ex 200 "center\\\\/order\\?id=$ID" curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID" "$H/new/resubmit"
ex 200 '"before":"南山区科技园1号","after":"南山区科技园2号"' curl -s -b "$SR" -H 'Accept: application/json' \
    "$H/admin/order?id=$ID"
ex 200 '已审核通过' curl -s -b "$SR" -H "X-CSRF-Token: $ST2" -H 'Accept: application/json' \
    -d id="$ID" "$H/admin/order/approve"
wait_for "the acceptance SMS" '业务已经审核通过' curl -s "$B/sandbox/sms?phone=$P&limit=3"
ex 200 '"status":"成功受理"' curl -s -b "$J" -H 'Accept: application/json' "$H/center/orders?business=new"

# ---------------------------------------------------------------- pay online, callback, finauth

ex 200 'print\?id=[0-9]+' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d years=2 -d shipping=collect -d bank_account=4000021009100120000 "${ORG[@]}" \
    "$H/new/apply"
ID2=$(printf '%s' "$OUT" | grep -oE 'print\?id=[0-9]+' | grep -oE '[0-9]+$')
ex 200 '"ok":true' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' -d id="$ID2" "$H/new/printed"
for k in application:application.pdf license:license.jpg agent_id:agent_id.gif; do
    ex 200 '"ok":true' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
        -F id="$ID2" -F kind="${k%%:*}" -F file=@"$D/${k#*:}" "$H/new/upload"
done
ex 200 '"ok":true' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' -d id="$ID2" "$H/new/uploaded"
ex 200 '/new/m/verify\?t=' curl -s -b "$J" "$H/new/identity?id=$ID2"
M=$(printf '%s' "$OUT" | grep -o 'http[^"]*/new/m/verify?t=[^"]*' | head -n 1)
TK=${M#*t=}
PT=$(token "$JP" "$M")
ex 200 '"ok":true' curl -s -b "$JP" -H "X-CSRF-Token: $PT" -H 'Accept: application/json' \
    -F t="$TK" -F front=@"$D/front.jpg" -F back=@"$D/back.jpg" "$H/new/m/ocr"
ex 200 '"ok":true' curl -s -b "$JP" -H "X-CSRF-Token: $PT" -H 'Accept: application/json' \
    -F t="$TK" -F media=@"$D/face.mp4" "$H/new/m/liveness"

ex 400 '"field":"channel"' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID2" -d channel=paypal "$H/pay/online"
ex 200 '"redirect":"\\/pay\?id=[0-9]+&qr=wechat"' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID2" -d channel=wechat "$H/pay/online"
ex 200 'data-code-url="weixin://wxpay/bizpayurl\?pr=[0-9]+"' curl -s -b "$J" "$H/pay?id=$ID2&qr=wechat"
TN=$(printf '%s' "$OUT" | grep -oE 'bizpayurl\?pr=[0-9]+' | head -n 1 | cut -d= -f2)
ex 200 'id="amount">￥960.00' curl -s "$B/pay/page/$TN"
ex 200 '"status":"SUCCESS"' curl -s -X POST "$B/pay/page/$TN/confirm"
wait_for "the payment notification" '"state":"ACKED"' curl -s "$B/sandbox/pay/$TN"
ex 200 '"pending":false' curl -s -b "$J" -H 'Accept: application/json' "$H/pay/state?id=$ID2"

# WeChat Pay v3 notifications: signed by "WeChat Pay" (the sandbox's key) over
# "timestamp\nnonce\nbody\n"; one whose resource does not open with the APIv3
# key, one with another body's signature, one an hour old: all refused
OUT_NO=$(curl -s "$B/sandbox/pay/$TN" | grep -o '"out_trade_no":"[^"]*"' | cut -d'"' -f4)
WXKEY=$HALL_VAR/keys/sandbox/wechatpay_key.pem
WXSERIAL=PUB_KEY_ID_0119000000012026000000000001
body='{"id":"EV-1","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","resource":{"original_type":"transaction","algorithm":"AEAD_AES_256_GCM","ciphertext":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","associated_data":"transaction","nonce":"0123456789ab"}}'
wxsig() { printf '%s\n%s\n%s\n' "$1" "$2" "$3" | openssl dgst -sha256 -sign "$WXKEY" | openssl base64 -A; }
ts=$(date +%s)
sig=$(wxsig "$ts" n1 "$body")
ex 400 '"code":"FAIL"' curl -s -H 'Content-Type: application/json' -H "Wechatpay-Timestamp: $ts" \
    -H 'Wechatpay-Nonce: n1' -H "Wechatpay-Serial: $WXSERIAL" -H "Wechatpay-Signature: $sig" \
    --data-binary "$body" "$H/pay/notify/wechat"
ex 400 '签名验证失败' curl -s -H 'Content-Type: application/json' -H "Wechatpay-Timestamp: $ts" \
    -H 'Wechatpay-Nonce: n1' -H "Wechatpay-Serial: $WXSERIAL" -H "Wechatpay-Signature: $sig" \
    --data-binary "${body/EV-1/EV-2}" "$H/pay/notify/wechat"
old=$(($(date +%s) - 3600))
ex 400 '回调时间戳已过期' curl -s -H 'Content-Type: application/json' -H "Wechatpay-Timestamp: $old" \
    -H 'Wechatpay-Nonce: n2' -H "Wechatpay-Serial: $WXSERIAL" -H "Wechatpay-Signature: $(wxsig "$old" n2 "$body")" \
    --data-binary "$body" "$H/pay/notify/wechat"
ex 200 '"http_status":204,"acked":true' curl -s -X POST "$B/sandbox/pay/$TN/callback?times=3"
ex 200 '"http_status":400,"acked":false' curl -s -X POST "$B/sandbox/pay/$TN/callback?bad_signature=1"

wait_for "the failed micro-deposit" '"status_code":"finauth_failed"' \
    curl -s -b "$J" -H 'Accept: application/json' "$H/center/orders?order_no=${OUT_NO%-*}"
ex 200 '"status":"FAILED","reason":"户名与账号不符"' curl -s "$B/sandbox/bank/transfers?account_no=4000021009100120000&limit=1"
wait_for "the finauth SMS" '金融认证未通过' curl -s "$B/sandbox/sms?phone=$P&limit=5"
ex 200 '户名与账号不符' curl -s -b "$J" "$H/finauth?id=$ID2"
ex 409 '金融认证失败3次后方可选择法人认证' curl -s -b "$J" -H 'Accept: application/json' "$H/finauth/legal?id=$ID2"
ex 400 '基本户名称须与机构名称一致' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID2" --data-urlencode bank_account_name=另一家公司 -d bank_branch_id=61 \
    -d bank_account=4000021009100123457 "$H/finauth/retry"
ex 200 "finauth\\?id=$ID2" curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID2" --data-urlencode bank_account_name=深圳示例科技有限公司 \
    --data-urlencode bank_name=揭阳农商银行 --data-urlencode bank_branch_name=揭阳农村商业银行榕城支行 \
    --data-urlencode 'bank_account=4000 0210 0910 0123 457' "$H/finauth/retry"
wait_for "the second micro-deposit" '"status":"SUCCESS"' \
    curl -s "$B/sandbox/bank/transfers?account_no=4000021009100123457&limit=1"
wait_for "finauth_ok" '还可以输入5次' curl -s -b "$J" "$H/finauth?id=$ID2"
MEMO=$(curl -s "$B/sandbox/bank/transfers?account_no=4000021009100123457&limit=1" | grep -o '码: [0-9]*' | grep -o '[0-9]*$')
WRONG=$(printf '%06d' $(((10#$MEMO + 1) % 1000000)))
ex 400 '证书PIN码不正确，您还可以输入4次' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID2" -d code="$WRONG" "$H/finauth/code"
ex 200 "finauth\\?id=$ID2" curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID2" -d code="$MEMO" "$H/finauth/code"
ex 200 '待审核' curl -s -b "$J" "$H/finauth?id=$ID2"
ex 200 '"result":"verified","result_label":"认证成功".*"result":"failed","result_label":"打款失败"' \
    curl -s -b "$J" -H 'Accept: application/json' "$H/center/finauth"
ex 200 '退费申请已提交' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID2" --data-urlencode reason=项目取消，不再需要证书 "$H/center/refund"
ex 409 '不能申请退费' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID2" --data-urlencode reason=项目取消 "$H/center/refund"

# ---------------------------------------------------------------- admin: refunds

ex 200 '"kind":"request"' curl -s -b "$SF" -H 'Accept: application/json' "$H/admin/refunds"
RID=$(printf '%s' "$OUT" | grep -o '"id":[0-9]*,"kind":"request","kind_label":"申请退费","status":"requested"' |
    head -n 1 | cut -d, -f1 | cut -d: -f2)
ex 400 '"field":"reason"' curl -s -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d id="$RID" -d reason= "$H/admin/refund/refuse"
ex 200 '已同意退费' curl -s -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d id="$RID" "$H/admin/refund/approve"
ex 409 '不能执行此操作' curl -s -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d id="$RID" "$H/admin/refund/approve"
wait_for "the refund" '"status_code":"refunded"' \
    curl -s -b "$J" -H 'Accept: application/json' "$H/center/orders?order_no=${OUT_NO%-*}"
wait_for "the refund SMS" '退费申请已审核通过' curl -s "$B/sandbox/sms?phone=$P&limit=1"

# ---------------------------------------------------------------- a signed link from Hunan

J2=$D/hunan.jar
LINK=$("$ROOT/script/partner-link" --base "$H" --partner hunan --secret dev-only-hunan-link-secret-change-me \
    cert_type=person name=王五 ric=44011320141005001X mobile="$P2" email=wang@example.com) ||
    die "script/partner-link failed"
ex 403 '链接签名无效' curl -s -H 'Accept: application/json' "${LINK/mobile=$P2/mobile=13800138000}"
ex 303 'location: .*/hunan/login\?next=' curl -s -c "$J2" -b "$J2" "$LINK"
NEXT=$LOC
ex 403 '该链接已使用过' curl -s -H 'Accept: application/json' "$LINK"
T2=$(token "$J2" "$NEXT")
ex 200 '"ok":true' curl -s -b "$J2" -H "X-CSRF-Token: $T2" -H 'Accept: application/json' \
    -d phone="$P2" -d purpose=login "$H/hunan/sms/send"
wait_for "the login SMS" '^[0-9]{6}$' code_of "$P2"
TARGET=$(printf '%s' "${NEXT#*next=}" | sed 's/%2F/\//g; s/%3F/?/g; s/%3D/=/g; s/%26/\&/g')
ex 200 '"redirect":"\\/hunan\\/new\?project=hunan&link=' curl -s -c "$J2" -b "$J2" -H "X-CSRF-Token: $T2" \
    -H 'Accept: application/json' -d phone="$P2" -d code="$(code_of "$P2")" --data-urlencode "next=$TARGET" \
    "$H/hunan/login/sms"
TICKET=${TARGET##*link=}
T2=$(token "$J2" "$H$TARGET")
ex 200 "link=$TICKET" curl -s -b "$J2" -H "X-CSRF-Token: $T2" -H 'Accept: application/json' \
    -d agree1=on -d agree2=on -d link="$TICKET" "$H/hunan/new/agree"
ex 200 'value="44011320141005001X"' curl -s -b "$J2" "$H/hunan/new/apply?project=hunan&link=$TICKET"
ex 200 'print\?id=[0-9]+' curl -s -b "$J2" -H "X-CSRF-Token: $T2" -H 'Accept: application/json' \
    -d cert_type=person -d years=1 --data-urlencode app_name=王五 -d app_ric=44011320141005001X \
    -d app_mobile="$P2" -d app_email=wang@example.com \
    -d mail_province=430000 -d mail_city=430100 -d mail_district=430104 --data-urlencode mail_address=麓山南路1号 \
    --data-urlencode mail_receiver=王五 -d mail_mobile="$P2" -d shipping=collect \
    -d invoice=yes -d invoice_title_type=person --data-urlencode invoice_title=王五 "$H/hunan/new/apply"
ID3=${OUT//[^0-9]/}
NO3=$(curl -s -b "$J2" "$H/hunan/new/print?id=$ID3" | grep -o 'id="order-no">[^<]*' | cut -d'>' -f2)
ex 200 '"ok":true' curl -s -b "$J2" -H "X-CSRF-Token: $T2" -H 'Accept: application/json' -d id="$ID3" "$H/hunan/new/printed"
ex 200 'name="kind" value="seal_form"' curl -s -b "$J2" "$H/hunan/new/upload?id=$ID3"
printf '\xff\xd8\xff\xe0 applicant ID card scan (demo)' >"$D/applicant_id.jpg"
printf 'BM\x3e\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00 seal form (demo)' >"$D/seal_form.bmp"
for k in application:application.pdf applicant_id:applicant_id.jpg seal_form:seal_form.bmp; do
    ex 200 '"ok":true' curl -s -b "$J2" -H "X-CSRF-Token: $T2" -H 'Accept: application/json' \
        -F id="$ID3" -F kind="${k%%:*}" -F file=@"$D/${k#*:}" "$H/hunan/new/upload"
done
ex 200 '"ok":true' curl -s -b "$J2" -H "X-CSRF-Token: $T2" -H 'Accept: application/json' -d id="$ID3" "$H/hunan/new/uploaded"
ex 200 '/hunan/new/m/verify\?t=' curl -s -b "$J2" "$H/hunan/new/identity?id=$ID3"
M=$(printf '%s' "$OUT" | grep -o 'http[^"]*/new/m/verify?t=[^"]*' | head -n 1)
TK=${M#*t=}
JP2=$D/phone2.jar
PT=$(token "$JP2" "$M")
{ printf '\xff\xd8\xff\xe0'; printf 'SANDBOX-ID:王五|44011320141005001x\n'; } >"$D/front2.jpg"
ex 200 '"ok":true' curl -s -b "$JP2" -H "X-CSRF-Token: $PT" -H 'Accept: application/json' \
    -F t="$TK" -F front=@"$D/front2.jpg" -F back=@"$D/back.jpg" "$H/hunan/new/m/ocr"
ex 200 '"ok":true' curl -s -b "$JP2" -H "X-CSRF-Token: $PT" -H 'Accept: application/json' \
    -F t="$TK" -F media=@"$D/face.mp4" "$H/hunan/new/m/liveness"
ex 200 'id="amount">350.00元' curl -s -b "$J2" "$H/hunan/pay?id=$ID3"
ex 303 'location: http.*/gateway.do\?.*method=alipay.trade.page.pay' curl -s -b "$J2" -H 'Accept: text/html' \
    -d _csrf="$T2" -d id="$ID3" -d channel=alipay "$H/hunan/pay/online"
ex 303 'location: http.*/pay/page/[0-9]+' curl -s "$LOC"
TN3=${LOC##*/}
ex 200 '"status":"SUCCESS"' curl -s -X POST "$B/pay/page/$TN3/confirm"
wait_for "the Hunan payment" '"status_code":"review"' curl -s -b "$J2" -H 'Accept: application/json' "$H/hunan/center/orders"
ex 404 '业务单不存在' curl -s -b "$J2" -H 'Accept: application/json' "$H/pay?id=$ID"
ex 200 "\"id\":$ID3,.*\"partner\":\"hunan\"" curl -s -b "$SR" -H 'Accept: application/json' "$H/admin/review?q=$NO3"
ex 200 '已审核通过' curl -s -b "$SR" -H "X-CSRF-Token: $ST2" -H 'Accept: application/json' \
    -d id="$ID3" "$H/admin/order/approve"
wait_for "the Hunan acceptance SMS" '湖南省公共资源交易服务平台新申请业务已经审核通过' \
    curl -s "$B/sandbox/sms?phone=$P2&limit=3"

# ---------------------------------------------------------------- e-invoice, reports, finance tools

wait_for "the e-invoice" '"invoices":\[\{"invoice_no"' curl -s "$B/sandbox/invoices?order_no=$NO"
ex 200 '"lines":\[\{"name":"数字证书服务费","amount_fen":[0-9]+\},\{"name":"快递费（寄付）","amount_fen":[0-9]+\}\]' \
    curl -s "$B/sandbox/invoices?order_no=$NO"
ex 200 '^\{"ok":true,"invoices":\[\]\}$' curl -s "$B/sandbox/invoices?order_no=${OUT_NO%-*}"
wait_for "the invoice SMS" '电子发票已开具' curl -s "$B/sandbox/sms?phone=$P&limit=5"
wait_for "the invoice e-mail" '"subject":"【深圳CA】电子发票' curl -s "$B/sandbox/mail?to=agent@example.com&limit=5"
ex 200 'id="invoice-link"' curl -s -b "$J" "$H/center/order?id=$ID"
ex 200 '电子发票链接已重新发送' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID" "$H/center/invoice/resend"
ex 429 '请1分钟后再重新获取' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID" "$H/center/invoice/resend"

SP=$D/report.jar
RT=$(token "$SP" "$H/admin/login")
ex 200 '"redirect":"\\/admin\\/login\\/code\?next=%2Freport%2F"' curl -s -c "$SP" -b "$SP" -H "X-CSRF-Token: $RT" \
    -H 'Accept: application/json' -d login=report -d password=Report2026demo -d next=/report/ "$H/admin/login"
RT=$(token "$SP" "$H/admin/login/code")
ex 200 '"redirect":"\\/report\\/"' curl -s -c "$SP" -b "$SP" -H "X-CSRF-Token: $RT" -H 'Accept: application/json' \
    -d code="$(totp report)" -d next=/report/ "$H/admin/login/code"
ex 200 '"report":"orders","title":"业务单统计","group":"partner"' curl -s -b "$SP" \
    "$H/report/orders?group=partner&to=$(date +%F)"
ex 200 '"report":"revenue".*"net_fen"' curl -s -b "$SP" "$H/report/revenue?group=day"
ex 200 '"report":"review".*"on_time_pct"' curl -s -b "$SP" "$H/report/review?group=partner"
ex 200 '"report":"funnel".*"started"' curl -s -b "$SP" "$H/report/funnel"
ex 200 '"report":"finauth".*"failure_pct"' curl -s -b "$SP" "$H/report/finauth?group=day"
ex 200 '"report":"certs".*"expiring_30"' curl -s -b "$SP" "$H/report/certs"
ex 200 '合作方,业务单数,已提交,已缴费' curl -s -b "$SP" "$H/report/orders?group=partner&format=csv"
ex 400 '"field":"group"' curl -s -b "$SP" "$H/report/orders?group=week"
ex 400 '"field":"from"' curl -s -b "$SP" "$H/report/orders?from=2026-02-30"
ex 403 '没有执行此操作的权限' curl -s -b "$SR" -H 'Accept: application/json' "$H/report/orders"
ex 200 'id="table-funnel"' curl -s -b "$SP" "$H/report/"

ex 200 '"jobs":\[' curl -s -b "$SF" -H 'Accept: application/json' "$H/admin/outbox"
ex 409 '不是失败状态' curl -s -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d id=1 "$H/admin/outbox/retry"
ex 404 '任务不存在' curl -s -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d id=900000000 "$H/admin/outbox/retry"
ex 409 '未被锁定' curl -s -b "$SF" -H "X-CSRF-Token: $ST" -H 'Accept: application/json' \
    -d id="$ID2" "$H/admin/finauth/unlock"
ex 200 '"action_label":"开具电子发票","from":"","to":"","from_label":"","to_label":"","reason":"","ref":"[0-9]+"' \
    curl -s -b "$SF" -H 'Accept: application/json' "$H/admin/order?id=$ID"

# ---------------------------------------------------------------- pki: production, shipping, OCSP, revocation

ex 200 '"root":"\\/pki\\/root.crt","roots":\[\{"name":"root",.*"name":"sm2-root","algorithm":"sm2".*"cas":\[\{"name":"ecc","algorithm":"ecdsa"' curl -s "$H/pki/"
curl -s -o "$D/root.crt" "$H/pki/root.crt" && curl -s -o "$D/ecc.crt" "$H/pki/ecc.crt" ||
    die "cannot fetch the CA certificates"
SO=$D/operator.jar
OT=$(token "$SO" "$H/admin/login")
ex 200 '"redirect":"\\/admin\\/login\\/code\?next=%2Fadmin%2Fpki%2Fproduction"' curl -s -c "$SO" -b "$SO" \
    -H "X-CSRF-Token: $OT" -H 'Accept: application/json' -d login=operator -d password=Operator2026demo \
    -d next=/admin/pki/production "$H/admin/login"
OT=$(token "$SO" "$H/admin/login/code")
ex 200 '"redirect":"\\/admin\\/pki\\/production"' curl -s -c "$SO" -b "$SO" -H "X-CSRF-Token: $OT" \
    -H 'Accept: application/json' -d code="$(totp operator)" -d next=/admin/pki/production "$H/admin/login/code"
OT=$(token "$SO" "$H/admin")
ex 200 "\"id\":$ID," curl -s -b "$SO" -H 'Accept: application/json' "$H/admin/pki/production"
ex 200 '证书已制作：序列号 [0-9A-F]{16}，主题 ' curl -s -b "$SO" -H "X-CSRF-Token: $OT" \
    -H 'Accept: application/json' -d id="$ID" "$H/admin/pki/issue"
SERIAL=$(printf '%s' "$OUT" | grep -Eo '序列号 [0-9A-F]{16}' | grep -Eo '[0-9A-F]{16}')
wait_for "the PIN SMS" 'PIN码为：[0-9]{8}' curl -s "$B/sandbox/sms?phone=$P&limit=1"
PIN=$(curl -s "$B/sandbox/sms?phone=$P&limit=1" | grep -o 'PIN码为：[0-9]*' | grep -o '[0-9]*$')
# the key was born on the USB key: no file to download, the medium named
ex 410 '"message":"该证书的私钥在USB Key（介质 [0-9A-F]{16}）中生成，不能导出' \
    curl -s -b "$J" -H 'Accept: application/json' "$H/pki/medium?id=$ID"
MEDIUM=$(printf '%s' "$OUT" | grep -Eo '介质 [0-9A-F]{16}' | grep -Eo '[0-9A-F]{16}')
# the holder's side: the medium opens with the PIN of the SMS and holds the
# key pair (the station's SoftHSM2 tokens stand in for USB keys)
N=$((N + 1))
P11=$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/*-linux-gnu/softhsm/libsofthsm2.so 2>/dev/null | head -1)
SOFTHSM2_CONF=$HALL_VAR/media/softhsm2.conf pkcs11-tool --module "$P11" --token-label "$MEDIUM" \
    --login --pin "$PIN" --list-objects 2>/dev/null | grep -E '^Private Key Object; EC' >/dev/null ||
    die "the medium $MEDIUM does not open with the PIN of the SMS, or holds no EC private key"
# binary answers: checked here, not by ex (its $(cat) would drop NUL bytes)
[ "$(curl -s -b "$J" -o "$D/leaf.pem" -w '%{http_code}' \
    "$H/center/cert/download?serial=$SERIAL&format=pem")" = 200 ] ||
    die "GET /center/cert/download (pem) did not answer 200"
openssl verify -CAfile "$D/root.crt" -untrusted "$D/ecc.crt" "$D/leaf.pem" | grep -q ': OK$' ||
    die "the certificate does not verify against /pki/"
openssl ocsp -issuer "$D/ecc.crt" -serial "0x$SERIAL" -url "$H/ocsp" -CAfile "$D/root.crt" 2>&1 |
    grep -q "^0x$SERIAL: good" || die "OCSP does not say good"
# a timestamp of the certificate (RFC 3161), verified against the same root;
# a body that is no request is a rejection, still 200
N=$((N + 1))
openssl ts -query -data "$D/leaf.pem" -sha256 -cert -out "$D/leaf.tsq" 2>/dev/null ||
    die "openssl ts -query failed"
[ "$(curl -s -H 'Content-Type: application/timestamp-query' --data-binary @"$D/leaf.tsq" \
    -o "$D/leaf.tsr" -w '%{http_code}' "$H/tsa")" = 200 ] || die "POST /tsa did not answer 200"
openssl ts -reply -in "$D/leaf.tsr" -text 2>/dev/null | grep -E 'Status:|Policy OID|Accuracy' |
    tr '\n' ' ' | grep -E 'Status: Granted\..*Policy OID: 2\.999\.41\.1.*Accuracy: 0x01 seconds' \
    >/dev/null || die "the timestamp is not granted with the policy and accuracy"
openssl ts -verify -in "$D/leaf.tsr" -data "$D/leaf.pem" -CAfile "$D/root.crt" 2>&1 |
    grep '^Verification: OK' >/dev/null || die "the timestamp does not verify against /pki/"
N=$((N + 1))
printf 'not a request' | curl -s -H 'Content-Type: application/timestamp-query' --data-binary @- \
    -o "$D/bad.tsr" "$H/tsa" || die "POST /tsa (garbage) failed"
openssl ts -reply -in "$D/bad.tsr" -text 2>/dev/null | grep -E 'Status:|Failure info' | tr '\n' ' ' |
    grep -E 'Status: Rejected\..*Failure info: the data submitted has the wrong format' >/dev/null ||
    die "a body that is no request is not rejected as badDataFormat"
ex 200 '"status":"good"' curl -s -H 'Accept: application/json' "$H/pki/lookup?serial=$SERIAL"
ex 200 "\"serial\":\"$SERIAL\"" curl -s -G -H 'Accept: application/json' \
    --data-urlencode org_name=深圳示例科技有限公司 -d org_id=91110000600037341L "$H/pki/lookup"
ex 400 '"field":"org_id"' curl -s -G -H 'Accept: application/json' \
    --data-urlencode org_name=深圳示例科技有限公司 "$H/pki/lookup"
# 我的证书: the certificate, its state and actions; its chain as P7B
ex 200 "\"serial\":\"$SERIAL\".*\"state_label\":\"有效\"" curl -s -b "$J" -H 'Accept: application/json' \
    "$H/center/certs"
N=$((N + 1))
[ "$(curl -s -b "$J" -o "$D/mycert.p7b" -w '%{http_code}' \
    "$H/center/cert/download?serial=$SERIAL&format=p7b")" = 200 ] ||
    die "GET /center/cert/download did not answer 200"
[ "$(openssl pkcs7 -inform DER -in "$D/mycert.p7b" -print_certs -noout | grep -c '^subject=')" = 3 ] ||
    die "the P7B does not hold the certificate, its CA and the root"
# 撤销: the page's facts, then the confirmation refused without a valid code
ex 200 '"revocable":true.*"reasons":\[\{"name":"keyCompromise","label":"密钥泄露"' curl -s -b "$J" \
    -H 'Accept: application/json' "$H/center/cert/revoke?serial=$SERIAL"
ex 404 '未找到该证书' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d serial=0000000000000001 "$H/center/cert/revoke/code"
ex 400 '"field":"code","message":"短信验证码已失效，请重新获取"' curl -s -b "$J" -H "X-CSRF-Token: $T" \
    -H 'Accept: application/json' -d serial="$SERIAL" -d reason=keyCompromise -d code=000000 \
    "$H/center/cert/revoke"
ex 409 '证书已制作，不能申请退费' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$ID" --data-urlencode reason=项目取消 "$H/center/refund"
ex 200 '"cert_type_label":"机构证书".*"reissuable":true' curl -s -b "$J" -H 'Accept: application/json' \
    "$H/reissue/serial?serial=$SERIAL"
ex 400 '"field":"serial".*区分大小写' curl -s -b "$J" -H 'Accept: application/json' \
    "$H/reissue/serial?serial=712c1b5a584a1bbe"

# ---------------------------------------------------------------- change: the applicant's pages

ex 200 '证书变更 · 操作提示' curl -s "$H/change/notice"
ex 200 'serial\?project=hall' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d agree1=on -d agree2=on "$H/change/agree"
ex 200 '"cert_type_label":"机构证书".*"changeable":true' curl -s -b "$J" -H 'Accept: application/json' \
    "$H/change/serial?serial=$SERIAL"
ex 200 'name="org_id" maxlength="30" value="91110000600037341L" readonly' curl -s -b "$J" \
    "$H/change/apply?project=hall&serial=$SERIAL"
printf '%s' "$OUT" | grep -F 'id="total-amount">100.00元' >/dev/null || die "no 变更费 on the change form"
ex 400 '"field":"org_id".*证书变更不能修改机构证件号码' curl -s -b "$J" -H "X-CSRF-Token: $T" \
    -H 'Accept: application/json' -d project=hall -d serial="$SERIAL" -d org_id=91440300MA5F000007 \
    "${ORG[@]}" "$H/change/apply"
ex 404 '"field":"serial".*未找到' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d serial=0000000000000001 "${ORG[@]}" "$H/change/apply"
ex 404 '' curl -s -b "$J" "$H/change/print?id=999999999"
ex 404 '该项目暂不办理证书变更业务' curl -s -b "$J" "$H/gzmg/change/notice"

# ---------------------------------------------------------------- renew and unlock: the applicant's pages

ex 200 '期满前一个月内' curl -s "$H/renew/notice"
ex 200 'serial\?project=hall' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d agree1=on -d agree2=on "$H/renew/agree"
ex 409 'role="alert">该证书有效期至[0-9-]{10}，证书更新可在到期前30天内办理' curl -s -b "$J" -H 'Accept: text/html' \
    "$H/renew/serial?project=hall&serial=$SERIAL"
ex 409 '"field":"serial".*到期前30天内' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d serial="$SERIAL" "${ORG[@]}" "$H/renew/apply"
ex 200 '电子签名法》第十三条' curl -s "$H/unlock/notice"
ex 200 'serial\?project=hall' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d agree1=on -d agree2=on "$H/unlock/agree"
ex 200 '合计 0.00元' curl -s -b "$J" "$H/unlock/apply?project=hall&serial=$SERIAL"
WAIT=$((SMS_AT + 61 - $(date +%s)))
[ "$WAIT" -le 0 ] || sleep "$WAIT"
ex 200 '验证码已发送至 [0-9]{3}\*{4}[0-9]{4}' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d serial="$SERIAL" "$H/unlock/sms"
# the code's SMS names the action and the certificate (not the login text)
wait_for "the unlock SMS" '您正在解锁USB Key中的证书' curl -s "$B/sandbox/sms?phone=$P&limit=1"
ex 200 "您正在解锁USB Key中的证书（序列号尾号${SERIAL: -4}），验证码是[0-9]{6}.*密钥和证书保持不变" curl -s "$B/sandbox/sms?phone=$P&limit=1"
ex 400 '"field":"sms_code".*原证书登记手机号码' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d serial="$SERIAL" "${ORG[@]}" "$H/unlock/apply"
# the 证书助手's exchange refuses what is not a medium's code (docs/modules/assist.md)
ex 400 '"field":"medium".*介质序列号格式不正确' curl -s -H 'Accept: application/json' \
    -d medium=XYZ -d ticket=AAAA-BBBB-CCCC-DDDD "$H/unlock/assist/release"
ex 404 '"field":"medium".*没有可用的解锁码' curl -s -H 'Accept: application/json' \
    -d medium=0000000000000000 -d ticket=AAAA-BBBB-CCCC-DDDD "$H/unlock/assist/release"
# and 在线更新's (docs/modules/assist.md): the medium's format, no code taken for it
ex 400 '"field":"medium".*介质序列号格式不正确' curl -s -H 'Accept: application/json' \
    -d medium=XYZ -d ticket=AAAA-BBBB-CCCC-DDDD -d csr=AAAA -d proof=AAAA "$H/pki/renew/issue"
ex 404 '"field":"medium".*没有可用的更新码' curl -s -H 'Accept: application/json' \
    -d medium=0000000000000000 -d ticket=AAAA-BBBB-CCCC-DDDD -d csr=AAAA -d proof=AAAA "$H/pki/renew/issue"

# ---------------------------------------------------------------- reissue: the applicant's pages

ex 200 '操作提示' curl -s "$H/reissue/notice"
ex 200 'name="agree2"' curl -s -b "$J" "$H/reissue?project=hall"
ex 200 'serial\?project=hall' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d agree1=on -d agree2=on "$H/reissue/agree"
ex 200 'id="cert-status">有效<' curl -s -b "$J" -H 'Accept: text/html' "$H/reissue/serial?project=hall&serial=$SERIAL"
ex 400 '证书序列号应为16位十六进制数字' curl -s -b "$J" -H 'Accept: text/html' \
    "$H/reissue/serial?project=hall&serial=712c1b5a584a1bbe"
ex 200 'id="total-amount">100.00元' curl -s -b "$J" "$H/reissue/apply?project=hall&serial=$SERIAL"
RK=$(printf '%s' "$OUT" | grep -o 'name="submit_key" value="[^"]*"' | cut -d'"' -f4)
ex 404 '"field":"serial".*未找到' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d serial=0000000000000001 "${ORG[@]}" "$H/reissue/apply"
ex 400 '"field":"legal_ric"' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d serial="$SERIAL" -d legal_ric=1 "${ORG[@]}" "$H/reissue/apply"
ex 200 'print\?id=[0-9]+' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d project=hall -d serial="$SERIAL" -d submit_key="$RK" "${ORG[@]}" "$H/reissue/apply"
RID=$(printf '%s' "$OUT" | grep -oE 'print\?id=[0-9]+' | grep -oE '[0-9]+$')
ex 200 "id=\"print-serial\">$SERIAL<" curl -s -b "$J" "$H/reissue/print?id=$RID"
ex 200 "upload\\?id=$RID" curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id="$RID" "$H/reissue/printed"
ex 200 '已寄出' curl -s -b "$SO" -H "X-CSRF-Token: $OT" -H 'Accept: application/json' \
    -d id="$ID" "$H/admin/pki/ship"
WB=$(curl -s -b "$J" "$H/center/order?id=$ID" | sed -n 's/.*id="waybill-no">[^ ]* \([A-Z0-9]*\)<.*/\1/p')
[ -n "$WB" ] || die "no tracking number in the personal center"
wait_for "the shipping SMS" "快递单号：$WB" curl -s "$B/sandbox/sms?phone=$P&limit=1"
ex 200 '"acked":true' curl -s -X POST "$B/sandbox/courier/$WB/deliver"
ex 200 '已签收' curl -s -b "$J" "$H/center/order?id=$ID"
# four eyes: operator asks, operator2 approves (not operator)
ex 200 '"request_id":[0-9]+' curl -s -b "$SO" -H "X-CSRF-Token: $OT" -H 'Accept: application/json' \
    -d serial="$SERIAL" -d reason=keyCompromise --data-urlencode note=U盾连同密码遗失 "$H/admin/pki/revoke"
REQ=$(printf '%s' "$OUT" | grep -oE '"request_id":[0-9]+' | grep -oE '[0-9]+$')
ex 409 '已有待批准的吊销申请' curl -s -b "$SO" -H "X-CSRF-Token: $OT" -H 'Accept: application/json' \
    -d serial="$SERIAL" -d reason=superseded "$H/admin/pki/revoke"
ex 403 '不能批准或拒绝自己提出的申请' curl -s -b "$SO" -H "X-CSRF-Token: $OT" -H 'Accept: application/json' \
    -d id="$REQ" "$H/admin/pki/revoke/approve"
openssl ocsp -issuer "$D/ecc.crt" -serial "0x$SERIAL" -url "$H/ocsp" -CAfile "$D/root.crt" 2>&1 |
    grep -q "^0x$SERIAL: good" || die "OCSP does not say good before the approval"
SO2=$D/operator2.jar
OT2=$(token "$SO2" "$H/admin/login")
ex 200 '"redirect":"\\/admin\\/login\\/code\?next=%2Fadmin"' curl -s -c "$SO2" -b "$SO2" -H "X-CSRF-Token: $OT2" \
    -H 'Accept: application/json' -d login=operator2 -d password=Operator2026demo2 "$H/admin/login"
OT2=$(token "$SO2" "$H/admin/login/code")
ex 200 '"redirect":"\\/admin"' curl -s -c "$SO2" -b "$SO2" -H "X-CSRF-Token: $OT2" \
    -H 'Accept: application/json' -d code="$(totp operator2)" "$H/admin/login/code"
OT2=$(token "$SO2" "$H/admin")
ex 200 "\"id\":$REQ,\"kind\":\"revoke\".*\"reason\":\"U盾连同密码遗失\",\"requested_by\":\"operator\"" \
    curl -s -b "$SO2" -H 'Accept: application/json' "$H/admin/approvals"
ex 200 '证书已吊销' curl -s -b "$SO2" -H "X-CSRF-Token: $OT2" -H 'Accept: application/json' \
    -d id="$REQ" "$H/admin/pki/revoke/approve"
ex 409 '该申请已被处理' curl -s -b "$SO2" -H "X-CSRF-Token: $OT2" -H 'Accept: application/json' \
    -d id="$REQ" "$H/admin/pki/revoke/approve"
openssl ocsp -issuer "$D/ecc.crt" -serial "0x$SERIAL" -url "$H/ocsp" -CAfile "$D/root.crt" 2>&1 |
    grep -q "^0x$SERIAL: revoked" || die "OCSP does not say revoked"
ex 200 '"reissuable":false,"message":"该证书序列号对应的证书已吊销' curl -s -b "$J" -H 'Accept: application/json' \
    "$H/reissue/serial?serial=$SERIAL"
N=$((N + 1))
[ "$(curl -s -o "$D/ecc.crl" -w '%{http_code}' "$H/pki/ecc.crl")" = 200 ] || die "GET /pki/ecc.crl failed"
openssl crl -inform DER -in "$D/ecc.crl" -noout -text | grep -q "Serial Number: $SERIAL" ||
    die "the CRL does not list the revoked serial"

# ---------------------------------------------------------------- seal: the public pages

ex 200 '立即购买' curl -s "$H/seal/product"
N=$((N + 1))
[ "$(curl -s -o "$D/form.pdf" -w '%{http_code}' "$H/seal/collect-form")" = 200 ] &&
    head -c 5 "$D/form.pdf" | grep -q '%PDF-' || die "GET /seal/collect-form is not a PDF"
SJ=$D/seal.jar
curl -s -c "$SJ" -b "$SJ" "$H/seal/verify" >/dev/null
SVT=$(curl -s -c "$SJ" -b "$SJ" "$H/seal/verify" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
printf 'not a seal' >"$D/x.seseal"
ex 400 '"field":"seseal"' curl -s -b "$SJ" -H "X-CSRF-Token: $SVT" -H 'Accept: application/json' \
    -F seseal=@"$D/x.seseal" "$H/seal/verify"
# 在线盖章: public; its id names the field
ex 200 'static/stamp/page\.js' curl -s "$H/seal/stamp"
ex 400 '"field":"id".*编号应为1到' curl -s -H 'Accept: application/json' "$H/seal/stamp?id=x"
# ---------------------------------------------------------------- sign: 免费体验 and 签名验证

TJ=$D/try.jar
curl -s -c "$TJ" -b "$TJ" "$H/sign/try" >/dev/null
TT=$(curl -s -c "$TJ" -b "$TJ" "$H/sign/try" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
N=$((N + 1))
[ "$(curl -s -b "$TJ" -H "X-CSRF-Token: $TT" -F file=@"$D/form.pdf" -F page=1 -F x=150 -F y=240 \
    -o "$D/trial.pdf" -w '%{http_code} %{content_type}' "$H/sign/try")" = "200 application/pdf" ] ||
    die "POST /sign/try did not answer a PDF"
ex 200 '"state":"体验印章".*"all_valid":false' curl -s -F file=@"$D/trial.pdf" "$H/sign/verify"
ex 200 '"state":"体验印章"' curl -s -H 'Content-Type: application/pdf' --data-binary @"$D/trial.pdf" \
    "$H/sign/verify"
printf 'not a pdf' >"$D/x.pdf"
ex 400 '"field":"file","message":"所选文件不是PDF文档"' curl -s -F file=@"$D/x.pdf" "$H/sign/verify"
# the 验签报告 of the same file, itself a stamp of the hall's 验签专用章
N=$((N + 1))
[ "$(curl -s -F file=@"$D/trial.pdf" -o "$D/report.pdf" -w '%{http_code} %{content_type}' \
    "$H/sign/verify?report=pdf")" = "200 application/pdf" ] ||
    die "POST /sign/verify?report=pdf did not answer a PDF"
ex 200 '"level":"B-LT".*"state":"有效".*"all_valid":true' curl -s -F file=@"$D/report.pdf" "$H/sign/verify"
ex 200 '"packages":\[.*"kind":"deb"' curl -s -H 'Accept: application/json' "$H/sign/tools"
# the 证书助手 beside hall-stamp, and the same under a partner's path
ex 200 '"tool":"hall-assist","kind":"deb".*"tools":\[\{"name":"hall-assist","usage":"用法：hall-assist list' \
    curl -s -H 'Accept: application/json' "$H/jieyang/sign/tools"
# the seal lookup hall-stamp asks: an unknown esID, a malformed one
ex 200 '"state":"unknown"' curl -s "$H/sign/seal-status?es_id=NOSUCHSEAL0001"
ex 400 '"field":"es_id"' curl -s -H 'Accept: application/json' "$H/sign/seal-status?es_id=a-b"
# 在线盖章's question before the PIN: a seal the register does not know (the
# certificate, revoked by now, is judged first: either refuses)
ex 200 "\"es_id\":\"NOSUCHSEAL0001\",\"serial\":\"$SERIAL\",\"verdict\":\"refused\",\"code\":\"(cert_revoked|seal_unknown)\",\"message\":\"[^\"]*未盖章\"" \
    curl -s "$H/sign/stamp-check?es_id=NOSUCHSEAL0001&serial=$SERIAL"
ex 400 '"field":"serial"' curl -s -H 'Accept: application/json' "$H/sign/stamp-check?es_id=NOSUCHSEAL0001&serial=xyz"
# 在线盖章's B-LT evidence: the chain and an OCSP answer openssl verifies
ex 200 "\"serial\":\"$SERIAL\",\"status\":\"(good|revoked)\",\"verdict\":\"(yes|refused)\".*\"ocsps\":\[\"" curl -s "$H/sign/evidence?serial=$SERIAL"
printf '%s' "$OUT" | node -e 'process.stdout.write(Buffer.from(
  JSON.parse(require("fs").readFileSync(0)).evidence.ocsps[0], "base64"))' >"$D/ev.ocsp"
openssl ocsp -respin "$D/ev.ocsp" -issuer "$D/ecc.crt" -CAfile "$D/root.crt" 2>&1 |
    grep -q 'Response verify OK' || die "the evidence's OCSP answer does not verify"
ex 404 '"field":"serial"' curl -s -H 'Accept: application/json' "$H/sign/evidence?serial=7FFFFFFFFFFFFFF1"
# 我的电子印章 and a seal's medium: the applicant's seal orders only
ex 404 '"ok":false' curl -s -b "$J" -H 'Accept: application/json' "$H/seal/seals?id=$ID"
ex 400 '"field":"id".*编号应为1到' curl -s -b "$J" -H 'Accept: application/json' "$H/seal/medium?id=x"
ex 404 '印章不存在' curl -s -b "$J" -H 'Accept: application/json' "$H/seal/medium?id=999999999"
ex 404 '印章不存在' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id=999999999 "$H/seal/holder/code"
# the holder's own download: anonymous, with the SMS's serial and code
curl -s -c "$D/hjar" -b "$D/hjar" "$H/seal/holder" >/dev/null
HT=$(curl -s -c "$D/hjar" -b "$D/hjar" "$H/seal/holder" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
ex 400 '"field":"code".*证书序列号或下载码不正确' curl -s -b "$D/hjar" -H "X-CSRF-Token: $HT" \
    -H 'Accept: application/json' -d serial=712C1B5A584A1BBE -d code=ABCDEFGHJK "$H/seal/holder"
ex 400 '"field":"code".*下载码为短信中的10位字母和数字' curl -s -b "$D/hjar" -H "X-CSRF-Token: $HT" \
    -H 'Accept: application/json' -d serial=712C1B5A584A1BBE -d code=x "$H/seal/holder"
# 抠图's confirmation and the staff's seal picture: another's or no seal
ex 404 '印章不存在' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id=999999999 "$H/seal/impression/confirm"
ex 400 '"field":"id"' curl -s -b "$J" -H "X-CSRF-Token: $T" -H 'Accept: application/json' \
    -d id=x "$H/seal/impression/confirm"
ex 404 '印章图片不存在' curl -s -b "$SO" -H 'Accept: application/json' "$H/admin/seal/image?id=999999999"
# the operator's 电子印章管理: an order's seals, one revoked
ex 200 '"ok":true' curl -s -b "$SO" -H 'Accept: application/json' "$H/admin/seal"
ex 404 '"field":"order".*未找到该电子签章业务单' curl -s -b "$SO" -H 'Accept: application/json' \
    "$H/admin/seal?order=S00000000000000"
ex 400 '"field":"reason".*注销原因' curl -s -b "$SO" -H "X-CSRF-Token: $OT" -H 'Accept: application/json' \
    -d es_id=SZCA000000000000P01 -d reason= "$H/admin/seal/revoke"
ex 409 '"field":"es_id".*该印章不存在或已注销' curl -s -b "$SO" -H "X-CSRF-Token: $OT" \
    -H 'Accept: application/json' -d es_id=SZCA000000000000P01 -d reason=人员离职 "$H/admin/seal/revoke"
# a 证书新办's 电子签章: its picture before production (no such order here)
ex 404 '"field":"order"' curl -s -b "$SO" -H "X-CSRF-Token: $OT" -H 'Accept: application/json' \
    -d order=N00000000000000 -d style=cutout "$H/admin/seal/bundle"
ex 400 '"field":"style"' curl -s -b "$SO" -H "X-CSRF-Token: $OT" -H 'Accept: application/json' \
    -d order=N00000000000000 -d style=round "$H/admin/seal/bundle"

# ---------------------------------------------------------------- admin: four eyes for staff accounts

STAFF=("$ROOT/tools/staff/hall-staff" -c "${HALL_CONF:-$HALL_VAR/hall.conf}")
NEWLOGIN=api$(date +%s | cut -c5-10)$((RANDOM % 90 + 10))
N=$((N + 1))
OUT=$("${STAFF[@]}" add "$NEWLOGIN" reviewer Example2026pw as admin 新入职审核员 \
    <<<"Admin2026demo"$'\n'"$(totp admin)") ||
    die "hall-staff add as admin failed"
SREQ=$(printf '%s' "$OUT" | sed -n 's/^request \([0-9]*\) pending.*/\1/p')
[ -n "$SREQ" ] || die "hall-staff add printed no pending request: $OUT"
SA=$D/admin2.jar
AT=$(token "$SA" "$H/admin/login")
ex 200 '"redirect":"\\/admin\\/login\\/code\?next=%2Fadmin"' curl -s -c "$SA" -b "$SA" -H "X-CSRF-Token: $AT" \
    -H 'Accept: application/json' -d login=admin2 -d password=Admin2026demo2 "$H/admin/login"
AT=$(token "$SA" "$H/admin/login/code")
ex 200 '"redirect":"\\/admin"' curl -s -c "$SA" -b "$SA" -H "X-CSRF-Token: $AT" \
    -H 'Accept: application/json' -d code="$(totp admin2)" "$H/admin/login/code"
AT=$(token "$SA" "$H/admin")
ex 200 "\"id\":$SREQ,\"kind\":\"staff_add\".*\"requested_by\":\"admin\"" \
    curl -s -b "$SA" -H 'Accept: application/json' "$H/admin/approvals"
ex 200 '已批准，账号已创建' curl -s -b "$SA" -H "X-CSRF-Token: $AT" -H 'Accept: application/json' \
    -d id="$SREQ" "$H/admin/approvals/approve"
N=$((N + 1))
OUT=$("${STAFF[@]}" roles "$NEWLOGIN" reviewer,report as admin <<<"Admin2026demo"$'\n'"$(totp admin)") ||
    die "hall-staff roles as admin failed"
SREQ=$(printf '%s' "$OUT" | sed -n 's/^request \([0-9]*\) pending.*/\1/p')
ex 200 '已拒绝该申请' curl -s -b "$SA" -H "X-CSRF-Token: $AT" -H 'Accept: application/json' \
    -d id="$SREQ" --data-urlencode note=报表权限另行申请 "$H/admin/approvals/refuse"

# ---------------------------------------------------------------- admin: a partner's webhook and API keys

SAD=$D/admin.jar
AT1=$(token "$SAD" "$H/admin/login")
ex 200 '"redirect":"\\/admin\\/login\\/code\?next=%2Fadmin"' curl -s -c "$SAD" -b "$SAD" -H "X-CSRF-Token: $AT1" \
    -H 'Accept: application/json' -d login=admin -d password=Admin2026demo "$H/admin/login"
AT1=$(token "$SAD" "$H/admin/login/code")
ex 200 '"redirect":"\\/admin"' curl -s -c "$SAD" -b "$SAD" -H "X-CSRF-Token: $AT1" \
    -H 'Accept: application/json' -d code="$(totp admin)" "$H/admin/login/code"
AT1=$(token "$SAD" "$H/admin/partners")
ex 200 '"code":"gdhj","name":"光大环境' curl -s -b "$SAD" -H 'Accept: application/json' "$H/admin/partners"
ex 200 '"partner":\{"code":"gdhj"' curl -s -b "$SAD" -H 'Accept: application/json' "$H/admin/partner?code=gdhj"
ex 400 '"field":"url","message":"回调地址指向内网地址 10\.1\.2\.3，不能使用' curl -s -b "$SAD" -H "X-CSRF-Token: $AT1" \
    -H 'Accept: application/json' -d code=gdhj --data-urlencode url=https://10.1.2.3/notify \
    -d events=order.paid --data-urlencode reason=合作方来函 "$H/admin/partner/hook"
ex 200 '"request_id":[0-9]+' curl -s -b "$SAD" -H "X-CSRF-Token: $AT1" -H 'Accept: application/json' \
    -d code=gdhj --data-urlencode url="$B/partner/hook/gdhj" -d events=order.submitted,order.paid,cert.issued \
    --data-urlencode reason=合作方来函 "$H/admin/partner/hook"
PREQ=$(printf '%s' "$OUT" | sed -n 's/.*"request_id":\([0-9]*\).*/\1/p')
ex 403 '不能批准或拒绝自己提出的申请' curl -s -b "$SAD" -H "X-CSRF-Token: $AT1" -H 'Accept: application/json' \
    -d id="$PREQ" "$H/admin/partner/approve"
ex 200 '"secret":"[0-9a-f]{48}","fingerprint":"[0-9a-f]{16}"' curl -s -b "$SA" -H "X-CSRF-Token: $AT" \
    -H 'Accept: application/json' -d id="$PREQ" "$H/admin/partner/approve"
ex 200 '"request_id":[0-9]+' curl -s -b "$SAD" -H "X-CSRF-Token: $AT1" -H 'Accept: application/json' \
    -d code=gdhj -d key_id="gdhj-api$NEWLOGIN" -d days=365 --data-urlencode reason=新系统上线 "$H/admin/partner/key"
PREQ=$(printf '%s' "$OUT" | sed -n 's/.*"request_id":\([0-9]*\).*/\1/p')
ex 200 '"key_id":"gdhj-api[a-z0-9]*","not_after":"[0-9 :-]*","secret":"[0-9a-f]{64}"' curl -s -b "$SA" \
    -H "X-CSRF-Token: $AT" -H 'Accept: application/json' -d id="$PREQ" "$H/admin/partner/approve"
ex 200 '"request_id":[0-9]+' curl -s -b "$SAD" -H "X-CSRF-Token: $AT1" -H 'Accept: application/json' \
    -d code=gdhj -d key_id="gdhj-api$NEWLOGIN" --data-urlencode reason=密钥轮换 "$H/admin/partner/key/revoke"
PREQ=$(printf '%s' "$OUT" | sed -n 's/.*"request_id":\([0-9]*\).*/\1/p')
ex 200 '已拒绝该申请' curl -s -b "$SA" -H "X-CSRF-Token: $AT" -H 'Accept: application/json' \
    -d id="$PREQ" --data-urlencode note=新密钥尚未启用 "$H/admin/partner/refuse"
ex 200 '"request_id":[0-9]+' curl -s -b "$SAD" -H "X-CSRF-Token: $AT1" -H 'Accept: application/json' \
    -d code=gdhj --data-urlencode reason=密钥疑似泄露 "$H/admin/partner/hook/secret"
PREQ=$(printf '%s' "$OUT" | sed -n 's/.*"request_id":\([0-9]*\).*/\1/p')
ex 200 '"kind":"partner_hook_secret".*"secret":"[0-9a-f]{48}"' curl -s -b "$SA" -H "X-CSRF-Token: $AT" \
    -H 'Accept: application/json' -d id="$PREQ" "$H/admin/partner/approve"
ex 200 '"request_id":[0-9]+' curl -s -b "$SAD" -H "X-CSRF-Token: $AT1" -H 'Accept: application/json' \
    -d code=gdhj -d url= --data-urlencode reason=合作方停用回调 "$H/admin/partner/hook"
PREQ=$(printf '%s' "$OUT" | sed -n 's/.*"request_id":\([0-9]*\).*/\1/p')
ex 200 '"message":"已批准，已生效"' curl -s -b "$SA" -H "X-CSRF-Token: $AT" -H 'Accept: application/json' \
    -d id="$PREQ" "$H/admin/partner/approve"

# ---------------------------------------------------------------- sessions kept apart, logout

ex 401 '请先登录管理后台' curl -s -b "$J" -H 'Accept: application/json' "$H/admin/review"
ex 401 '请先登录' curl -s -b "$SR" -H 'Accept: application/json' "$H/center/orders"
ex 303 'location: .*/admin/login\?next=%2Fadmin%2Forder%3Fid%3D' curl -s -H 'Accept: text/html' "$H/admin/order?id=$ID"
ex 200 '"redirect":"\\/admin\\/login"' curl -s -c "$SR" -b "$SR" -H "X-CSRF-Token: $ST2" \
    -H 'Accept: application/json' -X POST "$H/admin/logout"
ex 401 '请先登录管理后台' curl -s -b "$SR" -H 'Accept: application/json' "$H/admin/review"

printf '%d examples passed\n' "$N"
