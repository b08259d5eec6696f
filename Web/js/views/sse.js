// Server-sent events read from a fetch() response body: the assistant's answers arrive as
// `text/event-stream` on a POST's response, which EventSource cannot make (it only GETs).
// Events are separated by a blank line; each has `event:` and `data:` lines (the data is JSON).

/** One event block's text → {event, data} (data joined over its `data:` lines, parsed as JSON). */
export function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const key = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (key === 'event') event = value;
    else if (key === 'data') data.push(value);
  }
  if (!data.length) return null;
  const text = data.join('\n');
  try { return { event, data: JSON.parse(text) }; } catch { return { event, data: text }; }
}

/**
 * Reads `response.body` to its end, calling `onEvent(name, data)` for each event as it arrives.
 * Resolves when the stream ends; rejects when reading fails (a connection dropped, an abort).
 */
export async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let cut;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
      const parsed = parseEvent(block);
      if (parsed) onEvent(parsed.event, parsed.data);
    }
    if (done) break;
  }
  const rest = parseEvent(buffer);
  if (rest) onEvent(rest.event, rest.data);
}
