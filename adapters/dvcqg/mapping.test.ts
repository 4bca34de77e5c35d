/** The mapping table on its own: answers the simulator never gives (HTTP 4xx bodies, odd code types). */
import { describe, expect, it } from 'vitest';
import { UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable } from '../../src/domain/errors.js';
import { answerKind, cutMessage, parseAnswer, rejection, retryAfterSeconds, translateHttp, translateTransportError, type PortalAnswer } from './mapping.js';

const kind = (code: string, message = '') => answerKind({ code, message });

describe('answer codes', () => {
  it('reads error_code as a number or a string; 0, "0" and "00" are success', () => {
    expect(parseAnswer('{"error_code":0}')?.code).toBe('0');
    expect(parseAnswer('{"error_code":"00","message":"OK"}')).toMatchObject({ code: '00', message: 'OK' });
    expect(kind('0')).toBe('success');
    expect(kind('00')).toBe('success');
    expect(kind('000')).toBe('rejected');
  });

  it('treats a body without a usable error_code as no answer', () => {
    for (const text of ['', '<html></html>', '{"error_code":0', '[]', '{"message":"x"}', '{"error_code":null}', '{"error_code":true}', '{"error_code":" "}']) {
      expect(parseAnswer(text)).toBeNull();
    }
  });

  it('needs the message for the isUpdating switches, in any Unicode normal form and case', () => {
    expect(kind('3', 'Hồ sơ đã tồn tại')).toBe('already_exists');
    expect(kind('-3', 'HỒ SƠ ĐÃ TỒN TẠI'.normalize('NFD'))).toBe('already_exists');
    expect(kind('3', 'Lỗi khác')).toBe('rejected');
    expect(kind('4', 'Hồ sơ không tồn tại')).toBe('unknown_for_update');
    expect(kind('5', 'Hồ sơ không tồn tại')).toBe('rejected');
  });

  it('knows the assumed codes: 401 session, 2 too many progress items', () => {
    expect(kind('401', 'session không hợp lệ')).toBe('session_invalid');
    expect(kind('2')).toBe('too_many_progress_items');
  });
});

describe('HTTP answers', () => {
  const answer = (outcome: PortalAnswer | Error) => outcome as PortalAnswer;

  it('makes 5xx and 429 unavailable whatever the body says', () => {
    const e5 = translateHttp(502, {}, '{"error_code":0}');
    expect(e5).toBeInstanceOf(UpstreamUnavailable);
    const e429 = translateHttp(429, { 'retry-after': '12' }, '') as UpstreamUnavailable;
    expect(e429.details).toEqual({ upstream: 'dvcqg', reason: 'rate_limited', retryAfterSeconds: 12 });
    expect((translateHttp(429, {}, '') as UpstreamUnavailable).details.retryAfterSeconds).toBeUndefined();
  });

  it('uses the JSON body of a 4xx; a 4xx without one (a proxy page, a 408) is retryable, never a rejection', () => {
    expect(answer(translateHttp(400, {}, '{"error_code":6,"message":"Yêu cầu không hợp lệ"}')).code).toBe('6');
    for (const status of [403, 404, 408]) {
      const bare = translateHttp(status, {}, '<html><body><h1>Forbidden</h1></body></html>') as UpstreamUnavailable;
      expect(bare).toBeInstanceOf(UpstreamUnavailable);
      expect(bare.retryable).toBe(true);
      expect(bare.details.reason).toBe('http_4xx_without_answer');
    }
  });

  it('keeps at most 1,000 characters of a rejection message, without splitting a letter', () => {
    const long = 'Hồ sơ không hợp lệ: '.repeat(300_000);
    const refused = rejection('DongBoHoSoMC', { code: '9', message: long, body: {} });
    expect(Array.from(refused.details.upstreamMessage!)).toHaveLength(1_000);
    expect(refused.message.length).toBeLessThan(1_100);
    expect(cutMessage('ngắn')).toBe('ngắn');
  });

  it('takes an HTTP 401 without a body as a refused session', () => {
    expect(answerKind(answer(translateHttp(401, {}, '')))).toBe('session_invalid');
  });

  it('calls a 2xx without the JSON answer a bad response', () => {
    expect(translateHttp(200, {}, '<html>bảo trì</html>')).toBeInstanceOf(UpstreamBadResponse);
    expect(translateHttp(302, {}, '')).toBeInstanceOf(UpstreamBadResponse);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterSeconds('3')).toBe(3);
    const in10s = new Date(Date.now() + 10_000).toUTCString();
    expect(retryAfterSeconds(in10s)).toBeGreaterThanOrEqual(9);
    expect(retryAfterSeconds('soon')).toBeUndefined();
  });
});

describe('transport failures', () => {
  const context = { timeoutMs: 500, timedOut: false, callerAborted: false };

  it('maps connection errors, timeouts and cut-off answers', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(translateTransportError(refused, context)).toBeInstanceOf(UpstreamUnavailable);
    expect(translateTransportError(new Error('socket hang up'), context)).toBeInstanceOf(UpstreamUnavailable);
    const canceled = Object.assign(new Error('canceled'), { code: 'ERR_CANCELED' });
    const timeout = translateTransportError(canceled, { ...context, timedOut: true }) as UpstreamTimeout;
    expect(timeout.details.timeoutMs).toBe(500);
    const cut = Object.assign(new Error('stream has been aborted'), { code: 'ERR_BAD_RESPONSE' });
    expect(translateTransportError(cut, context)).toBeInstanceOf(UpstreamBadResponse);
    const closed = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(translateTransportError(closed, context)).toBeInstanceOf(UpstreamUnavailable);
  });

  it('leaves programming errors alone', () => {
    expect(translateTransportError(new TypeError('x is undefined'), context)).toBeNull();
  });
});

describe('answers without diacritics', () => {
  it('recognises "da ton tai" and "khong ton tai" as well as the accented forms', () => {
    expect(answerKind({ code: '3', message: 'Ho so da ton tai' })).toBe('already_exists');
    expect(answerKind({ code: '-3', message: 'HỒ SƠ ĐÃ TỒN TẠI' })).toBe('already_exists');
    expect(answerKind({ code: '4', message: 'Ho so khong ton tai' })).toBe('unknown_for_update');
    expect(answerKind({ code: '3', message: 'Sai định dạng' })).toBe('rejected');
  });
});
