// How the page writes IDs, sizes, times and states for people.

/** A 64-hex-digit ID or a node ID, shortened for reading: the full one stays in a tooltip. */
export function shortId(id) {
  if (!id) return '';
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

export function size(n) {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

export function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || '';
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function fromNow(iso) {
  const ms = new Date(iso).getTime() - Date.now();
  const abs = Math.abs(ms), future = ms > 0;
  const units = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000]];
  for (const [name, unit] of units) {
    if (abs >= unit) {
      const n = Math.round(abs / unit);
      return future ? `in ${n} ${name}${n === 1 ? '' : 's'}` : `${n} ${name}${n === 1 ? '' : 's'} ago`;
    }
  }
  return future ? 'in under a minute' : 'just now';
}

export function duration(seconds) {
  if (!seconds) return 'no limit';
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** SLA states as words and a shape, never colour alone. */
export const slaWords = {
  ok: { label: 'On time', mark: '●' },
  warning: { label: '80% warning', mark: '▲' },
  overdue: { label: 'Overdue', mark: '■' },
  done: { label: 'Done', mark: '✓' },
};

export const statusWords = { queued: 'Queued', claimed: 'Claimed', in_progress: 'In progress', completed: 'Completed' };

export const roles = ['guest', 'member', 'admin', 'super-admin'];
export const roleWords = { guest: 'Guest', member: 'Member', admin: 'Admin', 'super-admin': 'Super Admin', none: 'None' };

/** A member's display: the person's name when the API gives one, else the short node ID. */
export function memberName(member) {
  return member?.name || shortId(member?.person || member?.nodeId);
}
