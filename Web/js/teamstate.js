// The team the person is working in, remembered across screens and reloads.
import { get } from './api.js';

const KEY = 'elohim.team';

export function currentTeam() { return localStorage.getItem(KEY); }
export function setCurrentTeam(id) { if (id) localStorage.setItem(KEY, id); }

/** The teams this node holds, and the current one (the remembered one, else the first). */
export async function loadTeams() {
  const { teams } = await get('/api/v1/teams');
  let id = currentTeam();
  if (!teams.some((t) => t.id === id)) id = teams[0]?.id || null;
  if (id) setCurrentTeam(id);
  return { teams, team: teams.find((t) => t.id === id) || null };
}
