// diachinh web map: parcels and approved planning zones as vector tiles from this server,
// a parcel card (status, certificate, planning impact) from our JSON endpoints, search by
// commune + sheet + parcel, and dossier tracking by receipt number. No other site is
// contacted: no CDN, no basemap, no web fonts (so no text labels on the map).
'use strict';

(function () {
  const origin = window.location.origin;
  const api = (path) => origin + path;

  // Mã loại đất → colour and name. Colours approximate the conventional planning-map legend;
  // the official RGB table was not found (DOMAIN.md §2, [U]), so they are kept here, in one place.
  const LAND_USES = [
    ['ODT', '#ff9cf0', 'Đất ở tại đô thị'],
    ['ONT', '#ffc8f5', 'Đất ở tại nông thôn'],
    ['LUC', '#fffc82', 'Đất chuyên trồng lúa'],
    ['LUK', '#ffffb4', 'Đất trồng lúa còn lại'],
    ['HNK', '#fff0b4', 'Đất trồng cây hằng năm khác'],
    ['CLN', '#ffd2a0', 'Đất trồng cây lâu năm'],
    ['NTS', '#aaffff', 'Đất nuôi trồng thủy sản'],
    ['RSX', '#b4ffb4', 'Đất rừng sản xuất'],
    ['TSC', '#ff8c78', 'Đất trụ sở cơ quan'],
    ['DGD', '#ffa0aa', 'Đất cơ sở giáo dục và đào tạo'],
    ['DYT', '#ffa0b4', 'Đất cơ sở y tế'],
    ['DVH', '#ffa08c', 'Đất cơ sở văn hóa'],
    ['DTT', '#ffb4c8', 'Đất cơ sở thể dục thể thao'],
    ['TMD', '#fa8282', 'Đất thương mại dịch vụ'],
    ['SKC', '#f07878', 'Đất cơ sở sản xuất phi nông nghiệp'],
    ['DKV', '#9be69b', 'Đất khu vui chơi, sinh hoạt cộng đồng'],
    ['DGT', '#f5a05a', 'Đất công trình giao thông'],
    ['DTL', '#a0dcff', 'Đất công trình thủy lợi'],
    ['SON', '#a0dcff', 'Đất sông ngòi, kênh rạch'],
    ['NTD', '#d2d2d2', 'Đất nghĩa trang'],
    ['TON', '#e6c8ff', 'Đất tôn giáo'],
  ];
  const OTHER_COLOUR = '#dddddd';
  const NAMES = Object.fromEntries(LAND_USES.map(([code, , name]) => [code, name]));
  const colourBy = ['match', ['get', 'land_use']];
  for (const [code, colour] of LAND_USES) colourBy.push(code, colour);
  colourBy.push(OTHER_COLOUR);

  const legend = document.getElementById('legend');
  for (const [code, colour, name] of LAND_USES) {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colour;
    li.append(swatch, `${code} — ${name}`);
    legend.append(li);
  }

  const number = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 });
  const m2 = (v) => (v == null ? '—' : `${number.format(v)} m²`);
  const date = (d) => (d ? new Date(d).toLocaleDateString('vi-VN') : '—');
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    node.append(...children.filter((c) => c != null));
    return node;
  };

  /** GET a JSON resource; on failure throws an Error carrying the problem+json `detail` (asked for
   *  in Vietnamese: the server's problem texts follow Accept-Language). */
  async function getJson(path) {
    const response = await fetch(api(path), { headers: { Accept: 'application/json', 'Accept-Language': 'vi' } });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const detail = body && (body.detail || body.title);
      const error = new Error(detail || `Lỗi ${response.status}`);
      error.status = response.status;
      error.problem = body;
      throw error;
    }
    return body;
  }

  // ---- the map --------------------------------------------------------------------------
  const map = new maplibregl.Map({
    container: 'map',
    hash: true,
    center: [105.9739, 9.6009], // the Sóc Trăng sample commune (synthetic data)
    zoom: 17,
    maxZoom: 22,
    attributionControl: { compact: true },
    style: {
      version: 8,
      sources: {
        parcels: { type: 'vector', url: api('/tiles/parcels.json') },
        planning: { type: 'vector', url: api('/tiles/planning-zones.json') },
      },
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } },
        {
          id: 'planning-fill', type: 'fill', source: 'planning', 'source-layer': 'planning-zones',
          paint: { 'fill-color': colourBy, 'fill-opacity': 0.35 },
        },
        {
          id: 'planning-line', type: 'line', source: 'planning', 'source-layer': 'planning-zones',
          paint: { 'line-color': '#7a2d8c', 'line-width': 2, 'line-dasharray': [3, 2] },
        },
        {
          id: 'parcels-fill', type: 'fill', source: 'parcels', 'source-layer': 'parcels',
          paint: { 'fill-color': colourBy, 'fill-opacity': 0.55 },
        },
        {
          id: 'parcels-line', type: 'line', source: 'parcels', 'source-layer': 'parcels',
          paint: { 'line-color': '#555', 'line-width': ['interpolate', ['linear'], ['zoom'], 14, 0.3, 18, 1.2] },
        },
        {
          id: 'parcels-selected', type: 'line', source: 'parcels', 'source-layer': 'parcels',
          filter: ['==', ['get', 'national_id'], ''],
          paint: { 'line-color': '#d40000', 'line-width': 3 },
        },
      ],
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }));
  window.diachinh = { map, showParcel };
  map.on('load', () => { document.body.dataset.mapReady = '1'; });

  function setVisible(layers, visible) {
    for (const id of layers) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }
  document.getElementById('show-parcels').addEventListener('change', (e) =>
    setVisible(['parcels-fill', 'parcels-line', 'parcels-selected'], e.target.checked));
  document.getElementById('show-planning').addEventListener('change', (e) =>
    setVisible(['planning-fill', 'planning-line'], e.target.checked));

  map.on('mouseenter', 'parcels-fill', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'parcels-fill', () => { map.getCanvas().style.cursor = ''; });
  map.on('click', 'parcels-fill', (e) => {
    const feature = e.features && e.features[0];
    if (feature && feature.properties.national_id) showParcel(feature.properties.national_id);
  });

  function bounds(geometry) {
    const b = new maplibregl.LngLatBounds();
    const walk = (c) => (typeof c[0] === 'number' ? b.extend(c) : c.forEach(walk));
    walk(geometry.coordinates);
    return b;
  }

  // ---- the parcel card --------------------------------------------------------------------
  const card = document.getElementById('card');
  const CERTIFICATE = {
    valid: ['Còn hiệu lực', 'ok'],
    revoked: ['Đã thu hồi', 'bad'],
    replaced: ['Đã được thay thế', 'warn'],
  };

  function showError(target, error) {
    target.replaceChildren(el('p', { class: 'error' }, error.message));
    target.hidden = false;
  }

  async function showParcel(nationalId) {
    map.setFilter('parcels-selected', ['==', ['get', 'national_id'], nationalId]);
    card.hidden = false;
    card.replaceChildren(el('p', {}, 'Đang tải…'));
    try {
      const [parcel, planning] = await Promise.all([
        getJson(`/parcels/${encodeURIComponent(nationalId)}`),
        getJson(`/parcels/${encodeURIComponent(nationalId)}/planning`),
      ]);
      renderCard(parcel, planning);
      return parcel;
    } catch (error) {
      showError(card, error);
      return null;
    }
  }

  function renderCard(parcel, planning) {
    const p = parcel.properties;
    const rows = [];
    const row = (label, ...value) => rows.push(el('tr', {}, el('th', {}, label), el('td', {}, ...value)));
    row('Mã định danh', p.national_id);
    row('Xã/phường', `${p.commune_name} (${p.commune_code})`);
    if (p.registered_commune_code && p.registered_commune_code !== p.commune_code) row('Mã xã khi đăng ký', p.registered_commune_code);
    row('Diện tích', `${m2(p.legal_area_m2)} (mặt phẳng VN-2000)`);
    row('Mục đích sử dụng', p.land_uses.map((u) => `${u.code} ${m2(u.area_m2)}${NAMES[u.code] ? ' — ' + NAMES[u.code] : ''}`).join('; '));
    row('Tình trạng', p.valid_to ? `Đã kết thúc ${date(p.valid_to)}` : `Đang sử dụng, phiên bản ${p.version} từ ${date(p.valid_from)}`);
    if (p.holders && p.holders.length) row('Người sử dụng đất', p.holders.map((h) => h.name).join(', '));
    const cert = p.certificate;
    if (cert) {
      const [text, cls] = CERTIFICATE[cert.status] || [cert.status, 'warn'];
      row('Giấy chứng nhận', el('span', { class: `badge ${cls}`, 'data-certificate': cert.status }, text), ` số ${cert.serial}, cấp ${date(cert.issued_on)}`);
    } else {
      row('Giấy chứng nhận', el('span', { class: 'badge warn', 'data-certificate': 'none' }, 'Chưa cấp'));
    }
    const zones = planning.zones.map((z) =>
      el('tr', {},
        el('td', {}, `${z.land_use} — ${z.land_use_name}`),
        el('td', {}, `${m2(z.area_m2)} (${number.format(z.percent)} %)`),
        el('td', {}, z.conflicts_with_current
          ? el('span', { class: 'badge bad' }, 'Thay đổi mục đích')
          : el('span', { class: 'badge ok' }, 'Phù hợp'))));
    const plans = planning.plans.map((pl) => `${pl.name}; QĐ số ${pl.decision_no || '—'} ngày ${date(pl.decision_date)}`);
    card.replaceChildren(
      el('h3', {}, `Thửa đất số ${p.parcel}, tờ bản đồ số ${p.sheet}`),
      el('table', {}, ...rows),
      el('h3', {}, 'Thông tin quy hoạch'),
      planning.zones.length
        ? el('table', { class: 'planning' }, ...zones)
        : el('p', {}, 'Thửa đất không nằm trong vùng quy hoạch đã phê duyệt nào.'),
      plans.length ? el('p', { class: 'hint' }, ...plans) : null,
      el('p', { class: 'hint' }, 'Diện tích quy hoạch tính trên mặt ellipsoid WGS 84.'),
      p.synthetic ? el('p', { class: 'synthetic' }, 'Dữ liệu mẫu tổng hợp — không phải thửa đất thật.') : null,
      el('p', {}, el('a', {
        id: 'submit-online',
        href: `/citizen?${new URLSearchParams({ parcel: p.national_id, commune: p.commune_code })}#nop-ho-so`,
      }, 'Nộp hồ sơ trực tuyến cho thửa đất này')),
    );
    card.dataset.parcel = p.national_id;
  }

  // ---- search by commune + sheet + parcel ---------------------------------------------------
  document.getElementById('search').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const query = new URLSearchParams({ commune: form.get('commune').trim(), sheet: form.get('sheet'), parcel: form.get('parcel') });
    card.hidden = false;
    card.replaceChildren(el('p', {}, 'Đang tìm…'));
    try {
      const parcel = await getJson(`/parcels/lookup?${query}`);
      map.fitBounds(bounds(parcel.geometry), { padding: 80, maxZoom: 19, duration: 0 });
      await showParcel(parcel.id);
    } catch (error) {
      showError(card, error);
    }
  });

  // ---- go to a sample commune ---------------------------------------------------------------
  document.getElementById('goto').addEventListener('change', async (event) => {
    try {
      const commune = await getJson(`/collections/communes/items/${encodeURIComponent(event.target.value)}`);
      if (commune.geometry) map.fitBounds(bounds(commune.geometry), { padding: 20, duration: 0 });
      document.querySelector('#search input[name=commune]').value = event.target.value;
    } catch (error) {
      showError(card, error);
    }
  });

  // ---- dossier tracking -----------------------------------------------------------------------
  const dossier = document.getElementById('dossier');
  const DOSSIER_LABELS = {
    receipt_no: 'Số biên nhận', procedure_code: 'Mã thủ tục', procedure: 'Thủ tục', procedure_name: 'Thủ tục',
    state: 'Trạng thái', status: 'Trạng thái', received_at: 'Ngày nhận', due_on: 'Hẹn trả kết quả',
    due_date: 'Hẹn trả kết quả', returned_at: 'Ngày trả', channel: 'Hình thức nộp', overdue: 'Quá hạn',
  };
  document.getElementById('track').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const receipt = form.get('receipt').trim();
    const code = (form.get('code') || '').trim();
    dossier.replaceChildren(el('p', {}, 'Đang tra cứu…'));
    try {
      const body = await getJson(`/dossiers/track/${encodeURIComponent(receipt)}?code=${encodeURIComponent(code)}`);
      const rows = Object.entries(body)
        .filter(([, v]) => v == null || typeof v !== 'object')
        .map(([k, v]) => el('tr', {}, el('td', {}, DOSSIER_LABELS[k] || k), el('td', {}, v == null ? '—' : String(v))));
      dossier.replaceChildren(el('table', {}, ...rows));
    } catch (error) {
      showError(dossier, error);
    }
  });
})();
