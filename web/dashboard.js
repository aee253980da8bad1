// diachinh one-stop dashboard: the timeliness yardsticks from /stats/timeliness and the queue
// from /stats/queue, drawn as SVG by this file (no chart library, nothing from another site).
// Every number shown keeps its raw value in a data-value attribute, so the browser test can
// compare the page with the API.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const params = new URLSearchParams(window.location.search);
  const FILTERS = ['province', 'commune', 'procedure', 'from', 'to'];

  // Vietnamese number format: decimal comma, one decimal.
  const fmt = (x, digits = 1) => (x === null || x === undefined ? '–' : x.toFixed(digits).replace('.', ','));
  const pct = (x) => (x === null || x === undefined ? '–' : `${fmt(x)} %`);
  const day = (iso) => { const [y, m, d] = iso.split('-'); return `${d}/${m}/${y}`; };
  const shorten = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function get(path) {
    const response = await fetch(path, { headers: { Accept: 'application/json' } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || body.title || `HTTP ${response.status}`);
    return body;
  }

  function query(names) {
    const q = new URLSearchParams();
    for (const name of names) if (params.get(name)) q.set(name, params.get(name));
    const text = q.toString();
    return text ? `?${text}` : '';
  }

  function card(id, value, display, sub, source, flagged) {
    const node = document.getElementById(id);
    const v = node.querySelector('.value');
    v.textContent = display;
    v.dataset.value = value === null || value === undefined ? '' : String(value);
    node.querySelector('.sub').textContent = sub;
    node.querySelector('.source').textContent = `Nguồn: ${source}`;
    node.classList.toggle('flagged', Boolean(flagged));
  }

  // A vertical bar chart of percentages with an optional line series and a target line.
  function monthChart(target, rows) {
    const width = 900, height = 260, left = 40, bottom = 40, top = 10;
    const plotH = height - bottom - top;
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Tỷ lệ đúng hạn theo tháng' });
    const y = (p) => top + plotH * (1 - p / 100);
    for (const tick of [0, 25, 50, 75, 100]) {
      root.append(svg('line', { x1: left, x2: width - 5, y1: y(tick), y2: y(tick), stroke: '#e3e3e3' }));
      root.append(svg('text', { x: left - 6, y: y(tick) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#555' }, `${tick}`));
    }
    const step = (width - left - 10) / Math.max(rows.length, 1);
    const points = [];
    rows.forEach((row, i) => {
      const x = left + i * step + step * 0.15;
      const w = step * 0.7;
      if (row.office_rate_pct !== null) {
        const bar = svg('rect', { class: 'bar', x, y: y(row.office_rate_pct), width: w, height: plotH * row.office_rate_pct / 100, fill: '#1d4e89' });
        bar.dataset.key = row.key;
        bar.dataset.value = String(row.office_rate_pct);
        bar.append(svg('title', {}, `${row.key}: ${pct(row.office_rate_pct)} (${row.early + row.on_time}/${row.resolved})`));
        root.append(bar);
      }
      if (row.index_progress_pct !== null) points.push([x + w / 2, y(row.index_progress_pct)]);
      const [yy, mm] = row.key.split('-');
      root.append(svg('text', { x: x + w / 2, y: height - bottom + 14, 'text-anchor': 'middle', 'font-size': 11, fill: '#333' }, `${mm}/${yy.slice(2)}`));
      root.append(svg('text', { x: x + w / 2, y: height - bottom + 28, 'text-anchor': 'middle', 'font-size': 10, fill: '#777' }, `${row.received} hs`));
    });
    if (points.length > 1) {
      root.append(svg('polyline', { points: points.map((p) => p.join(',')).join(' '), fill: 'none', stroke: '#e08a00', 'stroke-width': 2 }));
    }
    for (const [px, py] of points) root.append(svg('circle', { cx: px, cy: py, r: 3, fill: '#e08a00' }));
    root.append(svg('line', { x1: left, x2: width - 5, y1: y(95), y2: y(95), stroke: '#a40000', 'stroke-dasharray': '6 4' }));
    target.replaceChildren(root);
  }

  // Horizontal bars, one per row: label, value and the bar.
  function barChart(target, rows, { max, unit, colour, aria, width = 900, labelW = 420 }) {
    const rowH = 24, valueW = 80;
    const height = Math.max(rows.length, 1) * rowH + 6;
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': aria });
    const top = max || Math.max(1, ...rows.map((r) => r.value || 0));
    rows.forEach((row, i) => {
      const yy = 3 + i * rowH;
      root.append(svg('text', { x: labelW - 6, y: yy + 15, 'text-anchor': 'end', 'font-size': 12, fill: '#333' }, row.label));
      const w = (width - labelW - valueW) * (row.value || 0) / top;
      const bar = svg('rect', { class: 'bar', x: labelW, y: yy + 3, width: Math.max(w, 0), height: rowH - 8, fill: row.colour || colour });
      bar.dataset.key = row.key;
      bar.dataset.value = String(row.value);
      root.append(bar);
      const text = row.value === null ? '–' : unit === '%' ? pct(row.value) : String(row.value);
      root.append(svg('text', { x: labelW + w + 6, y: yy + 15, 'font-size': 12, fill: '#333' }, text));
    });
    target.replaceChildren(root);
  }

  function showTimeliness(t) {
    const y = t.yardsticks;
    card('office-rate', y.office_rate.pct, pct(y.office_rate.pct),
      `${y.office_rate.numerator} trước hạn và đúng hạn / ${y.office_rate.denominator} đã giải quyết`, y.office_rate.source, false);
    card('index-progress', y.service_index_progress.pct, pct(y.service_index_progress.pct),
      `${y.service_index_progress.numerator} / ${y.service_index_progress.denominator} tiếp nhận — ${fmt(y.service_index_progress.points, 2)}/20 điểm`,
      y.service_index_progress.source, false);
    card('circular-score', y.circular_01_score.mean, fmt(y.circular_01_score.mean, 2),
      `${y.circular_01_score.score_sum} điểm / ${y.circular_01_score.resolved} hồ sơ (2 trước hạn, 1 đúng hạn, 0 trễ)`,
      y.circular_01_score.source, false);
    card('late-flag', y.late_flag.pct, pct(y.late_flag.pct),
      `${y.late_flag.late} / ${y.late_flag.resolved} trễ hạn${y.late_flag.flagged ? ` — vượt ngưỡng ${fmt(y.late_flag.threshold_pct)} %` : ''}`,
      y.late_flag.source, y.late_flag.flagged);
    card('apology', y.apology.without_apology, String(y.apology.without_apology),
      `${y.apology.late} hồ sơ trễ; ${y.apology.with_apology_in_time} có văn bản xin lỗi đúng hạn`, y.apology.source, y.apology.flagged);
    document.getElementById('as-of').textContent =
      `Số liệu ngày ${day(t.as_of)}: ${t.kpis.received} hồ sơ tiếp nhận, ${t.kpis.completed} đã giải quyết, ` +
      `${t.kpis.overdue_open} đang quá hạn, ${t.kpis.paused_open} đang tạm dừng.`;
    monthChart(document.getElementById('chart-month'), t.by_month);
    barChart(document.getElementById('chart-procedure'),
      t.by_procedure.map((r) => ({ key: r.key, label: shorten(`${r.key} ${r.label || ''}`, 56), value: r.office_rate_pct })),
      { max: 100, unit: '%', colour: '#1d4e89', aria: 'Tỷ lệ đúng hạn theo thủ tục' });
  }

  function showQueue(q) {
    const holders = q.by_holder;
    barChart(document.getElementById('chart-holder'),
      holders.map((h) => ({ key: h.unit, label: h.label, value: h.open, colour: h.overdue > 0 ? '#c0504d' : '#4f81bd' })),
      { unit: '', colour: '#4f81bd', aria: 'Hồ sơ theo đơn vị đang giữ', width: 560, labelW: 200 });
    const body = document.querySelector('#holders tbody');
    body.replaceChildren(...holders.map((h) => {
      const tr = el('tr', { 'data-unit': h.unit });
      tr.append(el('td', {}, h.label), el('td', { class: 'num' }, String(h.open)), el('td', { class: 'num' }, String(h.paused)),
        el('td', { class: h.overdue ? 'num bad' : 'num' }, String(h.overdue)));
      return tr;
    }));
    barChart(document.getElementById('chart-overdue'),
      q.overdue_buckets.map((b) => ({ key: b.label, label: `${b.label} ngày`, value: b.count })),
      { unit: '', colour: '#c0504d', aria: 'Hồ sơ quá hạn theo số ngày làm việc quá hạn', width: 560, labelW: 200 });
    const list = document.getElementById('apology-due');
    list.replaceChildren(...(q.apology_due_today.length
      ? q.apology_due_today.map((i) => el('li', {}, `${i.receipt_no} — ${i.procedure}, hẹn trả ${day(i.due_on)} (${i.holder.label})`))
      : [el('li', {}, 'Không có hồ sơ nào.')]));
    const rows = document.querySelector('#overdue tbody');
    rows.replaceChildren(...q.overdue.map((i) => {
      const tr = el('tr');
      tr.append(el('td', {}, i.receipt_no), el('td', {}, i.procedure), el('td', {}, i.commune || ''), el('td', {}, i.holder.label),
        el('td', {}, day(i.due_on)), el('td', { class: 'num bad' }, String(i.overdue_working_days)),
        el('td', { class: i.late_without_apology ? 'bad' : 'ok' }, i.late_without_apology ? 'chưa có' : 'đã gửi'));
      return tr;
    }));
  }

  function fillForm() {
    const form = document.getElementById('filter');
    for (const name of FILTERS) if (params.get(name)) form.elements[name].value = params.get(name);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const q = new URLSearchParams();
      for (const name of FILTERS) if (form.elements[name].value) q.set(name, form.elements[name].value);
      window.location.search = q.toString();
    });
  }

  async function main() {
    fillForm();
    try {
      const [t, q] = await Promise.all([
        get(`/stats/timeliness${query(FILTERS)}`),
        get(`/stats/queue${query(['province', 'commune', 'procedure'])}`),
      ]);
      showTimeliness(t);
      showQueue(q);
      document.body.dataset.ready = '1';
    } catch (e) {
      const box = document.getElementById('error');
      box.textContent = `Không tải được số liệu: ${e.message}`;
      box.hidden = false;
      document.body.dataset.ready = 'error';
    }
  }

  main();
})();
