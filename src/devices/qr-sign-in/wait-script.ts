// The sign-in page's one script: it looks at the QR request every two seconds and moves on when the app has
// decided, or offers a new code when it expired (said in the live #qr-status, so screen readers hear it). The policy allows exactly this text, by its hash (app.ts);
// without JavaScript the page's "continue" button leads to a waiting page that refreshes itself.
import { createHash } from 'node:crypto';

export const WAIT_SCRIPT = `(function () {
  var box = document.getElementById('app-sign-in');
  if (!box || !window.fetch) return;
  var status = document.getElementById('qr-status');
  function show(id, on) { var el = document.getElementById(id); if (el) el.hidden = !on; }
  function look() {
    fetch(box.getAttribute('data-status-url'), { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (s) {
        if (s.status === 'approved' || s.status === 'denied') { location.assign(box.getAttribute('data-wait-url')); return; }
        if (s.status === 'expired' || s.status === 'used') { show('qr-code', false); show('qr-continue', false); show('qr-expired', true); status.textContent = box.getAttribute('data-text-expired'); return; }
        if (s.status === 'scanned') status.textContent = box.getAttribute('data-text-scanned');
        setTimeout(look, 2000);
      }, function () { setTimeout(look, 4000); });
  }
  setTimeout(look, 2000);
})();`;

/** For the Content-Security-Policy's script-src. */
export const WAIT_SCRIPT_SOURCE = `'sha256-${createHash('sha256').update(WAIT_SCRIPT).digest('base64')}'`;
