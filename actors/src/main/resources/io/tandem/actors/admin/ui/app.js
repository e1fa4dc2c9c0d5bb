// Tandem's dashboard: plain JavaScript over the admin API (no library, no network beyond this server).
(function () {
  'use strict';
  const KEY = 'tandem-token';
  const SVG = 'http://www.w3.org/2000/svg';
  let selected = null;

  // A token in the address (#token=...) is kept for this tab and taken off the address.
  const m = /[#&]token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname);
  }

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, text) => {
    const e = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const fmt = (x, digits) => (x === undefined || x === null) ? '-' : Number(x).toFixed(digits);

  async function api(path) {
    const r = await fetch(path, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem(KEY) } });
    if (r.status === 401) {
      sessionStorage.removeItem(KEY);
      showLogin('the token was refused');
      throw new Error('unauthorized');
    }
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return r.json();
  }

  function showLogin(message) {
    $('main').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
  }

  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, $('token').value);
    $('login').hidden = true;
    refresh();
  });

  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
  }

  function drawMembers(cluster) {
    fill($('members').tBodies[0], (cluster.members || []).map((mem) => {
      const tr = el('tr', { class: 'member' });
      const devices = (mem.devices || []).map((d) => d.kind + (d.name ? ' ' + d.name : '')
        + (d.memoryBytes ? ' (' + (d.memoryBytes / 1073741824).toFixed(1) + ' GiB)' : ''));
      [mem.address, (mem.roles || []).join(', '), mem.status + (mem.reachable === false ? ' (unreachable)' : ''),
        devices.length ? devices.length + ' x ' + devices[0] : '-'].forEach((t) => tr.appendChild(el('td', {}, t)));
      return tr;
    }));
  }

  function drawJobs(jobs) {
    fill($('jobs').tBodies[0], jobs.map((j) => {
      const tr = el('tr', { class: 'job' + (j.id === selected ? ' selected' : ''), 'data-id': j.id });
      [j.id, j.status, j.step + '/' + j.steps, fmt(j.loss, 4), fmt(j.tokensPerSecond, 0), j.recoveries]
        .forEach((t) => tr.appendChild(el('td', {}, String(t))));
      tr.addEventListener('click', () => { selected = j.id; refresh(); });
      return tr;
    }));
  }

  function drawLoss(points) {
    const svg = $('loss');
    svg.replaceChildren();
    if (!points.length) return;
    const w = +svg.getAttribute('width'), h = +svg.getAttribute('height'), pad = 30;
    const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1), y0 = Math.min(...ys), y1 = Math.max(...ys, y0 + 1e-9);
    const sx = (x) => pad + (x - x0) / (x1 - x0) * (w - 2 * pad);
    const sy = (y) => h - pad - (y - y0) / (y1 - y0) * (h - 2 * pad);
    svg.appendChild(el('svg:polyline', { id: 'loss-line', points: points.map((p) => sx(p[0]) + ',' + sy(p[1])).join(' ') }));
    svg.appendChild(el('svg:text', { class: 'axis', x: 2, y: pad }, y1.toFixed(3)));
    svg.appendChild(el('svg:text', { class: 'axis', x: 2, y: h - pad }, y0.toFixed(3)));
    svg.appendChild(el('svg:text', { class: 'axis', x: w - pad - 20, y: h - 8 }, 'step ' + (x1 + 1)));
  }

  // One row per device, one rectangle per op, on a shared time axis (ms).
  function drawTimeline(svg, timeline, span) {
    svg.replaceChildren();
    const devices = (timeline && timeline.devices) || [];
    const w = +svg.getAttribute('width'), row = 18, left = 28;
    svg.setAttribute('height', Math.max(20, devices.length * row + 16));
    devices.forEach((d, i) => {
      svg.appendChild(el('svg:text', { class: 'axis', x: 2, y: i * row + 13 }, 'd' + d.device));
      d.ops.forEach((op) => {
        const x = left + op.start / span * (w - left - 4);
        const rect = el('svg:rect', { class: 'op op-' + op.op, 'data-device': d.device, x: x, y: i * row + 2,
          width: Math.max(1, (op.end - op.start) / span * (w - left - 4)), height: row - 4 });
        rect.appendChild(el('svg:title', {}, op.op + ' mb ' + op.mb + ' v ' + op.v + ': ' + op.start.toFixed(1) + '-'
          + op.end.toFixed(1) + ' ms'));
        svg.appendChild(rect);
      });
    });
    svg.appendChild(el('svg:text', { class: 'axis', x: w - 60, y: devices.length * row + 13 }, span.toFixed(1) + ' ms'));
  }

  function drawJob(job, timeline) {
    $('job').hidden = false;
    $('job-title').textContent = 'Job ' + job.id + ' - ' + job.status + ', schedule ' + ((job.plan || {}).schedule || '-');
    drawLoss(job.losses || []);
    const end = (t) => Math.max(0, ...((t && t.devices) || []).flatMap((d) => d.ops.map((o) => o.end)));
    const span = Math.max(1e-9, end(timeline), end(timeline.simulated));
    $('measured-caption').textContent = 'Step ' + (timeline.step === undefined ? '-' : timeline.step)
      + ', measured (' + end(timeline).toFixed(1) + ' ms)';
    $('simulated-caption').textContent = timeline.simulated
      ? 'Simulator, schedule ' + timeline.simulated.schedule + ', scaled to the measured step'
      : 'Simulator: not available for this schedule';
    drawTimeline($('timeline-measured'), timeline, span);
    drawTimeline($('timeline-simulated'), timeline.simulated, span);
    const planned = (timeline.simulated && timeline.simulated.peakActivation) || [];
    const nodes = (job.plan || {}).deviceNodes || [];
    const units = job.peakActivationUnits || [];
    const bytes = job.peakActivationBytes || [];
    const n = Math.max(units.length, planned.length, nodes.length);
    const rows = [];
    for (let d = 0; d < n; d++) {
      const tr = el('tr', { class: 'device' });
      [d, nodes[d] || '-', fmt(units[d], 2), fmt(planned[d], 2),
        bytes[d] === undefined ? '-' : (bytes[d] / 1048576).toFixed(2) + ' MiB'].forEach((t) => tr.appendChild(el('td', {}, String(t))));
      rows.push(tr);
    }
    fill($('memory').tBodies[0], rows);
    const events = job.events || [];
    if (!events.length) {
      $('events').replaceChildren(el('li', { class: 'none' }, 'none yet (failures, re-plans and checkpoints appear here)'));
      return;
    }
    $('events').replaceChildren(...events.map((e) => {
      const li = el('li', { class: 'event' });
      li.appendChild(el('span', { class: 'kind' }, e.kind + ': '));
      li.appendChild(document.createTextNode(e.message + ' (' + new Date(e.timeMs).toLocaleTimeString() + ')'));
      return li;
    }));
  }

  async function refresh() {
    if (!sessionStorage.getItem(KEY)) {
      showLogin();
      return;
    }
    try {
      const [cluster, listed] = await Promise.all([api('/cluster').catch(() => ({ members: [] })), api('/jobs')]);
      const jobs = Array.isArray(listed) ? listed : (listed.jobs || []);
      $('main').hidden = false;
      drawMembers(cluster);
      if (!selected && jobs.length) selected = jobs[jobs.length - 1].id;
      drawJobs(jobs);
      if (selected) {
        const [job, timeline] = await Promise.all([api('/jobs/' + encodeURIComponent(selected)),
          api('/jobs/' + encodeURIComponent(selected) + '/timeline')]);
        drawJob(job, timeline);
      }
      $('status').textContent = 'updated ' + new Date().toLocaleTimeString();
      $('status').className = '';
    } catch (e) {
      if (e.message !== 'unauthorized') {
        $('status').textContent = e.message;
        $('status').className = 'error';
      }
    }
  }

  refresh();
  setInterval(refresh, 2000);
})();
