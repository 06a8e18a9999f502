/*
 * 在线盖章: the bottom of its modules (tests/unit/js_circles.sh keeps the
 * page's imports free of circles): the error every module throws, the
 * messages naming the holder's files, and a byte comparison.  It imports
 * nothing.
 *
 *   StampError(field, message)  a Chinese message naming the field
 *   MSG                         the messages of the seal and PKCS#12 files
 *   STAMP_MSG                   the stamp's (common.js, stamp.js, seal.js)
 *   equalBytes(a, b)
 */
export class StampError extends Error {
    constructor(field, message) {
        super(message);
        this.field = field;
    }
}

export const MSG = {
    sealBad: '所选文件不是电子印章文件：请选择网上营业厅“我的电子印章”下载的 .seseal 文件（GB/T 38540 电子印章）。',
    sealPicture: '电子印章文件中的印章图片无法读取（应为 PNG 图片）。',
    p12Bad: '所选文件不是印章证书文件：请选择“我的电子印章”下载的印章证书（PKCS#12，.p12）。',
    pinEmpty: '请输入证书PIN码。',
    pinWrong: 'PIN码错误，无法打开印章证书文件。请输入制作该证书的业务单的证书PIN码（短信发送的8位数字）。',
    notSigner: '所选印章证书不是该电子印章的签章人证书：请选择与该印章对应的印章证书文件（.p12）。',
    keyKind: '该印章证书的密钥既不是 ECDSA P-256 也不是国密SM2，在线盖章不支持。',
};

export const STAMP_MSG = {
    tsaDown: '时间戳服务暂时无法访问，未生成盖章文件（盖章须有可信时间戳）。请检查网络后重试。',
    tsaRefused: '时间戳服务未能签发时间戳，未生成盖章文件，请稍后重试。',
    sealExpired: '该电子印章不在有效期内，不能盖章。',
    place: '请在页面预览上点击，选择印章位置。',
    outside: '印章位置超出页面范围，请在页面内重新选择。',
    evidence: '未能取得长期验证信息（证书链和吊销状态），盖章文件不含这些信息（B-T级）：' +
        '验证时须联网查询吊销状态。',
    ltaTsa: '时间戳服务暂时无法访问，未添加文档时间戳。请检查网络后重试。',
    /* the hall could not be asked: core/stamp/stamp_may.c's words for a
     * status that cannot be learnt (cert_unchecked), as hall-stamp says them */
    unchecked: (serial) => `无法查询签章人证书（序列号 ${serial}）的吊销状态：无法连接网上营业厅。未盖章；请联网后重试`,
    /* /sign/evidence said revoked without the rule's text (an older hall) */
    revoked: (serial) => `签章人证书（序列号 ${serial}）已吊销，不能再盖章。未盖章`,
};

export function equalBytes(a, b) {
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++)
        if (a[i] !== b[i])
            return false;
    return true;
}
