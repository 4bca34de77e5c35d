/*
 * Operations dashboard: plain browser JavaScript, no build step, nothing loaded from elsewhere.
 * Reads the /v1/ops JSON API every 5 s with the API key kept in sessionStorage (Bearer header),
 * keeps a rolling history for the chart, and offers replays to keys holding the `ops` role.
 * Text from the gateway (portal messages, identifiers) is only ever set as textContent.
 */
(function () {
  'use strict';

  const REFRESH_MS = 5000;
  const STALE_MS = 15000;
  const HISTORY_MAX = 360; // 30 min at one sample per 5 s
  const KEY_STORE = 'gw.ops.apiKey';
  const HISTORY_STORE = 'gw.ops.history';
  const LANG_STORE = 'gw.ops.lang';

  const I18N = {
    vi: {
      title: 'Giám sát cổng tích hợp DVC',
      subtitle: 'Đồng bộ hồ sơ lên Cổng DVC quốc gia · tra cứu CSDL chuyên ngành',
      refresh: 'Làm mới',
      board: 'Chi tiết hàng đợi',
      signOut: 'Đăng xuất',
      signInTitle: 'Đăng nhập',
      signInHelp: 'Nhập khóa API có quyền ops-read (xem) hoặc ops (xem và thao tác).',
      apiKey: 'Khóa API',
      signIn: 'Đăng nhập',
      signingIn: 'Đang kiểm tra…',
      badKey: 'Khóa API không đúng.',
      noRole: 'Khóa này không có quyền xem vận hành (cần ops-read hoặc ops).',
      unreachable: 'Không kết nối được tới cổng tích hợp.',
      sessionEnded: 'Khóa API không còn hiệu lực; vui lòng đăng nhập lại.',
      syncLag: 'Độ trễ đồng bộ',
      undelivered: 'Hồ sơ chưa đồng bộ',
      backlog: 'Tồn đọng hàng đợi',
      throughput: 'Đã gửi / phút',
      deadLetters: 'Hồ sơ gửi lỗi',
      alertsFiring: 'Cảnh báo đang bật',
      queues: 'Hàng đợi',
      legendBacklog: 'Tồn đọng (chờ + hoãn)',
      legendCompleted: 'Hoàn thành/phút',
      legendFailed: 'Thất bại/phút',
      alerts: 'Cảnh báo',
      deadLettersTitle: 'Hồ sơ gửi lỗi',
      readOnly: 'Chỉ xem',
      audit: 'Nhật ký tra cứu gần đây',
      roleOps: 'vận hành',
      roleRead: 'chỉ xem',
      updatedAt: 'Cập nhật {time}',
      stale: 'Mất kết nối tới cổng tích hợp: số liệu dưới đây là của lúc {time} ({ago}).',
      partStale: 'Không cập nhật được: {parts}. Số liệu đó là của lúc {time} ({ago}).',
      part_queues: 'hàng đợi',
      part_upstreams: 'hệ thống kết nối',
      part_sync: 'đồng bộ',
      part_alerts: 'cảnh báo',
      part_dead: 'hồ sơ gửi lỗi',
      part_audit: 'nhật ký tra cứu',
      loading: 'Đang tải…',
      failedLoad: 'Không tải được',
      none: 'không có',
      // verdict
      allGood: 'Hoạt động bình thường',
      attention: 'Cần chú ý',
      failing: 'Có sự cố',
      noData: 'Chưa có số liệu',
      allGoodDetail: 'Mọi kết nối đang mở, hồ sơ được đồng bộ kịp thời.',
      pCircuitOpen: '{name}: đã ngắt kết nối',
      pCircuitHalf: '{name}: đang thử kết nối lại',
      pDead: '{n} hồ sơ gửi lỗi chờ xử lý',
      pLag: 'đồng bộ chậm {lag}',
      pAlert: '{title}',
      // upstreams
      up_dvcqg: 'Cổng DVC quốc gia',
      up_dancu: 'CSDL quốc gia về dân cư',
      up_dkdn: 'CSDL đăng ký doanh nghiệp',
      c_closed: 'Bình thường',
      c_half: 'Đang thử lại',
      c_open: 'Ngắt kết nối',
      latencyP: 'độ trễ p50 · p95 · p99',
      last5m: '5 phút qua',
      requests5m: 'yêu cầu',
      failures: 'lỗi',
      timeouts: 'quá hạn',
      rejected: 'từ chối',
      inFlight: 'đang chạy',
      lastError: 'Lỗi gần nhất {ago}: {msg}',
      openSince: 'Ngắt từ {time} ({ago})',
      noErrors: 'Không có lỗi trong 5 phút qua',
      // queues
      waiting: 'đang chờ',
      active: 'đang xử lý',
      delayed: 'chờ thử lại',
      failed: 'thất bại',
      oldest: 'chờ lâu nhất',
      noHistory: 'Đang thu thập số liệu cho biểu đồ…',
      now: 'bây giờ',
      minutesAgo: '−{n} phút',
      // alerts
      noAlerts: 'Không có cảnh báo nào đang bật',
      recentAlerts: 'Gần đây',
      since: 'từ {time} ({ago})',
      resolvedAt: 'đã hết lúc {time}',
      r_sync_lag: 'Đồng bộ chậm',
      r_dead_letters_growing: 'Hồ sơ gửi lỗi tăng',
      r_circuit_open: 'Kết nối bị ngắt quá lâu',
      r_redis_unreachable: 'Mất kết nối Redis',
      r_backlog_growing: 'Tồn đọng tăng liên tục',
      as_circuit_open: 'Mạch mở {value} giây (ngưỡng {threshold} giây)',
      as_sync_lag: 'Bản sửa cũ nhất chưa gửi đã {value} giây (ngưỡng {threshold} giây)',
      as_dead_letters_growing: '{value} hồ sơ gửi lỗi mới trong khoảng theo dõi (ngưỡng {threshold})',
      as_backlog_growing: 'Tồn đọng tăng liên tục {value} giây (ngưỡng {threshold} giây)',
      critical: 'nghiêm trọng',
      warning: 'cảnh báo',
      // dead letters
      maHoSo: 'Mã hồ sơ',
      revision: 'Phiên bản',
      kind: 'Loại',
      reason: 'Lý do',
      portalCode: 'mã lỗi',
      message: 'Chi tiết',
      attemptsN: '{n} lần thử',
      failedAt: 'Thời điểm',
      action: '',
      k_dossier: 'Hồ sơ',
      k_progress: 'Tiến độ',
      rc_upstream_rejected: 'Cổng từ chối',
      rc_attempts_exhausted: 'Hết lượt thử',
      replay: 'Gửi lại',
      replayAll: 'Gửi lại tất cả ({n})',
      replayConfirm: 'Bấm lần nữa để gửi lại {n} hồ sơ',
      replayed: 'Đã đưa {n} hồ sơ vào hàng đợi gửi lại.',
      replayForbidden: 'Khóa này chỉ có quyền xem: không thể gửi lại.',
      replayFailed: 'Gửi lại không thành công: {msg}',
      noDead: 'Không có hồ sơ gửi lỗi',
      moreDead: 'Hiển thị {shown}/{total}.',
      recentReplays: 'Gửi lại gần đây:',
      replayLine: '{time} {by} gửi lại {m}',
      // audit
      at: 'Thời điểm',
      officer: 'Cán bộ',
      dossier: 'Hồ sơ',
      subject: 'Số tra cứu',
      outcome: 'Kết quả',
      latency: 'Độ trễ',
      client: 'Ứng dụng',
      o_found: 'có dữ liệu',
      o_not_found: 'không thấy',
      o_rejected: 'bị từ chối',
      o_error: 'lỗi',
      noAudit: 'Chưa có lượt tra cứu nào',
      // units
      s: '{n} giây',
      m: '{n} phút',
      hr: '{n} giờ',
      ms: '{n} ms',
      agoS: '{n} giây trước',
      agoM: '{n} phút trước',
      agoH: '{n} giờ trước',
      perMinNote: 'lỗi {n}/phút',
      lagNote: 'bản sửa cũ nhất chưa gửi',
      undeliveredNote: 'đang chờ gửi lên cổng',
      backlogNote: 'chờ {w} · thử lại {d}',
      deadNote: 'cần xem và gửi lại',
      alertsNote: '{c} nghiêm trọng · {w} cảnh báo',
    },
    en: {
      title: 'DVC integration gateway — operations',
      subtitle: 'Dossier sync to the National Public Service Portal · sector database lookups',
      refresh: 'Refresh',
      board: 'Queue details',
      signOut: 'Sign out',
      signInTitle: 'Sign in',
      signInHelp: 'Enter an API key with the ops-read role (view) or ops (view and act).',
      apiKey: 'API key',
      signIn: 'Sign in',
      signingIn: 'Checking…',
      badKey: 'The API key is not known.',
      noRole: 'This key may not view operations (it needs ops-read or ops).',
      unreachable: 'The gateway cannot be reached.',
      sessionEnded: 'The API key is no longer accepted; please sign in again.',
      syncLag: 'Sync lag',
      undelivered: 'Undelivered dossiers',
      backlog: 'Queue backlog',
      throughput: 'Delivered / min',
      deadLetters: 'Dead letters',
      alertsFiring: 'Alerts firing',
      queues: 'Queues',
      legendBacklog: 'Backlog (waiting + delayed)',
      legendCompleted: 'Completed/min',
      legendFailed: 'Failed/min',
      alerts: 'Alerts',
      deadLettersTitle: 'Dead letters',
      readOnly: 'Read-only',
      audit: 'Recent lookup audit',
      roleOps: 'operator',
      roleRead: 'read-only',
      updatedAt: 'Updated {time}',
      stale: 'Lost contact with the gateway: the figures below are from {time} ({ago}).',
      partStale: 'Not updating: {parts}. Those figures are from {time} ({ago}).',
      part_queues: 'queues',
      part_upstreams: 'upstreams',
      part_sync: 'sync',
      part_alerts: 'alerts',
      part_dead: 'dead letters',
      part_audit: 'lookup audit',
      loading: 'Loading…',
      failedLoad: 'Could not load',
      none: 'none',
      allGood: 'All systems normal',
      attention: 'Needs attention',
      failing: 'Failing',
      noData: 'No data yet',
      allGoodDetail: 'Every upstream is reachable and dossiers are delivered on time.',
      pCircuitOpen: '{name}: cut off (circuit open)',
      pCircuitHalf: '{name}: probing (half-open)',
      pDead: '{n} dead letter(s) waiting for an operator',
      pLag: 'sync lagging {lag}',
      pAlert: '{title}',
      up_dvcqg: 'Public Service Portal',
      up_dancu: 'Population database',
      up_dkdn: 'Business registry',
      c_closed: 'Closed · OK',
      c_half: 'Half-open · probing',
      c_open: 'Open · cut off',
      latencyP: 'latency p50 · p95 · p99',
      last5m: 'last 5 min',
      requests5m: 'requests',
      failures: 'failures',
      timeouts: 'timeouts',
      rejected: 'rejected',
      inFlight: 'in flight',
      lastError: 'Last error {ago}: {msg}',
      openSince: 'Open since {time} ({ago})',
      noErrors: 'No errors in the last 5 minutes',
      waiting: 'waiting',
      active: 'active',
      delayed: 'delayed',
      failed: 'failed',
      oldest: 'oldest waiting',
      noHistory: 'Collecting figures for the chart…',
      now: 'now',
      minutesAgo: '−{n} min',
      noAlerts: 'No alerts firing',
      recentAlerts: 'Recent',
      since: 'since {time} ({ago})',
      resolvedAt: 'resolved at {time}',
      r_sync_lag: 'Sync lagging',
      r_dead_letters_growing: 'Dead letters growing',
      r_circuit_open: 'Circuit open too long',
      r_redis_unreachable: 'Redis unreachable',
      r_backlog_growing: 'Backlog keeps growing',
      critical: 'critical',
      warning: 'warning',
      maHoSo: 'MaHoSo',
      revision: 'Revision',
      kind: 'Kind',
      reason: 'Reason',
      portalCode: 'code',
      message: 'Message',
      attemptsN: '{n} attempt(s)',
      failedAt: 'Failed at',
      action: '',
      k_dossier: 'Dossier',
      k_progress: 'Progress',
      rc_upstream_rejected: 'Portal rejected',
      rc_attempts_exhausted: 'Attempts exhausted',
      replay: 'Replay',
      replayAll: 'Replay all ({n})',
      replayConfirm: 'Click again to replay {n}',
      replayed: '{n} letter(s) queued for delivery again.',
      replayForbidden: 'This key is read-only: it cannot replay.',
      replayFailed: 'Replay failed: {msg}',
      noDead: 'No dead letters',
      moreDead: 'Showing {shown} of {total}.',
      recentReplays: 'Recent replays:',
      replayLine: '{time} {by} replayed {m}',
      at: 'At',
      officer: 'Officer',
      dossier: 'Dossier',
      subject: 'Looked up',
      outcome: 'Outcome',
      latency: 'Latency',
      client: 'Client',
      o_found: 'found',
      o_not_found: 'not found',
      o_rejected: 'rejected',
      o_error: 'error',
      noAudit: 'No lookups yet',
      s: '{n} s',
      m: '{n} min',
      hr: '{n} h',
      ms: '{n} ms',
      agoS: '{n} s ago',
      agoM: '{n} min ago',
      agoH: '{n} h ago',
      perMinNote: '{n} failed/min',
      lagNote: 'oldest revision not yet delivered',
      undeliveredNote: 'waiting to reach the portal',
      backlogNote: 'waiting {w} · delayed {d}',
      deadNote: 'to review and replay',
      alertsNote: '{c} critical · {w} warning',
    },
  };

  const state = {
    lang: readLang(),
    key: sessionStorage.getItem(KEY_STORE),
    who: null,
    canAct: false,
    data: {},
    lastOk: 0,
    okAt: {},
    history: readHistory(),
    timer: null,
    inFlight: false,
    confirmAll: null,
  };

  // ---------- small helpers ----------

  const $ = (id) => document.getElementById(id);

  function t(key, vars) {
    const table = I18N[state.lang] || I18N.vi;
    let s = key in table ? table[key] : key in I18N.vi ? I18N.vi[key] : key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split('{' + k + '}').join(String(v));
    return s;
  }

  /** Element builder: attributes, then children (strings become text nodes, never HTML). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
    return el;
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, text) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  const locale = () => (state.lang === 'en' ? 'en-GB' : 'vi-VN');
  const num = (n) => (n === null || n === undefined ? '—' : new Intl.NumberFormat(locale()).format(n));
  function clock(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    const sameDay = new Date().toDateString() === d.toDateString();
    const opts = sameDay ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' };
    return d.toLocaleString(locale(), opts);
  }
  function ago(iso) {
    if (!iso) return '';
    const sec = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (sec < 90) return t('agoS', { n: sec });
    if (sec < 5400) return t('agoM', { n: Math.round(sec / 60) });
    return t('agoH', { n: Math.round(sec / 3600) });
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    if (seconds < 120) return t('s', { n: num(Math.round(seconds)) });
    if (seconds < 7200) return t('m', { n: num(Math.round(seconds / 60)) });
    return t('hr', { n: num(Math.round(seconds / 360) / 10) });
  }
  const ms = (v) => (v === null || v === undefined ? '—' : t('ms', { n: num(Math.round(v)) }));

  function mask(subject) {
    // Identification numbers are personal data and the screen may be seen by the public: keep the last 4.
    const str = String(subject || '');
    return str.length <= 4 ? '••••' : '•'.repeat(Math.min(8, str.length - 4)) + str.slice(-4);
  }

  function readLang() {
    const v = localStorage.getItem(LANG_STORE);
    return v === 'en' ? 'en' : 'vi';
  }
  function readHistory() {
    try {
      const v = JSON.parse(sessionStorage.getItem(HISTORY_STORE) || '[]');
      return Array.isArray(v) ? v.slice(-HISTORY_MAX) : [];
    } catch {
      return [];
    }
  }

  // ---------- API ----------

  class ApiError extends Error {
    constructor(status, body) {
      super((body && (body.detail || body.title)) || 'HTTP ' + status);
      this.status = status;
      this.body = body;
    }
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = { Accept: 'application/json', Authorization: 'Bearer ' + (opts.key || state.key) };
    let body;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    // A hung request must not stall the refresh loop.
    const signal = AbortSignal.timeout(opts.timeoutMs || 10000);
    const res = await fetch(path, { method: opts.method || 'GET', headers, body, cache: 'no-store', credentials: 'same-origin', signal });
    const text = await res.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) throw new ApiError(res.status, parsed);
    return parsed;
  }

  // ---------- sign-in ----------

  async function signIn(key) {
    const who = await api('/v1/ops/whoami', { key });
    state.key = key;
    state.who = who;
    state.canAct = who.roles.includes('ops');
    sessionStorage.setItem(KEY_STORE, key);
    // The cookie lets bull-board's own pages (which cannot send a Bearer header) see the queue.
    try {
      await fetch('/ops/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ apiKey: key }), credentials: 'same-origin' });
    } catch {
      /* the board link will ask to sign in again; the dashboard itself works without it */
    }
    showBoard();
  }

  function signOut(message) {
    clearTimeout(state.timer);
    state.key = null;
    state.who = null;
    state.canAct = false;
    state.data = {};
    state.lastOk = 0;
    state.okAt = {};
    sessionStorage.removeItem(KEY_STORE);
    fetch('/ops/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
    showSignIn(message);
  }

  function showSignIn(message) {
    $('board').hidden = true;
    for (const id of ['signout', 'refresh', 'board-link', 'whoami', 'updated']) $(id).hidden = true;
    $('signin').hidden = false;
    const err = $('signin-error');
    err.hidden = !message;
    err.textContent = message || '';
    $('apikey').value = '';
    $('apikey').focus();
  }

  function showBoard() {
    $('signin').hidden = true;
    $('board').hidden = false;
    for (const id of ['signout', 'refresh', 'board-link', 'whoami', 'updated']) $(id).hidden = false;
    renderWho();
    renderAll();
    refresh();
  }

  // ---------- refresh loop ----------

  async function refresh() {
    clearTimeout(state.timer);
    if (!state.key) return;
    if (state.inFlight) return;
    state.inFlight = true;
    const calls = {
      queues: api('/v1/ops/queues'),
      upstreams: api('/v1/ops/upstreams'),
      sync: api('/v1/ops/sync'),
      alerts: api('/v1/ops/alerts'),
      dead: api('/v1/ops/dead-letters?limit=100'),
      audit: api('/v1/ops/audit?limit=20'),
    };
    const names = Object.keys(calls);
    const results = await Promise.allSettled(Object.values(calls));
    state.inFlight = false;
    if (!state.key) return;
    const unauthorized = results.find((r) => r.status === 'rejected' && r.reason instanceof ApiError && r.reason.status === 401);
    if (unauthorized) return signOut(t('sessionEnded'));
    let anyOk = false;
    results.forEach((r, i) => {
      const name = names[i];
      if (r.status === 'fulfilled') {
        state.data[name] = r.value;
        state.okAt[name] = Date.now();
        delete state.data[name + 'Error'];
        anyOk = true;
      } else {
        state.data[name + 'Error'] = r.reason;
      }
    });
    if (anyOk) {
      state.lastOk = Date.now();
      sample();
    }
    renderAll();
    state.timer = setTimeout(refresh, REFRESH_MS);
  }

  function sample() {
    const q = (state.data.queues && state.data.queues.queues) || [];
    const main = q.find((x) => x.name === 'dossier-sync') || q[0];
    if (!main) return;
    state.history.push({
      t: Date.now(),
      backlog: main.waiting + main.delayed,
      completed: main.perMinute.completed,
      failed: main.perMinute.failed,
    });
    while (state.history.length > HISTORY_MAX) state.history.shift();
    try {
      sessionStorage.setItem(HISTORY_STORE, JSON.stringify(state.history));
    } catch {
      /* storage full: the chart still works for this page */
    }
  }

  // ---------- rendering ----------

  function applyStaticText() {
    document.documentElement.lang = state.lang;
    document.title = t('title');
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.getAttribute('data-i18n'));
    for (const b of document.querySelectorAll('.lang button')) b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
  }

  function renderWho() {
    const who = state.who;
    const el = $('whoami');
    el.replaceChildren();
    if (!who) return;
    el.append(h('strong', { text: who.client }), ' · ' + (state.canAct ? t('roleOps') : t('roleRead')));
    $('readonly').hidden = state.canAct;
  }

  function renderAll() {
    applyStaticText();
    renderWho();
    if (!state.key) return;
    renderUpdated();
    renderVerdict();
    renderKpis();
    renderUpstreams();
    renderQueues();
    renderChart();
    renderAlerts();
    renderDeadLetters();
    renderAudit();
  }

  function renderUpdated() {
    const now = Date.now();
    const last = state.lastOk ? new Date(state.lastOk).toISOString() : null;
    $('updated').textContent = last ? t('updatedAt', { time: clock(last) }) : t('loading');
    const banner = $('stale');
    if (state.lastOk && now - state.lastOk > STALE_MS) {
      banner.textContent = t('stale', { time: clock(last), ago: ago(last) });
      banner.hidden = false;
      return;
    }
    // Some figures failing while others answer (Redis down, say): name what is old.
    const behind = Object.keys(state.okAt).filter((n) => state.data[n + 'Error'] && now - state.okAt[n] > STALE_MS);
    banner.hidden = behind.length === 0;
    if (behind.length) {
      const oldest = new Date(Math.min(...behind.map((n) => state.okAt[n]))).toISOString();
      banner.textContent = t('partStale', { parts: behind.map((n) => t('part_' + n)).join(', '), time: clock(oldest), ago: ago(oldest) });
    }
  }

  function upstreamLabel(name) {
    const key = 'up_' + name;
    const label = t(key);
    return label === key ? name : label;
  }

  function firingAlerts() {
    return (state.data.alerts && state.data.alerts.firing) || [];
  }
  const alertFiring = (rule) => firingAlerts().some((a) => a.rule === rule);

  /** The one-glance verdict: worst of circuits, alerts, dead letters and freshness. */
  function renderVerdict() {
    const el = $('overall');
    const problems = [];
    let level = 'ok';
    const raise = (l) => {
      if (l === 'bad' || (l === 'warn' && level === 'ok')) level = l;
    };
    const ups = (state.data.upstreams && state.data.upstreams.upstreams) || [];
    for (const u of ups) {
      if (u.circuit === 'open') {
        raise('bad');
        problems.push(t('pCircuitOpen', { name: upstreamLabel(u.name) }));
      } else if (u.circuit === 'half-open') {
        raise('warn');
        problems.push(t('pCircuitHalf', { name: upstreamLabel(u.name) }));
      }
    }
    for (const a of firingAlerts()) {
      if (a.rule === 'circuit_open') continue; // said above, by name
      raise(a.severity === 'critical' ? 'bad' : 'warn');
      problems.push(t('pAlert', { title: ruleTitle(a.rule) }));
    }
    const sync = state.data.sync;
    if (sync && sync.deadLetters > 0) {
      raise('warn');
      problems.push(t('pDead', { n: num(sync.deadLetters) }));
    }
    const stale = !state.lastOk || Date.now() - state.lastOk > STALE_MS;
    let cls = level;
    let title = level === 'ok' ? t('allGood') : level === 'warn' ? t('attention') : t('failing');
    if (stale) {
      cls = 'unknown';
      title = state.lastOk ? t('unreachable') : t('noData');
    }
    el.className = 'overall ' + cls;
    el.dataset.level = cls;
    $('overall-title').textContent = title;
    const lines = problems.length ? problems : stale ? [] : [t('allGoodDetail')];
    $('overall-detail').replaceChildren(...lines.map((p) => h('li', { class: problems.length ? '' : 'plain', text: p })));
  }

  function kpi(id, value, note, level) {
    const el = $(id);
    el.className = 'kpi ' + (level || 'neutral');
    el.querySelector('.kpi-value').textContent = value;
    el.querySelector('.kpi-note').textContent = note || '';
  }

  function mainQueue() {
    const q = (state.data.queues && state.data.queues.queues) || [];
    return q.find((x) => x.name === 'dossier-sync') || q[0] || null;
  }

  function renderKpis() {
    const sync = state.data.sync;
    const q = mainQueue();
    const alerts = firingAlerts();
    if (sync) {
      kpi('kpi-lag', duration(sync.lagSeconds), t('lagNote'), alertFiring('sync_lag') ? 'bad' : sync.lagSeconds > 60 ? 'warn' : 'ok');
      kpi('kpi-undelivered', num(sync.undeliveredDossiers), t('undeliveredNote'), sync.undeliveredDossiers > 0 ? 'neutral' : 'ok');
      kpi('kpi-dead', num(sync.deadLetters), t('deadNote'), alertFiring('dead_letters_growing') ? 'bad' : sync.deadLetters > 0 ? 'warn' : 'ok');
    } else {
      for (const id of ['kpi-lag', 'kpi-undelivered', 'kpi-dead']) kpi(id, '—', state.data.syncError ? t('failedLoad') : t('loading'), 'unknown');
    }
    if (q) {
      const backlog = q.waiting + q.delayed;
      kpi('kpi-backlog', num(backlog), t('backlogNote', { w: num(q.waiting), d: num(q.delayed) }), alertFiring('backlog_growing') ? 'warn' : backlog > 0 ? 'neutral' : 'ok');
      kpi('kpi-throughput', num(q.perMinute.completed), t('perMinNote', { n: num(q.perMinute.failed) }), q.perMinute.failed > 0 ? 'warn' : 'neutral');
    } else {
      for (const id of ['kpi-backlog', 'kpi-throughput']) kpi(id, '—', state.data.queuesError ? t('failedLoad') : t('loading'), 'unknown');
    }
    if (state.data.alerts) {
      const c = alerts.filter((a) => a.severity === 'critical').length;
      kpi('kpi-alerts', num(alerts.length), t('alertsNote', { c: num(c), w: num(alerts.length - c) }), c > 0 ? 'bad' : alerts.length > 0 ? 'warn' : 'ok');
    } else {
      kpi('kpi-alerts', '—', state.data.alertsError ? t('failedLoad') : t('loading'), 'unknown');
    }
  }

  const CIRCUIT = {
    closed: { key: 'c_closed', symbol: '●' },
    'half-open': { key: 'c_half', symbol: '◐' },
    open: { key: 'c_open', symbol: '✕' },
  };

  function renderUpstreams() {
    const root = $('upstreams');
    const ups = state.data.upstreams && state.data.upstreams.upstreams;
    if (!ups) {
      root.replaceChildren(h('div', { class: 'panel empty', text: state.data.upstreamsError ? t('failedLoad') : t('loading') }));
      return;
    }
    root.replaceChildren(
      ...ups.map((u) => {
        const c = CIRCUIT[u.circuit] || { key: u.circuit, symbol: '?' };
        const failRate = u.requests > 0 ? u.failures / u.requests : 0;
        const note = u.circuit !== 'closed' && u.openedAt
          ? h('div', { class: 'upstream-note bad', text: t('openSince', { time: clock(u.openedAt), ago: ago(u.openedAt) }) + (u.lastError ? ' — ' + u.lastError.message : '') })
          : u.lastError
            ? h('div', { class: 'upstream-note', title: u.lastError.message, text: t('lastError', { ago: ago(u.lastError.at), msg: u.lastError.code + ' ' + u.lastError.message }) })
            : h('div', { class: 'upstream-note', text: t('noErrors') });
        return h(
          'article',
          { class: 'upstream ' + u.circuit, 'data-testid': 'upstream', 'data-name': u.name, 'data-circuit': u.circuit },
          h('div', {}, h('div', { class: 'upstream-name', text: upstreamLabel(u.name) }), h('div', { class: 'upstream-code', text: u.name + ' · ' + u.kind + ' · ' + t('last5m') })),
          h('div', { class: 'circuit ' + u.circuit }, h('span', { class: 'circuit-symbol', 'aria-hidden': 'true', text: c.symbol }), t(c.key)),
          h(
            'div',
            { class: 'upstream-figures' },
            figure(t('latencyP'), latencies(u.latencyMs), u.latencyMs.p95 > 2000 ? 'warn' : ''),
            figure(t('requests5m'), num(u.requests)),
            figure(t('failures'), num(u.failures), failRate >= 0.5 ? 'bad' : u.failures > 0 ? 'warn' : ''),
            figure(t('timeouts'), num(u.timeouts), u.timeouts > 0 ? 'warn' : ''),
            figure(t('rejected'), num(u.rejected), u.rejected > 0 ? 'warn' : ''),
          ),
          note,
        );
      }),
    );
  }

  function latencies(l) {
    if (l.p50 === null) return '—';
    const v = (x) => (x === null ? '—' : num(Math.round(x)));
    return v(l.p50) + ' · ' + v(l.p95) + ' · ' + v(l.p99) + ' ms';
  }

  function figure(label, value, cls) {
    return h('div', { class: 'figure ' + (cls || '') }, h('span', { class: 'v', text: value }), h('span', { class: 'l', text: label }));
  }

  function renderQueues() {
    const root = $('queues');
    const qs = state.data.queues && state.data.queues.queues;
    if (!qs) {
      root.replaceChildren(h('div', { class: 'empty', text: state.data.queuesError ? t('failedLoad') : t('loading') }));
      return;
    }
    root.replaceChildren(
      ...qs.map((q) =>
        h(
          'div',
          { class: 'queue-line', 'data-testid': 'queue', 'data-name': q.name },
          h('span', { class: 'queue-name', text: q.name }),
          figure(t('waiting'), num(q.waiting)),
          figure(t('active'), num(q.active)),
          figure(t('delayed'), num(q.delayed)),
          figure(t('failed'), num(q.failed), q.failed > 0 ? 'warn' : ''),
          figure(t('oldest'), q.oldestWaitingAgeSeconds === null ? '—' : duration(q.oldestWaitingAgeSeconds)),
        ),
      ),
    );
  }

  /** A round top for a count axis whose half is a whole number too (4, 6, 8, 10, 20, 40, …). */
  function niceMax(v) {
    if (v <= 4) return 4;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 4, 6, 8, 10]) if (m * p >= v && (m * p) % 2 === 0) return m * p;
    return 10 * p;
  }

  /** Two plots on one time axis: backlog above, completed and failed per minute below. */
  function renderChart() {
    const svg = $('chart');
    const W = Math.max(300, Math.round(svg.clientWidth || 600));
    const H = Math.max(160, Math.round(svg.clientHeight || 220));
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    svg.replaceChildren();
    const hist = state.history;
    if (hist.length < 2) {
      svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, t('noHistory')));
      return;
    }
    const left = 56;
    const right = W - 12;
    const now = Date.now();
    const span = Math.min(30 * 60000, Math.max(2 * 60000, now - hist[0].t));
    const t0 = now - span;
    const x = (tm) => left + ((tm - t0) / span) * (right - left);
    const pts = hist.filter((p) => p.t >= t0);
    if (pts.length < 2) {
      svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, t('noHistory')));
      return;
    }
    const gap = 26;
    const plotH = (H - 22 - gap) / 2;
    const plots = [
      { top: 4, series: [{ key: 'backlog', cls: 'backlog', area: true }], title: t('legendBacklog') },
      { top: 4 + plotH + gap, series: [{ key: 'completed', cls: 'completed' }, { key: 'failed', cls: 'failed' }], title: t('legendCompleted') },
    ];
    for (const plot of plots) {
      const max = niceMax(Math.max(...plot.series.flatMap((se) => pts.map((p) => p[se.key] || 0))));
      const y = (v) => plot.top + plotH - (v / max) * plotH;
      for (const frac of [0, 0.5, 1]) {
        const gy = y(max * frac);
        svg.append(s('line', { class: 'grid', x1: left, x2: right, y1: gy, y2: gy }));
        svg.append(s('text', { x: left - 6, y: gy + 4, 'text-anchor': 'end' }, num(max * frac)));
      }
      for (const se of plot.series) {
        const line = pts.map((p) => x(p.t).toFixed(1) + ',' + y(p[se.key] || 0).toFixed(1)).join(' ');
        if (se.area) {
          const first = x(pts[0].t).toFixed(1);
          const last = x(pts[pts.length - 1].t).toFixed(1);
          const base = y(0).toFixed(1);
          svg.append(s('polygon', { class: se.cls + '-area', points: first + ',' + base + ' ' + line + ' ' + last + ',' + base }));
        }
        svg.append(s('polyline', { class: se.cls + '-line', points: line }));
      }
      const latest = pts[pts.length - 1];
      svg.append(s('text', { class: 'plot-title', x: left + 8, y: plot.top + 14 }, plot.title + ': ' + num(latest[plot.series[0].key])));
    }
    const minutes = Math.round(span / 60000);
    svg.append(s('text', { x: left, y: H - 4, 'text-anchor': 'start' }, t('minutesAgo', { n: minutes })));
    svg.append(s('text', { x: right, y: H - 4, 'text-anchor': 'end' }, t('now')));
  }

  function ruleTitle(rule) {
    const key = 'r_' + rule;
    const v = t(key);
    return v === key ? rule : v;
  }

  /** The server's summary is English; in Vietnamese, known rules are said from their figures. */
  function alertSummary(a) {
    const key = 'as_' + a.rule;
    if (state.lang !== 'vi' || !(key in I18N.vi)) return a.summary;
    return t(key, { value: num(a.value), threshold: num(a.threshold) });
  }

  function renderAlerts() {
    const root = $('alerts');
    const data = state.data.alerts;
    if (!data) {
      root.replaceChildren(h('div', { class: 'empty', text: state.data.alertsError ? t('failedLoad') : t('loading') }));
      return;
    }
    const items = [];
    if (data.firing.length === 0) items.push(h('div', { class: 'alert-ok' }, h('span', { 'aria-hidden': 'true', text: '✓' }), t('noAlerts')));
    const order = { critical: 0, warning: 1 };
    for (const a of [...data.firing].sort((p, q) => order[p.severity] - order[q.severity])) {
      items.push(
        h(
          'div',
          { class: 'alert ' + a.severity, 'data-testid': 'alert', 'data-rule': a.rule },
          h('div', { class: 'alert-title', text: ruleTitle(a.rule) + (a.subject && a.subject !== 'gateway' ? ' — ' + upstreamLabel(a.subject) : '') }),
          h('div', { class: 'alert-meta', title: a.summary, text: t(a.severity) + ' · ' + t('since', { time: clock(a.since), ago: ago(a.since) }) + ' · ' + alertSummary(a) }),
        ),
      );
    }
    const resolved = data.recent.filter((a) => a.state === 'resolved').slice(0, 5);
    if (resolved.length) {
      items.push(h('div', { class: 'subhead', text: t('recentAlerts') }));
      for (const a of resolved) {
        items.push(
          h(
            'div',
            { class: 'alert resolved' },
            h('div', { class: 'alert-title', text: ruleTitle(a.rule) + (a.subject && a.subject !== 'gateway' ? ' — ' + a.subject : '') }),
            h('div', { class: 'alert-meta', text: t('resolvedAt', { time: clock(a.resolvedAt) }) }),
          ),
        );
      }
    }
    root.replaceChildren(...items);
  }

  function renderDeadLetters() {
    const table = $('dead-letters');
    const data = state.data.dead;
    const total = state.data.sync ? state.data.sync.deadLetters : data ? data.items.length : 0;
    $('dead-count').textContent = data ? '(' + num(total) + ')' : '';
    const all = $('replay-all');
    all.hidden = !state.canAct || !data || data.items.length === 0;
    if (!all.hidden) {
      all.textContent = state.confirmAll ? t('replayConfirm', { n: num(total) }) : t('replayAll', { n: num(total) });
      all.classList.toggle('confirm', Boolean(state.confirmAll));
    }
    if (!data) {
      table.replaceChildren(h('caption', { class: 'empty', text: state.data.deadError ? t('failedLoad') : t('loading') }));
      return;
    }
    if (data.items.length === 0) {
      table.replaceChildren(h('caption', { class: 'empty', text: t('noDead') }));
    } else {
      const cols = ['maHoSo', 'kind', 'reason', 'failedAt'];
      if (state.canAct) cols.push('action');
      table.replaceChildren(
        h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { text: t(c) })))),
        h(
          'tbody',
          {},
          ...data.items.map((l) =>
            h(
              'tr',
              { 'data-testid': 'dead-letter', 'data-id': l.id, 'data-mahoso': l.maHoSo },
              h('td', { class: 'mono' }, l.maHoSo, h('div', { class: 'sub', text: t('revision') + ' ' + num(l.revision) })),
              h('td', { class: 'nowrap', text: t('k_' + l.kind) }),
              h(
                'td',
                { class: 'reason' },
                h('span', { class: 'tag ' + (l.reason.code === 'upstream_rejected' ? 'bad' : 'warn'), text: t('rc_' + l.reason.code) }),
                l.reason.upstreamCode === null ? null : h('span', { class: 'sub', text: ' ' + t('portalCode') + ' ' + l.reason.upstreamCode }),
                h('div', { class: 'msg', title: l.reason.message, text: l.reason.message }),
              ),
              h('td', { class: 'nowrap', title: l.failedAt }, clock(l.failedAt), h('div', { class: 'sub', text: t('attemptsN', { n: num(l.attempts) }) })),
              state.canAct
                ? h('td', { class: 'action' }, h('button', { type: 'button', class: 'replay', 'data-testid': 'replay', 'data-id': l.id, text: t('replay'), onclick: () => replayOne(l) }))
                : null,
            ),
          ),
        ),
      );
      if (total > data.items.length) table.append(h('caption', { class: 'empty', text: t('moreDead', { shown: num(data.items.length), total: num(total) }) }));
    }
    const replays = (state.data.sync && state.data.sync.recentReplays) || [];
    $('replays').textContent = replays.length
      ? t('recentReplays') + ' ' + replays.slice(0, 3).map((r) => t('replayLine', { time: clock(r.at), by: r.by, m: r.maHoSo })).join(' · ')
      : '';
  }

  function renderAudit() {
    const table = $('audit');
    const data = state.data.audit;
    if (!data) {
      table.replaceChildren(h('caption', { class: 'empty', text: state.data.auditError ? t('failedLoad') : t('loading') }));
      return;
    }
    if (data.items.length === 0) {
      table.replaceChildren(h('caption', { class: 'empty', text: t('noAudit') }));
      return;
    }
    const outcomeClass = { found: 'ok', not_found: 'muted', rejected: 'warn', error: 'bad' };
    table.replaceChildren(
      h('thead', {}, h('tr', {}, ...['at', 'officer', 'dossier', 'subject', 'outcome'].map((c) => h('th', { text: t(c) })))),
      h(
        'tbody',
        {},
        ...data.items.map((a) =>
          h(
            'tr',
            { 'data-testid': 'audit-entry' },
            h('td', { class: 'mono', text: clock(a.at) }),
            h('td', { class: 'mono' }, a.officer, h('div', { class: 'sub', text: a.client })),
            h('td', { class: 'mono', text: a.dossierCode }),
            h('td', { class: 'mono' }, mask(a.subject), h('div', { class: 'sub', text: a.source })),
            h(
              'td',
              { class: 'nowrap' },
              h('span', { class: 'tag ' + (outcomeClass[a.outcome] || 'muted'), text: t('o_' + a.outcome) + ' · ' + a.status }),
              h('div', { class: 'sub', text: ms(a.latencyMs) }),
            ),
          ),
        ),
      ),
    );
  }

  // ---------- actions ----------

  let toastTimer = null;
  function toast(message, bad) {
    const el = $('toast');
    el.textContent = message;
    el.className = 'toast' + (bad ? ' bad' : '');
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (el.hidden = true), 6000);
  }

  function replayError(e) {
    if (e instanceof ApiError && e.status === 403) {
      state.canAct = false;
      renderAll();
      toast(t('replayForbidden'), true);
    } else if (e instanceof ApiError && e.status === 401) {
      signOut(t('sessionEnded'));
    } else {
      toast(t('replayFailed', { msg: e.message }), true);
    }
  }

  async function replayOne(letter) {
    for (const b of document.querySelectorAll('button.replay[data-id="' + CSS.escape(letter.id) + '"]')) b.disabled = true;
    try {
      const r = await api('/v1/ops/dead-letters/' + encodeURIComponent(letter.id) + '/replay', { method: 'POST' });
      toast(t('replayed', { n: num(r.replayed) }) + ' (' + letter.maHoSo + ')');
    } catch (e) {
      replayError(e);
    }
    refresh();
  }

  async function replayAll() {
    if (!state.confirmAll) {
      state.confirmAll = setTimeout(() => {
        state.confirmAll = null;
        renderDeadLetters();
      }, 5000);
      renderDeadLetters();
      return;
    }
    clearTimeout(state.confirmAll);
    state.confirmAll = null;
    $('replay-all').disabled = true;
    try {
      const r = await api('/v1/ops/dead-letters/replay', { method: 'POST' });
      toast(t('replayed', { n: num(r.replayed) }));
    } catch (e) {
      replayError(e);
    }
    $('replay-all').disabled = false;
    refresh();
  }

  // ---------- start ----------

  function start() {
    applyStaticText();
    $('signin-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const key = $('apikey').value.trim();
      if (!key) return;
      const btn = $('signin-submit');
      btn.disabled = true;
      btn.textContent = t('signingIn');
      try {
        await signIn(key);
      } catch (e) {
        const msg = e instanceof ApiError ? (e.status === 401 ? t('badKey') : e.status === 403 ? t('noRole') : e.message) : t('unreachable');
        showSignIn(msg);
      } finally {
        btn.disabled = false;
        btn.textContent = t('signIn');
      }
    });
    $('signout').addEventListener('click', () => signOut());
    $('refresh').addEventListener('click', () => refresh());
    $('replay-all').addEventListener('click', () => replayAll());
    for (const b of document.querySelectorAll('.lang button')) {
      b.addEventListener('click', () => {
        state.lang = b.dataset.lang === 'en' ? 'en' : 'vi';
        localStorage.setItem(LANG_STORE, state.lang);
        renderAll();
      });
    }
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && state.key) refresh();
    });
    window.addEventListener('resize', () => state.key && renderChart());
    // Ages ("3 min ago") and the staleness banner move on even while a request hangs.
    setInterval(() => {
      if (state.key && state.lastOk) {
        renderUpdated();
        renderVerdict();
      }
    }, 1000);

    if (state.key) {
      signIn(state.key).catch((e) => {
        if (e instanceof ApiError) signOut(e.status === 403 ? t('noRole') : t('sessionEnded'));
        else showSignIn(t('unreachable'));
      });
    } else {
      showSignIn();
    }
  }

  start();
})();
