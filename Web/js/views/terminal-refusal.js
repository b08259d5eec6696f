// What the terminal and editor screens say when the node refuses them to this account (no
// terminal.use) or has them off: one wording for both, since both need the same permission.
import { h } from '../dom.js';

/** A card saying why `feature` ('Terminals', 'The editor') is refused; other errors as they are. */
export function terminalRefusal(e, feature) {
  const why = e.code === 'terminals_off' ? `${feature} ${feature === 'Terminals' ? 'are' : 'is'} off on this node (it was started with --terminals off).`
    : e.status === 403 ? `Your account does not hold terminal.use, which ${feature === 'Terminals' ? 'terminals need' : `${feature.toLowerCase()} needs`}. The founder and Super Admins have it; anyone else only when the founder grants it (Teams → Access).`
      : e.message;
  return h('section', { class: 'card' }, h('p', { class: 'status error', role: 'alert' }, why));
}
