/**
 * Malformed HTTP over raw TCP, and malformed WebSocket framing after a good upgrade.
 *
 * Node's HTTP parser and `ws` refuse most of this before tickwire sees it; what gets through
 * (odd request targets, odd paths, upgrades with odd headers) reaches the server's own routing
 * and upgrade code, which must answer with a 4xx and never throw. Each attack is one request
 * (or one handshake and one bad frame) on its own socket.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface RawTarget {
  host: string;
  port: number;
  wsPath: string;
  /** Source address for the socket (a loopback alias), or undefined for the default. */
  localAddress?: string;
}

export interface RawOutcome {
  /** The HTTP status of the first response, or what happened instead. */
  status: number | 'closed' | 'reset' | 'timeout';
  /** For an upgrade that succeeded: the WebSocket close code the server sent, if any. */
  closeCode?: number;
}

const CRLF = '\r\n';

function upgradeHeaders(extra: Record<string, string> = {}, omit: readonly string[] = []): string {
  const h: Record<string, string> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  return Object.entries(h)
    .filter(([k]) => !omit.includes(k))
    .map(([k, v]) => `${k}: ${v}${CRLF}`)
    .join('');
}

/** An HTTP request line plus headers, as raw text. */
function req(line: string, headers = `Host: 127.0.0.1${CRLF}`, body = ''): string {
  return `${line}${CRLF}${headers}${CRLF}${body}`;
}

/** The corpus: a label and a function of the WebSocket path that gives the bytes to send. */
export const HTTP_ATTACKS: readonly { label: string; bytes: (ws: string) => string | Uint8Array }[] = [
  // Upgrades whose request target is not a plain path.
  { label: 'upgrade GET http://[/ws', bytes: () => req('GET http://[/ws HTTP/1.1', upgradeHeaders()) },
  { label: 'upgrade GET //a:99999/ws', bytes: () => req('GET //a:99999/ws HTTP/1.1', upgradeHeaders()) },
  { label: 'upgrade GET //[::1/ws', bytes: () => req('GET //[::1/ws HTTP/1.1', upgradeHeaders()) },
  { label: 'upgrade GET http://x:1/ws (absolute form)', bytes: (ws) => req(`GET http://x:1${ws} HTTP/1.1`, upgradeHeaders()) },
  { label: 'upgrade GET ws://x/ws', bytes: (ws) => req(`GET ws://x${ws} HTTP/1.1`, upgradeHeaders()) },
  { label: 'upgrade GET *', bytes: () => req('GET * HTTP/1.1', upgradeHeaders()) },
  { label: 'upgrade GET ws?%ZZ', bytes: (ws) => req(`GET ${ws}?%ZZ HTTP/1.1`, upgradeHeaders()) },
  { label: 'upgrade GET /%ZZ', bytes: () => req('GET /%ZZ HTTP/1.1', upgradeHeaders()) },
  { label: 'upgrade GET ws/../ws', bytes: (ws) => req(`GET ${ws}/..${ws} HTTP/1.1`, upgradeHeaders()) },
  { label: 'upgrade GET ws%00', bytes: (ws) => req(`GET ${ws}%00 HTTP/1.1`, upgradeHeaders()) },
  { label: 'upgrade GET ws#frag', bytes: (ws) => req(`GET ${ws}#frag HTTP/1.1`, upgradeHeaders()) },
  { label: 'upgrade GET ws with a 6 KB query', bytes: (ws) => req(`GET ${ws}?${'q'.repeat(6000)} HTTP/1.1`, upgradeHeaders()) },
  { label: 'upgrade POST ws', bytes: (ws) => req(`POST ${ws} HTTP/1.1`, upgradeHeaders({ 'Content-Length': '0' })) },
  // Upgrades with bad WebSocket headers.
  { label: 'upgrade version 12', bytes: (ws) => req(`GET ${ws} HTTP/1.1`, upgradeHeaders({ 'Sec-WebSocket-Version': '12' })) },
  { label: 'upgrade without key', bytes: (ws) => req(`GET ${ws} HTTP/1.1`, upgradeHeaders({}, ['Sec-WebSocket-Key'])) },
  { label: 'upgrade with a bad key', bytes: (ws) => req(`GET ${ws} HTTP/1.1`, upgradeHeaders({ 'Sec-WebSocket-Key': '!!!' })) },
  { label: 'upgrade: h2c', bytes: (ws) => req(`GET ${ws} HTTP/1.1`, upgradeHeaders({ Upgrade: 'h2c' })) },
  { label: 'upgrade without Upgrade header', bytes: (ws) => req(`GET ${ws} HTTP/1.1`, upgradeHeaders({}, ['Upgrade'])) },
  { label: 'upgrade with deflate offer', bytes: (ws) => req(`GET ${ws} HTTP/1.1`, upgradeHeaders({ 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits=0' })) },
  { label: 'upgrade with odd protocols', bytes: (ws) => req(`GET ${ws} HTTP/1.1`, upgradeHeaders({ 'Sec-WebSocket-Protocol': ', ,,\u00ff' })) },
  { label: 'upgrade HTTP/1.0', bytes: (ws) => req(`GET ${ws} HTTP/1.0`, upgradeHeaders()) },
  { label: 'upgrade with body', bytes: (ws) => req(`GET ${ws} HTTP/1.1`, upgradeHeaders({ 'Content-Length': '5' }), 'hello') },
  // Plain requests to the API with odd targets.
  { label: 'GET /api/rooms/%ZZ', bytes: () => req('GET /api/rooms/%ZZ HTTP/1.1') },
  { label: 'GET /api/rooms/%', bytes: () => req('GET /api/rooms/% HTTP/1.1') },
  { label: 'GET /api/rooms/%C0%AF', bytes: () => req('GET /api/rooms/%C0%AF HTTP/1.1') },
  { label: 'GET /api/rooms/<4 KB>', bytes: () => req(`GET /api/rooms/${'a'.repeat(4000)} HTTP/1.1`) },
  { label: 'GET /api/rooms/..%2f..%2f', bytes: () => req('GET /api/rooms/..%2f..%2fetc HTTP/1.1') },
  { label: 'GET /api/health?%ZZ', bytes: () => req('GET /api/health?%ZZ HTTP/1.1') },
  { label: 'GET /api/nope', bytes: () => req('GET /api/nope HTTP/1.1') },
  { label: 'POST /api/health with body', bytes: () => req('POST /api/health HTTP/1.1', `Host: x${CRLF}Content-Length: 4${CRLF}`, 'abcd') },
  { label: 'DELETE /api/rooms/x', bytes: () => req('DELETE /api/rooms/x HTTP/1.1') },
  { label: 'OPTIONS *', bytes: () => req('OPTIONS * HTTP/1.1') },
  { label: 'CONNECT a:1', bytes: () => req('CONNECT a:1 HTTP/1.1') },
  { label: 'GET http://[/api/health', bytes: () => req('GET http://[/api/health HTTP/1.1') },
  { label: 'GET //a:99999/api/health', bytes: () => req('GET //a:99999/api/health HTTP/1.1') },
  { label: 'GET /../../etc/passwd', bytes: () => req('GET /../../etc/passwd HTTP/1.1') },
  { label: 'GET /%2e%2e/%2e%2e/etc/passwd', bytes: () => req('GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1') },
  { label: 'GET /index.html%00.js', bytes: () => req('GET /index.html%00.js HTTP/1.1') },
  { label: 'GET /%ZZ', bytes: () => req('GET /%ZZ HTTP/1.1') },
  { label: 'GET /metrics', bytes: () => req('GET /metrics HTTP/1.1') },
  { label: 'HEAD /api/rooms', bytes: () => req('HEAD /api/rooms HTTP/1.1') },
  { label: 'POST /api/anonymous', bytes: () => req('POST /api/anonymous HTTP/1.1', `Host: x${CRLF}Content-Length: 0${CRLF}`) },
  { label: 'POST /api/anonymous with a 10 KB body', bytes: () => req('POST /api/anonymous HTTP/1.1', `Host: x${CRLF}Content-Length: 10000${CRLF}`, '{'.repeat(10_000)) },
  { label: 'GET /api/anonymous', bytes: () => req('GET /api/anonymous HTTP/1.1') },
  // Malformed HTTP itself.
  { label: 'header without colon', bytes: () => req('GET / HTTP/1.1', `Host: x${CRLF}NoColonHere${CRLF}`) },
  { label: 'header with NUL', bytes: () => req('GET / HTTP/1.1', `Host: x${CRLF}X-A: a\u0000b${CRLF}`) },
  { label: 'obs-fold header', bytes: () => req('GET / HTTP/1.1', `Host: x${CRLF}X-A: a${CRLF} b${CRLF}`) },
  { label: '40 KB header', bytes: () => req('GET / HTTP/1.1', `Host: x${CRLF}X-Big: ${'b'.repeat(40_000)}${CRLF}`) },
  { label: '40 KB upgrade header', bytes: (ws) => req(`GET ${ws} HTTP/1.1`, upgradeHeaders({ 'X-Big': 'b'.repeat(40_000) })) },
  { label: '500 headers', bytes: () => req('GET / HTTP/1.1', Array.from({ length: 500 }, (_, i) => `X-${i}: ${i}${CRLF}`).join('')) },
  { label: 'two content lengths', bytes: () => req('POST / HTTP/1.1', `Host: x${CRLF}Content-Length: 1${CRLF}Content-Length: 2${CRLF}`, 'ab') },
  { label: 'content-length and chunked', bytes: () => req('POST / HTTP/1.1', `Host: x${CRLF}Content-Length: 3${CRLF}Transfer-Encoding: chunked${CRLF}`, '0\r\n\r\n') },
  { label: 'bad chunk', bytes: () => req('POST / HTTP/1.1', `Host: x${CRLF}Transfer-Encoding: chunked${CRLF}`, 'zz\r\nabc\r\n') },
  { label: 'negative content-length', bytes: () => req('POST / HTTP/1.1', `Host: x${CRLF}Content-Length: -1${CRLF}`) },
  { label: 'huge content-length, no body', bytes: () => req('POST /api/health HTTP/1.1', `Host: x${CRLF}Content-Length: 99999999999${CRLF}`) },
  { label: 'no Host in HTTP/1.1', bytes: () => req('GET /api/health HTTP/1.1', '') },
  { label: 'HTTP/0.9', bytes: () => `GET /${CRLF}` },
  { label: 'HTTP/2 preface', bytes: () => `PRI * HTTP/2.0${CRLF}${CRLF}SM${CRLF}${CRLF}` },
  { label: 'LF-only line ends', bytes: () => 'GET /api/health HTTP/1.1\nHost: x\n\n' },
  { label: 'version 9.9', bytes: () => req('GET / HTTP/9.9') },
  { label: 'lower-case method', bytes: () => req('get / HTTP/1.1') },
  { label: 'TLS client hello', bytes: () => Uint8Array.of(0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, ...randomBytes(32)) },
  { label: 'random bytes', bytes: () => randomBytes(300) },
  { label: 'request cut mid-header', bytes: (ws) => `GET ${ws} HTTP/1.1${CRLF}Host: x${CRLF}Upgr` },
  { label: '50 pipelined requests', bytes: () => req('GET /api/health HTTP/1.1').repeat(50) },
  { label: 'request with a UTF-8 path', bytes: () => req('GET /é/ü HTTP/1.1') },
];

/** Sends bytes on a fresh socket and reads the status line of the answer (or what happened). */
export function rawExchange(target: RawTarget, bytes: string | Uint8Array, timeoutMs = 2000): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port, localAddress: target.localAddress });
    let buf = '';
    let done = false;
    const finish = (o: RawOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ status: 'timeout' }), timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(buf);
      if (m) finish({ status: Number(m[1]) });
      else if (buf.length > 64) finish({ status: 'closed' });
    });
    socket.on('error', () => finish({ status: 'reset' }));
    socket.on('close', () => finish({ status: 'closed' }));
  });
}

/** One WebSocket frame, written by hand (client frames are masked unless `mask` is false). */
export function wsFrame(opcode: number, payload: Uint8Array, o: { fin?: boolean; mask?: boolean; rsv?: number; length?: bigint } = {}): Uint8Array {
  const fin = o.fin ?? true;
  const mask = o.mask ?? true;
  const len = o.length ?? BigInt(payload.length);
  const head: number[] = [(fin ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126n) head.push(m | Number(len));
  else if (len < 65536n) head.push(m | 126, Number(len >> 8n) & 0xff, Number(len) & 0xff);
  else {
    head.push(m | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((len >> BigInt(i * 8)) & 0xffn));
  }
  const key = mask ? randomBytes(4) : new Uint8Array(0);
  const body = Uint8Array.from(payload, (b, i) => (mask ? b ^ key[i & 3]! : b));
  return Uint8Array.from([...head, ...key, ...body]);
}

/** Bad WebSocket framing, sent after a good upgrade: `ws` must close, the server must live. */
export const WS_FRAME_ATTACKS: readonly { label: string; frames: (valid: Uint8Array) => Uint8Array[] }[] = [
  { label: 'unmasked binary frame', frames: (v) => [wsFrame(0x2, v, { mask: false })] },
  { label: 'RSV1 without an extension', frames: (v) => [wsFrame(0x2, v, { rsv: 4 })] },
  { label: 'reserved opcode 0x3', frames: (v) => [wsFrame(0x3, v)] },
  { label: 'reserved control opcode 0xB', frames: () => [wsFrame(0xb, new Uint8Array(0))] },
  { label: 'fragmented ping', frames: () => [wsFrame(0x9, Uint8Array.of(1), { fin: false })] },
  { label: 'ping over 125 bytes', frames: () => [wsFrame(0x9, new Uint8Array(200))] },
  { label: 'length with the top bit set', frames: () => [wsFrame(0x2, new Uint8Array(0), { length: 2n ** 63n })] },
  { label: 'length of 2^40', frames: () => [wsFrame(0x2, new Uint8Array(8), { length: 2n ** 40n })] },
  { label: 'close code 999', frames: () => [wsFrame(0x8, Uint8Array.of(0x03, 0xe7))] },
  { label: 'close code 1005', frames: () => [wsFrame(0x8, Uint8Array.of(0x03, 0xed))] },
  { label: 'close with a 1-byte body', frames: () => [wsFrame(0x8, Uint8Array.of(0x03))] },
  { label: 'close with bad UTF-8 reason', frames: () => [wsFrame(0x8, Uint8Array.of(0x03, 0xe8, 0xff, 0xfe))] },
  { label: 'text frame with bad UTF-8', frames: () => [wsFrame(0x1, Uint8Array.of(0x61, 0xff))] },
  { label: 'continuation without a start', frames: (v) => [wsFrame(0x0, v)] },
  { label: 'new message inside a fragmented one', frames: (v) => [wsFrame(0x2, v, { fin: false }), wsFrame(0x2, v)] },
  { label: 'a valid frame in 1-byte fragments', frames: (v) => Array.from(v, (b, i) => wsFrame(i === 0 ? 0x2 : 0x0, Uint8Array.of(b), { fin: i === v.length - 1 })) },
  { label: '2000 empty fragments', frames: () => [wsFrame(0x2, new Uint8Array(0), { fin: false }), ...Array.from({ length: 2000 }, () => wsFrame(0x0, new Uint8Array(0), { fin: false }))] },
  { label: 'fragments adding up past the size limit', frames: () => [wsFrame(0x2, new Uint8Array(60_000), { fin: false }), wsFrame(0x0, new Uint8Array(60_000), { fin: false }), wsFrame(0x0, new Uint8Array(60_000))] },
  { label: 'frame cut short, then silence', frames: (v) => [wsFrame(0x2, v).subarray(0, 3)] },
];

/**
 * Upgrades with a good handshake, sends hand-written frames, and reports the close code the
 * server sent back (or what happened instead).
 */
export function rawWebSocket(target: RawTarget, frames: readonly Uint8Array[], timeoutMs = 2000): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: target.host, port: target.port, localAddress: target.localAddress });
    let head = '';
    let upgraded = false;
    let rest = Buffer.alloc(0);
    let done = false;
    const finish = (o: RawOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ status: upgraded ? 101 : 'timeout' }), timeoutMs);
    socket.on('connect', () => socket.write(req(`GET ${target.wsPath} HTTP/1.1`, upgradeHeaders())));
    socket.on('data', (d: Buffer) => {
      if (!upgraded) {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
        if (status !== 101) return finish({ status });
        upgraded = true;
        rest = Buffer.from(head.slice(end + 4), 'latin1');
        for (const f of frames) socket.write(f);
      } else {
        rest = Buffer.concat([rest, d]);
      }
      // A close frame from the server: opcode 8, unmasked, code in the first two payload bytes.
      for (let i = 0; i + 1 < rest.length; ) {
        const op = rest[i]! & 0x0f;
        let len = rest[i + 1]! & 0x7f;
        let at = i + 2;
        if (len === 126) {
          if (at + 2 > rest.length) break;
          len = rest.readUInt16BE(at);
          at += 2;
        } else if (len === 127) {
          if (at + 8 > rest.length) break;
          len = Number(rest.readBigUInt64BE(at));
          at += 8;
        }
        if (op === 0x8 && at + 2 <= rest.length) return finish({ status: 101, closeCode: rest.readUInt16BE(at) });
        i = at + len;
      }
    });
    socket.on('error', () => finish({ status: upgraded ? 101 : 'reset' }));
    socket.on('close', () => finish({ status: upgraded ? 101 : 'closed' }));
  });
}
