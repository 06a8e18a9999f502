/*
 * upload.c: 上传资料 (SPEC step 6): the materials the order asks for, the
 * upload page, the upload (content-checked, encrypted as it streams), the
 * download of one's own file, and the step's end (上传完成, 重新提交审核).
 *
 *   GET  /F/upload, POST /F/upload, GET /F/file, POST /F/uploaded,
 *   POST /F/resubmit
 */
#include <stdio.h>
#include <string.h>

#include "flow/flow_int.h"

const struct hall_stmt flow_upload_stmts[] = {
    {"flow_files_list",
     "SELECT id, kind, mime, size, to_char(created_at, 'YYYY-MM-DD HH24:MI') AS at"
     " FROM order_files WHERE order_id = $1 AND replaced_at IS NULL ORDER BY kind, id",
     1},
    /* the locks, the order's state, the cap, the replaced rows, the new row
     * and the audit row in one round trip (sql/037_upload_order_check.sql) */
    {"flow_file_upload",
     "SELECT outcome, file_id, old_id, old_name"
     " FROM hall_file_upload($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
     13},
    {"flow_files_removed", "SELECT hall_files_removed($1::bigint[])", 1},
    {"flow_file_get",
     "SELECT f.stored_name, f.mime, f.kind, o.order_no FROM order_files f"
     " JOIN orders o ON o.id = f.order_id WHERE f.id = $1 AND o.user_id = $2",
     2},
    {NULL, NULL, 0},
};

static int
material_needed(const struct hall_material *m, struct hall_dbres *o)
{
    const char *const *k;
    int listed = 0;

    for (k = hall_flow_current()->materials; k != NULL && *k != NULL; k++)
        if (strcmp(*k, m->kind) == 0)
            listed = 1;
    return listed && !(m->flags & (HALL_MF_OFFICE | HALL_MF_EACH)) &&
           (m->types & hall_cert_type_bit(hall_dbres_str(o, 0, "cert_type"))) != 0 &&
           (!(m->flags & HALL_MF_SEAL) || hall_dbres_bool(o, 0, "needs_seal_material"));
}

/* the flow's materials, in the flow's order */
static const struct hall_material *
flow_material(int i)
{
    int n;

    for (n = 0; hall_flow_current()->materials != NULL && hall_flow_current()->materials[n] != NULL;
         n++)
        if (n == i)
            return hall_material_get(hall_flow_current()->materials[n]);
    return NULL;
}

/* the materials order o asks for onto list, as {kind, label} objects in
 * the page's order: the flow's per-person ones first (seed 001: 请优先上传),
 * then its list; HALL_ERR, having answered, when the database fails */
static int
order_materials(struct hall_req *req, struct hall_dbres *o, struct hall_val *list)
{
    const struct hall_material *m;
    int k;

    if (hall_flow_current()->order_materials != NULL &&
        hall_flow_current()->order_materials(req, o, list) != HALL_OK)
        return hall_req_failed(req);
    for (k = 0; (m = flow_material(k)) != NULL; k++) {
        struct hall_val *v;

        if (!material_needed(m, o))
            continue;
        v = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, v, "kind", m->kind);
        hall_val_set_str(req->pool, v, "label", m->label);
    }
    return HALL_OK;
}

/* the entry of kind in an order_materials list; NULL when not asked */
static struct hall_val *
material_find(struct hall_val *list, const char *kind)
{
    struct hall_val *v;

    for (v = list->first; kind != NULL && v != NULL; v = v->next)
        if (strcmp(hall_val_str(v, "kind"), kind) == 0)
            return v;
    return NULL;
}

/* 上传资料: what each material is, in the seeds' words (seeds 001, 004),
 * and the page that makes it where there is one (模板下载, 打印证书附页) */
static void
material_help(struct hall_req *req, struct hall_val *v, const char *order_id, int unit,
              const struct hall_partner *p)
{
    static const char real[] = "上传的图片必须真实有效和清晰可见，不得做任何修改。";
    const char *kind = hall_val_str(v, "kind"), *note = NULL;

    /* a 自然人证书's form is signed, not sealed (seed 002: 无需加盖公章) */
    if (strcmp(kind, "application") == 0)
        note = unit ? "请把打印出来的申请表加盖公章，通过扫描或拍照形成电子图片上传。"
                    : "请在打印出来的申请表上签名，通过扫描或拍照形成电子图片上传（自然人证书无需加"
                      "盖公章）。";
    else if (strcmp(kind, "license") == 0)
        note = "如已更换三合一的新版营业执照，请上传新版营业执照。";
    else if (strcmp(kind, "agent_id") == 0)
        note = "请把经办人身份证复印件，通过扫描或拍照形成电子图片上传。";
    else if (strcmp(kind, "applicant_id") == 0)
        note = "请把申请人身份证复印件，通过扫描或拍照形成电子图片上传。";
    else if (strncmp(kind, "holder_id_", 10) == 0)
        note = "请优先上传：请把该机构个人章持有人的身份证复印件，通过扫描或拍照形成电子图片上传。";
    if (note != NULL) {
        hall_val_set_fmt(req->pool, v, "note", "%s%s", note, real);
        return;
    }
    if (strcmp(kind, "seal_form") == 0) {
        /* by the partner's name for it (seed 003: 数字证书印模采集表); the
         * template downloaded is the hall's 电子签章采集表, said so */
        int own = strcmp(p->seal_form_title, "电子签章采集表") != 0;

        hall_val_set_str(req->pool, v, "label", p->seal_form_title);
        hall_val_set_fmt(req->pool, v, "note",
                         "点击右方下载%s%s模板，上传%s扫描件。"
                         "申请机构签章需要采集公章印模，申请个人签章需要采集个人手写签名。",
                         p->seal_form_title, own ? "（即电子签章采集表）" : "", p->seal_form_title);
        hall_val_set_str(req->pool, v, "link_label", "模板下载");
        hall_val_set_str(
            req->pool, v, "link",
            hall_psprintf(req->pool, "%s/seal/collect-form?id=%s", hall_req_base(req), order_id));
    } else if (strcmp(kind, "cert_attachment") == 0) {
        hall_val_set_str(req->pool, v, "note", "请打印证书附页，加盖公章后扫描上传。");
        hall_val_set_str(req->pool, v, "link_label", "打印证书附页");
        hall_val_set_str(
            req->pool, v, "link",
            hall_psprintf(req->pool, "%s/seal/attachment?id=%s", hall_req_base(req), order_id));
    }
}

static int
upload_page(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req), *files;
    struct hall_val *ctx, *list, *v;
    struct hall_partner p;
    int i, n, all = 1;

    if (o == NULL)
        return HALL_OK;
    if (!hall_flow_editable(o))
        return hall_msg(req, HALL_M_ORDER_LOCKED, NULL);
    if (!hall_dbres_bool(o, 0, "printed"))
        return hall_resp_redirect(req,
                                  hall_flow_url(req, "/print?id=%s", hall_dbres_str(o, 0, "id")));
    if (hall_flow_partner(req, hall_dbres_str(o, 0, "partner_code"), &p) != HALL_OK)
        return HALL_OK;
    files = hall_db_exec(req->cx, "flow_files_list", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (files == NULL)
        return HALL_ERR;
    ctx = hall_flow_page(req, "上传资料", &p);
    hall_dbres_set(req->pool, ctx, o, 0, "order_id=id order_no");
    /* the form these materials were asked for: an upload from this page
     * after another tab saved the form again is refused (do_upload) */
    hall_dbres_set(req->pool, ctx, o, 0, "form_rev");
    hall_val_set_bool(req->pool, ctx, "unit",
                      (hall_cert_type_bit(hall_dbres_str(o, 0, "cert_type")) & HALL_T_UNIT) != 0);
    list = hall_val_set_list(req->pool, ctx, "materials");
    if (order_materials(req, o, list) != HALL_OK)
        return HALL_OK;
    n = hall_dbres_rows(files);
    for (v = list->first; v != NULL; v = v->next) {
        for (i = 0; i < n; i++)
            if (strcmp(hall_dbres_str(files, i, "kind"), hall_val_str(v, "kind")) == 0) {
                hall_dbres_set(req->pool, v, files, i, "file_id=id");
                hall_val_set_str(
                    req->pool, v, "size",
                    hall_psprintf(req->pool, "%lldKB",
                                  (long long)(hall_dbres_int(files, i, "size") + 1023) / 1024));
                hall_dbres_set(req->pool, v, files, i, "at");
            }
        if (hall_val_get(v, "file_id") == NULL)
            all = 0;
        material_help(req, v, hall_dbres_str(o, 0, "id"),
                      (hall_cert_type_bit(hall_dbres_str(o, 0, "cert_type")) & HALL_T_UNIT) != 0,
                      &p);
    }
    hall_val_set_bool(req->pool, ctx, "complete", all);
    hall_val_set_bool(req->pool, ctx, "rejected",
                      strcmp(hall_dbres_str(o, 0, "status"), "rejected") == 0);
    hall_flow_steps(req, ctx, "upload");
    return hall_resp_page(req, 200, "flow_upload", ctx);
}

static const struct hall_pspec upload_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {"kind", HALL_P_TEXT, 0, 1, 32, "资料类型", NULL},
    {"rev", HALL_P_INT, HALL_PF_OPTIONAL, 1, 2147483647L, "表单版本", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_upload(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req), *res;
    const char *kind = hall_req_param(req, "kind");
    struct hall_val *asked = hall_val_set_list(req->pool, hall_val_obj(req->pool), "m"), *m;
    struct hall_stored st;
    const char *err, *oid, *json, *label;
    struct hall_val *v;
    int64_t rev;
    int status, i;

    if (o == NULL)
        return HALL_OK;
    oid = hall_dbres_str(o, 0, "id");
    /* rev: the form_rev of the page the file was chosen on (the upload
     * page sends it); the kinds asked for follow the form, so a file chosen
     * against an older form is not taken.  Without it, the form as read now */
    if (hall_req_param_i64(req, "rev", &rev) != HALL_OK)
        rev = hall_dbres_int(o, 0, "form_rev");
    if (!hall_flow_editable(o))
        return hall_msg(req, HALL_M_ORDER_LOCKED, NULL);
    /* before the kind: a kind of the older form may be gone from this one */
    if (rev != hall_dbres_int(o, 0, "form_rev"))
        return hall_msg(req, HALL_M_UPLOAD_ORDER_EDITED, "file");
    if (order_materials(req, o, asked) != HALL_OK)
        return HALL_OK;
    m = material_find(asked, kind);
    if (m == NULL)
        return hall_msg(req, HALL_M_MATERIAL_NOT_NEEDED, "kind");
    kind = hall_val_str(m, "kind");
    label = hall_val_str(m, "label");
    status = hall_file_store(req->cx, hall_req_upload(req, "file"), hall_file_materials,
                             "jpg、jpeg、bmp、gif、pdf", &st, &err);
    if (status != 0)
        return hall_msg_as(req, status, HALL_M_UPLOAD_REFUSED, "file", label, err);
    /* one upload of this applicant at a time, under a lock of the
     * applicant: the count is exact, and of two uploads of one kind the
     * later one replaces the earlier.  Under the order's lock too, and only
     * if the order is as checked above: still open to change, its form
     * (which decides the kinds asked for) not saved again since */
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "kind", kind);
    hall_val_set_str(req->pool, v, "mime", st.mime);
    json = hall_val_json(req->pool, v, NULL);
    res = hall_db_exec(req->cx, "flow_file_upload", HALL_I64(hall_dbres_int(o, 0, "id")),
                       HALL_I64(req->user_id), HALL_STR(kind), HALL_STR(st.name), HALL_STR(st.mime),
                       HALL_I64((int64_t)st.size), HALL_BIN(st.sha256, 32),
                       HALL_I64(req->app->conf.upload_daily_max), HALL_STR(hall_req_actor(req)),
                       HALL_STR(json), req->remote_addr ? HALL_STR(req->remote_addr) : HALL_NULLP,
                       req->request_id ? HALL_STR(req->request_id) : HALL_NULLP, HALL_I64(rev));
    if (res == NULL || hall_dbres_rows(res) < 1)
        goto fail;
    if (strcmp(hall_dbres_str(res, 0, "outcome"), "stored") != 0) {
        const char *outcome = hall_dbres_str(res, 0, "outcome");

        hall_file_discard(req->cx, st.name);
        if (strcmp(outcome, "capped") == 0)
            return hall_msg(req, HALL_M_UPLOAD_CAP, "file", req->app->conf.upload_daily_max);
        if (strcmp(outcome, "edited") == 0)
            return hall_msg(req, HALL_M_UPLOAD_ORDER_EDITED, "file");
        return hall_msg(req, HALL_M_ORDER_LOCKED, NULL);
    }
    /* committed, the replaced rows marked removed with it: their files go,
     * without the answer waiting for the file system */
    for (i = 0; i < hall_dbres_rows(res); i++)
        hall_file_discard_later(req->cx, hall_dbres_str(res, i, "old_name"));
    hall_dbres_set(req->pool, v, res, 0, "file_id");
    hall_val_set_str(req->pool, v, "message", hall_msg_text(req->pool, HALL_M_UPLOAD_DONE, label));
    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, hall_flow_url(req, "/upload?id=%s", oid));
    return hall_resp_ok(req, v);
fail:
    /* no row points at the file, or one may (the connection broke with the
     * upload's statement in flight: its outcome unknown, the file kept for
     * the orphan sweep to judge by the row) */
    hall_file_discard(req->cx, st.name);
    return HALL_ERR;
}

void
hall_flow_files_discard(struct hall_req *req, struct hall_dbres *res, const char *id_col,
                        const char *name_col)
{
    struct hall_buf *removed = hall_buf_new(req->pool, 4096);
    int i;

    for (i = 0; i < hall_dbres_rows(res); i++) {
        if (hall_dbres_str(res, i, id_col) == NULL)
            continue;
        /* their rows committed as replaced: removed whatever else this
         * request did (hall_file_discard is for rows that did not commit) */
        hall_file_discard_later(req->cx, hall_dbres_str(res, i, name_col));
        hall_buf_printf(removed, "%s%s", removed->len == 0 ? "{" : ",",
                        hall_dbres_str(res, i, id_col));
    }
    if (removed->len > 0) {
        hall_buf_addstr(removed, "}");
        (void)hall_db_exec(req->cx, "flow_files_removed", HALL_STR(removed->data));
    }
}

static int
file_download(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *res;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK || id <= 0)
        return hall_msg(req, HALL_M_FILE_NOT_FOUND, NULL);
    res = hall_db_exec(req->cx, "flow_file_get", HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_FILE_NOT_FOUND, NULL);
    return hall_resp_stored(req, hall_dbres_str(res, 0, "stored_name"),
                            hall_dbres_str(res, 0, "mime"),
                            hall_psprintf(req->pool, "%s-%s.%s", hall_dbres_str(res, 0, "order_no"),
                                          hall_dbres_str(res, 0, "kind"),
                                          hall_file_ext(hall_dbres_str(res, 0, "mime"))));
}

static int
do_uploaded(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req), *files;
    struct hall_val *asked = hall_val_set_list(req->pool, hall_val_obj(req->pool), "m"), *m;
    struct hall_errors e = {NULL, NULL, 0, 0};
    const char *oid;
    int i, n;

    if (o == NULL)
        return HALL_OK;
    oid = hall_dbres_str(o, 0, "id");
    if (!hall_flow_editable(o))
        return hall_msg(req, HALL_M_ORDER_NO_SUBMIT, NULL);
    files = hall_db_exec(req->cx, "flow_files_list", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (files == NULL)
        return HALL_ERR;
    if (order_materials(req, o, asked) != HALL_OK)
        return HALL_OK;
    n = hall_dbres_rows(files);
    for (m = asked->first; m != NULL; m = m->next) {
        const char *kind = hall_val_str(m, "kind");
        int have = 0;

        for (i = 0; i < n; i++)
            if (strcmp(hall_dbres_str(files, i, "kind"), kind) == 0)
                have = 1;
        if (!have)
            hall_msg_add(req, &e, HALL_M_UPLOAD_MISSING, kind, hall_val_str(m, "label"));
    }
    if (hall_flow_current()->order_ready != NULL &&
        hall_flow_current()->order_ready(req, hall_dbres_int(o, 0, "id"), &e) != HALL_OK)
        return hall_req_failed(req);
    if (e.n > 0)
        return hall_resp_errors(req, &e);
    if (strcmp(hall_dbres_str(o, 0, "status"), "rejected") == 0) {
        /* a fixed rejected order goes back to the reviewers (重新提交) */
        struct hall_val *d = hall_val_obj(req->pool);
        int r;

        hall_dbres_set(req->pool, d, o, 0, "form_rev:i");
        if (hall_db_begin(req->cx) != HALL_OK)
            return HALL_ERR;
        r = hall_order_move(req->cx, hall_dbres_int(o, 0, "id"), "rejected", "review",
                            hall_req_actor(req), d);
        if (r == HALL_CONFLICT)
            return hall_msg(req, HALL_M_ORDER_NO_SUBMIT, NULL);
        /* again under the order's lock: an edit in another tab since */
        if (r == HALL_OK && hall_flow_current()->order_ready != NULL) {
            struct hall_errors late = {NULL, NULL, 0, 0};

            if (hall_flow_current()->order_ready(req, hall_dbres_int(o, 0, "id"), &late) != HALL_OK)
                return hall_req_failed(req);
            if (late.n > 0) {
                hall_db_rollback(req->cx);
                return hall_resp_errors(req, &late);
            }
        }
        if (r != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
            return hall_req_failed(req);
        return hall_resp_go(
            req, hall_psprintf(req->pool, "%s/center/order?id=%s", hall_req_base(req), oid), NULL);
    }
    if (hall_order_step(req->cx, hall_dbres_int(o, 0, "id"), "print,upload", "upload") != HALL_OK)
        return hall_req_failed(req);
    return hall_resp_go(req, hall_flow_url(req, "/identity?id=%s", oid), NULL);
}

/* 重新提交审核: only a rejected order; the same checks as the upload step */
static int
do_resubmit(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req);

    if (o == NULL)
        return HALL_OK;
    if (strcmp(hall_dbres_str(o, 0, "status"), "rejected") != 0)
        return hall_msg(req, HALL_M_RESUBMIT_REJECTED_ONLY, NULL);
    return do_uploaded(req);
}

/* below the flow's path (hall_flow_main) */
const struct hall_route flow_upload_routes[] = {
    {"GET", "/upload", upload_page, HALL_R_AUTH, NULL},
    {"POST", "/upload", do_upload, HALL_R_AUTH | HALL_R_MULTIPART | HALL_R_ENCRYPTED,
     upload_params},
    {"GET", "/file", file_download, HALL_R_AUTH, NULL},
    {"POST", "/uploaded", do_uploaded, HALL_R_AUTH, flow_id_params},
    {"POST", "/resubmit", do_resubmit, HALL_R_AUTH, flow_id_params},
    {NULL, NULL, NULL, 0, NULL},
};
