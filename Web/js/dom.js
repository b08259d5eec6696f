// A small view layer: elements are built with h(), never from HTML strings, so text from the
// node (names, titles, notices) can never become markup.

/**
 * h('button', {class: 'primary', onclick: fn, 'aria-label': 'Close'}, 'Text', child, [more])
 * Props: `class`, `text`, `on<event>` (listeners), `dataset`, booleans (true sets, false omits),
 * anything else an attribute. Children: strings, numbers, nodes, arrays; null/false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = tag.includes(':') ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1]) : document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' && 'value' in el) el.value = value;
    else if (key === 'checked' || key === 'selected') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces everything in `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let fieldCounter = 0;
/** A labelled form field: the label names the control for screen readers. */
export function field(label, control, hint) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  const hintEl = hint ? h('small', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

/** A message region inside a form that screen readers announce. */
export function status() {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

export function showError(region, error) {
  region.className = 'status error';
  region.textContent = error?.message || String(error);
}

export function showOk(region, text) {
  region.className = 'status ok';
  region.textContent = text;
}

/** Runs `fn` while `button` is disabled and busy; errors go to `region`. */
export async function busy(button, region, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (region) { region.className = 'status'; region.textContent = ''; }
  try { return await fn(); } catch (e) { if (region) showError(region, e); else throw e; } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
