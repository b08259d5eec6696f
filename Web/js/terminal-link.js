// The page's end of a terminal attachment (WebSocket /api/v1/terminal/sessions/{id}/attach):
// bytes typed go out as binary frames, output comes in as binary frames (the scrollback first,
// on every attach), and text frames carry control: {"resize"} and {"signal"} out, {"exit"} and
// {"error"} in. A dropped link is attached again with backoff (1 s doubling to 15 s) for as long
// as the session runs: the session outlives its socket, and each attach starts with a replay,
// so `onAttach` tells the screen to clear what it showed before the replay arrives.

import * as session from './session.js';

/**
 * attach(id, {onAttach, onOutput(Uint8Array), onExit({code}|{signal}), onState(text), onError(text)})
 * → {send(text), resize(cols, rows), signal(name), close()}.
 */
export function attach(id, handlers) {
  let socket = null, closed = false, retry = null, backoff = 1000, ended = false;
  let size = null;
  const encoder = new TextEncoder();

  function open() {
    if (closed || ended) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${scheme}//${location.host}/api/v1/terminal/sessions/${encodeURIComponent(id)}/attach?token=${encodeURIComponent(session.token() || '')}`;
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    handlers.onState?.('Connecting…');
    ws.onopen = () => {
      backoff = 1000;
      handlers.onAttach?.();
      handlers.onState?.('Connected');
      if (size) ws.send(JSON.stringify({ resize: size }));
    };
    ws.onmessage = (m) => {
      if (typeof m.data !== 'string') { handlers.onOutput?.(new Uint8Array(m.data)); return; }
      let control;
      try { control = JSON.parse(m.data); } catch { return; }
      if (control.exit) { ended = true; handlers.onExit?.(control.exit); }
      if (control.error) handlers.onError?.(control.error);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (closed || ended) return;
      handlers.onState?.(`Disconnected; attaching again in ${Math.round(backoff / 1000)} s…`);
      retry = setTimeout(() => { retry = null; open(); }, backoff);
      backoff = Math.min(backoff * 2, 15_000);
    };
  }

  function sendControl(obj) {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(obj));
  }

  open();
  return {
    /** Types `text` into the terminal (dropped while no socket is open; the screen says so). */
    send(text) { if (socket?.readyState === WebSocket.OPEN) socket.send(encoder.encode(text)); },
    resize(cols, rows) { size = { cols, rows }; sendControl({ resize: size }); },
    signal(name) { sendControl({ signal: name }); },
    /** Detaches: the session goes on, and can be attached again. */
    close() { closed = true; clearTimeout(retry); socket?.close(); socket = null; },
  };
}
