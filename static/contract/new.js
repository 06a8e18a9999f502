/*
 * 发起签署 (templates/contract_new.html): the parties as rows — 单位 (名称,
 * 统一社会信用代码) or 个人 (姓名), the mobile it logs in with, its 签署区
 * (page, x and y in mm from the page's top-left corner) — written into the
 * form's `parties` field (JSON) on submit.  Without this script the field
 * is typed as JSON.
 */
const form = document.getElementById('contract-new-form');
const list = document.getElementById('contract-party-rows');
const field = form && form.elements.parties;
let n = 0;

function input(label, name, attrs = {}) {
    const l = document.createElement('label');
    l.textContent = `${label} `;
    const i = document.createElement(attrs.tag || 'input');
    i.name = `p_${name}`;
    for (const [k, v] of Object.entries(attrs))
        if (k !== 'tag' && k !== 'options')
            i.setAttribute(k, v);
    for (const [v, t] of attrs.options || []) {
        const o = document.createElement('option');
        o.value = v;
        o.textContent = t;
        i.append(o);
    }
    l.append(i);
    return l;
}

function addRow() {
    n += 1;
    const row = document.createElement('fieldset');
    row.className = 'contract-party';
    const legend = document.createElement('legend');
    legend.textContent = `签署方${n}`;
    row.append(legend,
        input('类型', 'kind', { tag: 'select', options: [['org', '单位'], ['person', '个人']] }),
        input('名称或姓名', 'name', { maxlength: '100', required: '' }),
        input('统一社会信用代码（单位）', 'uscc', { maxlength: '18' }),
        input('手机号码', 'mobile', { maxlength: '11', inputmode: 'numeric', required: '' }),
        input('签署区页码', 'page', { type: 'number', min: '1', value: '1' }),
        input('x（毫米）', 'x', { type: 'number', min: '0', step: '0.1', value: '150' }),
        input('y（毫米）', 'y', { type: 'number', min: '0', step: '0.1', value: '240' }));
    list.append(row);
}

if (form && list && field) {
    field.closest('p').hidden = true;
    field.required = false;
    list.hidden = false;
    document.getElementById('contract-party-add').hidden = false;
    document.getElementById('contract-party-add').addEventListener('click', addRow);
    addRow();
    form.addEventListener('submit', () => {
        const v = (row, k) => row.querySelector(`[name=p_${k}]`).value.trim();
        field.value = JSON.stringify([...list.querySelectorAll('.contract-party')].map((row) => {
            const p = { kind: v(row, 'kind'), name: v(row, 'name'), mobile: v(row, 'mobile'),
                page: v(row, 'page'), x: v(row, 'x'), y: v(row, 'y') };
            if (p.kind === 'org')
                p.uscc = v(row, 'uscc');
            return p;
        }));
    });
}
