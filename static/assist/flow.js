/*
 * The 证书助手's pages of an order (templates renew_assist.html,
 * change_assist.html, unlock_assist.html): once the one-time code is
 * shown, 用证书助手办理 has the assistant run the step with the hall itself
 * (bridge.js runFlow: hall-assist renew, change or unlock, the PIN asked by
 * its own dialog), the page showing that it runs and then the assistant's
 * own words; the page then reloads to show the order's new state.  The
 * command stays shown for those who use a terminal.
 */
const btn = document.getElementById('assist-run');
const out = document.getElementById('assist-run-out');

function show(text, output, err) {
    out.textContent = '';
    const p = document.createElement('p');
    p.className = err ? 'err' : 'ok';
    p.textContent = text;
    out.append(p);
    if (output) {
        const pre = document.createElement('pre');
        pre.className = 'assist-output';
        pre.tabIndex = 0;
        pre.textContent = output;
        out.append(pre);
    }
}

if (btn) {
    btn.addEventListener('click', async () => {
        btn.disabled = true;
        show('证书助手正在办理：请在证书助手弹出的对话框中输入PIN码，办理期间请勿拔出USB Key…');
        out.dataset.state = 'running';
        try {
            const B = await import('./bridge.js');
            await B.hello();
            const r = await B.runFlow({ verb: btn.dataset.verb, medium: btn.dataset.medium, ticket: btn.dataset.ticket });
            show('证书助手已办理完成：', r.output);
            out.dataset.state = 'done';
            const again = document.createElement('a');
            again.href = window.location.href;
            again.textContent = '刷新本页查看业务单状态';
            out.append(again);
        } catch (e) {
            show(e.message, e.output, true);
            out.dataset.state = 'failed';
            btn.disabled = false;
        }
    });
}
