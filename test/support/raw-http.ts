/**
 * HTTP/1.1 over a plain socket, for requests fetch refuses to send: malformed request lines,
 * absolute-form and `//` targets, oversized headers, CONNECT.
 */
import { connect } from 'node:net';

export interface RawResponse {
  /** 0 when the server closed or reset the connection without an answer. */
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  /** The socket error, if the connection ended with one (e.g. ECONNRESET). */
  readonly error?: string;
}

/**
 * Writes `data` and reads until the server closes or one full response (by Content-Length)
 * has arrived. Write errors are ignored: the server may answer before it has read everything.
 */
export function rawRequest(port: number, data: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponse(Buffer.concat(chunks), error));
    };
    const timer = setTimeout(() => {
      error ??= 'timeout';
      finish();
    }, timeoutMs);
    socket.on('data', (d) => {
      chunks.push(d);
      if (isComplete(Buffer.concat(chunks))) finish();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // EPIPE on write is expected when the server answers early; keep reading what it sent.
      if (e.code !== 'EPIPE') error = e.code ?? e.message;
      if (e.code !== 'EPIPE') finish();
    });
    socket.on('close', finish);
    socket.write(data);
  });
}

function splitHead(buf: Buffer): { head: string; body: Buffer } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  return { head: buf.subarray(0, end).toString('latin1'), body: buf.subarray(end + 4) };
}

function isComplete(buf: Buffer): boolean {
  const parts = splitHead(buf);
  if (!parts) return false;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(parts.head);
  return m !== null && parts.body.length >= Number(m[1]);
}

function parseResponse(buf: Buffer, error: string | undefined): RawResponse {
  const parts = splitHead(buf);
  if (!parts) return { status: 0, headers: {}, text: buf.toString('utf8'), body: undefined, ...(error ? { error } : {}) };
  const [statusLine, ...lines] = parts.head.split('\r\n');
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const text = parts.body.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, text, body, ...(error ? { error } : {}) };
}
