// diachinh citizen pages: online submission with documents, tracking by number and secret,
// certificate verification (QR text or serial), a parcel's status. Everything in Vietnamese;
// the server's problem texts are asked for in Vietnamese too (Accept-Language: vi). Nothing is
// loaded from another site.
'use strict';

(function () {
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    node.append(...children.filter((c) => c != null));
    return node;
  };
  const date = (d) => (d ? new Date(d).toLocaleDateString('vi-VN') : '—');
  const HEADERS = { Accept: 'application/json', 'Accept-Language': 'vi' };

  /** A problem+json answer as an Error: its Vietnamese detail, and the field errors. */
  async function call(path, options = {}) {
    const response = await fetch(path, { ...options, headers: { ...HEADERS, ...(options.headers || {}) } });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error((body && (body.detail || body.title)) || `Lỗi ${response.status}`);
      error.status = response.status;
      error.problem = body;
      throw error;
    }
    return body;
  }

  function showError(target, error) {
    const items = ((error.problem && error.problem.errors) || []).map((e) => el('li', { 'data-field': (e.pointer || e.parameter || '').replace(/^\//, '') }, e.message));
    target.replaceChildren(el('div', { class: 'error', role: 'alert' },
      el('p', {}, error.message), items.length > 1 ? el('ul', {}, ...items) : null));
  }

  const table = (rows) => el('table', {}, ...rows.filter(Boolean).map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v == null ? '—' : v))));

  // ---- online submission ----------------------------------------------------------------
  const form = document.getElementById('submit-form');
  const docs = document.getElementById('documents');
  const result = document.getElementById('submit-result');
  let procedures = [];

  function renderDocuments() {
    const p = procedures.find((x) => x.code === form.elements.procedure.value);
    if (!p) {
      docs.replaceChildren(el('p', { class: 'hint' }, 'Chọn thủ tục để xem các giấy tờ cần nộp.'));
      return;
    }
    docs.replaceChildren(...p.required_documents.map((title, i) => el('label', {},
      `${i + 1}. ${title} `,
      el('input', { type: 'file', name: `document_${i + 1}`, accept: 'application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png', multiple: '' }))));
  }

  form.elements.procedure.addEventListener('change', renderDocuments);
  for (const radio of form.querySelectorAll('input[name=return_method]')) {
    radio.addEventListener('change', () => {
      document.getElementById('postal-label').hidden = form.elements.return_method.value !== 'postal';
    });
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    const data = new FormData();
    for (const input of form.elements) {
      if (!input.name || input.disabled) continue;
      if (input.type === 'file') {
        for (const file of input.files) data.append(input.name, file, file.name);
      } else if (input.type === 'radio') {
        if (input.checked) data.append(input.name, input.value);
      } else if (input.value.trim() !== '' && !(input.name === 'postal_address' && form.elements.return_method.value !== 'postal')) {
        data.append(input.name, input.value.trim());
      }
    }
    result.replaceChildren(el('p', {}, 'Đang gửi hồ sơ…'));
    try {
      const receipt = await call('/submissions', { method: 'POST', body: data });
      result.replaceChildren(el('div', { class: 'receipt', id: 'receipt' },
        el('p', { class: 'ok' }, 'Hồ sơ đã được gửi. Vui lòng lưu lại số hồ sơ và mã bí mật để tra cứu.'),
        table([
          ['Số hồ sơ', el('strong', { id: 'submission-no' }, receipt.submission_no)],
          ['Mã bí mật', el('span', { class: 'secret', id: 'submission-secret' }, receipt.secret)],
          ['Thủ tục', receipt.procedure.name],
          ['Trạng thái', receipt.state_label],
          ['Hạn tiếp nhận', date(receipt.respond_by)],
          ['Giấy tờ đã nộp', String(receipt.documents.length)],
        ])));
    } catch (error) {
      for (const e of (error.problem && error.problem.errors) || []) {
        const name = (e.pointer || '').replace(/^\//, '');
        const input = name && form.elements[name];
        if (input && input.setAttribute) input.setAttribute('aria-invalid', 'true');
      }
      showError(result, error);
    }
  });

  // ---- tracking -------------------------------------------------------------------------
  const trackResult = document.getElementById('track-result');

  function dossierRows(d) {
    return [
      ['Số biên nhận', d.receipt_no],
      ['Thủ tục', d.procedure.name],
      ['Trạng thái', d.state_label],
      ['Đơn vị đang xử lý', d.holder.label],
      ['Ngày tiếp nhận', date(d.received_at)],
      ['Ngày hẹn trả kết quả', date(d.promised_date)],
      d.late ? ['Tình trạng', 'Quá hạn'] : null,
      d.return_tracking_number ? ['Số hiệu bưu gửi', d.return_tracking_number] : null,
    ];
  }

  document.getElementById('track-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const f = new FormData(event.target);
    const number = f.get('number').trim();
    const secret = f.get('secret').trim();
    trackResult.replaceChildren(el('p', {}, 'Đang tra cứu…'));
    try {
      if (number.toUpperCase().startsWith('TT.')) {
        const s = await call(`/submissions/track/${encodeURIComponent(number.toUpperCase())}?secret=${encodeURIComponent(secret)}`);
        trackResult.replaceChildren(el('div', { id: 'tracked', 'data-state': s.state },
          table([
            ['Số hồ sơ trực tuyến', s.submission_no],
            ['Thủ tục', s.procedure.name],
            ['Trạng thái', s.state_label],
            ['Ngày nộp', date(s.submitted_at)],
            s.refusal ? ['Lý do từ chối', el('span', { id: 'refusal' }, s.refusal.text)] : null,
            ...(s.dossier ? dossierRows(s.dossier) : []),
          ])));
      } else {
        const d = await call(`/dossiers/track/${encodeURIComponent(number)}?code=${encodeURIComponent(secret)}`);
        trackResult.replaceChildren(el('div', { id: 'tracked', 'data-state': d.state }, table(dossierRows(d))));
      }
    } catch (error) {
      showError(trackResult, error);
    }
  });

  // ---- certificate verification -----------------------------------------------------------
  const verifyResult = document.getElementById('verify-result');
  const STATUS = { valid: 'Còn hiệu lực', revoked: 'Đã thu hồi', replaced: 'Đã được thay thế' };

  /** The serial and the QR's h, k, s from pasted QR text (a URL) or a typed serial. */
  function parseQr(text) {
    const t = text.trim();
    const at = t.indexOf('/certificates/verify/');
    if (at < 0) return { serial: t.replace(/\s+/g, '').toUpperCase(), query: '' };
    const url = new URL(t.slice(at), window.location.origin);
    const serial = decodeURIComponent(url.pathname.split('/').pop());
    const query = new URLSearchParams();
    for (const k of ['h', 'k', 's']) if (url.searchParams.get(k)) query.set(k, url.searchParams.get(k));
    return { serial, query: query.toString() };
  }

  document.getElementById('verify-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { serial, query } = parseQr(new FormData(event.target).get('qr'));
    verifyResult.replaceChildren(el('p', {}, 'Đang xác thực…'));
    try {
      const v = await call(`/certificates/verify/${encodeURIComponent(serial)}${query ? `?${query}` : ''}`);
      verifyResult.replaceChildren(el('div', { id: 'verified', 'data-valid': String(v.valid) },
        el('p', { class: v.valid ? 'ok' : 'error' }, v.valid ? 'Giấy chứng nhận hợp lệ, còn hiệu lực.' : 'Giấy chứng nhận không còn hiệu lực.'),
        table([
          ['Số phát hành', v.serial],
          ['Tình trạng', STATUS[v.status] || v.status],
          ['Ngày cấp', date(v.issued_on)],
          ['Cơ quan cấp', v.authority],
          ['Mã thửa đất', v.national_parcel_id],
          ['Người sử dụng đất', v.holders.map((h) => h.name).join(', ')],
          v.content_current == null ? null : ['Nội dung mã QR', v.content_current ? 'Khớp với dữ liệu hiện tại' : 'Đã có thay đổi sau khi in'],
        ])));
    } catch (error) {
      showError(verifyResult, error);
    }
  });

  // ---- a parcel's status ----------------------------------------------------------------------
  const parcelResult = document.getElementById('parcel-result');
  document.getElementById('parcel-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const f = new FormData(event.target);
    const query = new URLSearchParams({ commune: f.get('commune').trim(), sheet: f.get('sheet').trim(), parcel: f.get('parcel').trim() });
    parcelResult.replaceChildren(el('p', {}, 'Đang tra cứu…'));
    try {
      const feature = await call(`/parcels/lookup?${query}`);
      const p = feature.properties;
      const yes = (b) => (b ? 'Có' : 'Không');
      parcelResult.replaceChildren(el('div', { id: 'parcel-status', 'data-parcel': p.national_id },
        el('h3', {}, `Thửa đất số ${p.parcel}, tờ bản đồ số ${p.sheet}`),
        table([
          ['Mã thửa đất', p.national_id],
          ['Xã, phường', `${p.commune_name} (${p.commune_code})`],
          ['Diện tích', p.legal_area_m2 == null ? '—' : `${new Intl.NumberFormat('vi-VN').format(p.legal_area_m2)} m²`],
          ['Mục đích sử dụng', (p.land_uses || []).map((u) => u.code).join(', ')],
          ['Giấy chứng nhận', p.certificate ? `${STATUS[p.certificate.status] || p.certificate.status}, số ${p.certificate.serial}` : 'Chưa cấp'],
          ['Đang chờ cấp Giấy chứng nhận', yes(p.certificate_pending)],
          ['Đang thế chấp', yes(p.has_mortgage)],
          ['Bị hạn chế quyền (kê biên, tranh chấp…)', yes(p.restricted)],
        ]),
        el('p', {}, el('a', { href: '/map' }, 'Xem trên bản đồ'))));
    } catch (error) {
      showError(parcelResult, error);
    }
  });

  // ---- start ----------------------------------------------------------------------------------
  (async () => {
    const params = new URLSearchParams(window.location.search);
    if (params.get('parcel')) form.elements.parcel.value = params.get('parcel');
    if (params.get('commune')) form.elements.commune.value = params.get('commune');
    try {
      procedures = (await call('/procedures')).procedures.filter((p) => p.online_level === 'full' || p.online_level === 'partial');
      for (const p of procedures) {
        form.elements.procedure.append(el('option', { value: p.code },
          `${p.name} (${p.online_level === 'full' ? 'toàn trình' : 'một phần'}, ${p.working_days} ngày làm việc)`));
      }
    } catch (error) {
      showError(result, error);
    }
    document.body.dataset.ready = '1';
  })();
})();
