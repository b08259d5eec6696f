// Every screen, the fragment that shows it, and whether it needs a signed-in account. Screens
// load when first shown, so the first load carries only the shell.

const team = '(?<team>[0-9a-f]{64})';
export const routes = [
  { name: 'setup', pattern: /^\/setup$/, auth: false, section: 'account', load: () => import('./views/setup.js') },
  { name: 'signin', pattern: /^\/signin$/, auth: false, section: 'account', load: () => import('./views/signin.js') },
  { name: 'home', pattern: /^\/$/, section: 'home', load: () => import('./views/home.js') },
  { name: 'teams', pattern: /^\/teams$/, section: 'teams', load: () => import('./views/teams.js') },
  { name: 'team', pattern: new RegExp(`^/teams/${team}$`), section: 'teams', load: () => import('./views/team.js') },
  { name: 'messages', pattern: new RegExp(`^/teams/${team}/messages$`), section: 'teams', load: () => import('./views/messages.js') },
  { name: 'designer', pattern: new RegExp(`^/teams/${team}/workflows$`), section: 'work', load: () => import('./views/workflows.js') },
  { name: 'queue', pattern: new RegExp(`^/teams/${team}/queue$`), section: 'work', load: () => import('./views/queue.js') },
  { name: 'item', pattern: new RegExp(`^/teams/${team}/items/(?<item>[0-9a-f]{64})$`), section: 'work', load: () => import('./views/item.js') },
  { name: 'work', pattern: /^\/work$/, section: 'work', load: () => import('./views/work.js') },
  { name: 'vault', pattern: /^\/vault$/, section: 'vault', load: () => import('./views/vault.js') },
  { name: 'data', pattern: /^\/data$/, section: 'data', load: () => import('./views/data.js') },
  { name: 'assistant', pattern: /^\/assistant$/, section: 'assistant', load: () => import('./views/assistant.js') },
  { name: 'join', pattern: /^\/join$/, section: 'teams', load: () => import('./views/join.js') },
  { name: 'terminal', pattern: /^\/terminal(?:\/(?<id>[0-9a-f]{16}))?$/, section: 'terminal', load: () => import('./views/terminal.js') },
  { name: 'editor', pattern: /^\/editor$/, section: 'terminal', load: () => import('./views/editor.js') },
  { name: 'mesh', pattern: /^\/mesh$/, section: 'mesh', load: () => import('./views/mesh.js') },
  { name: 'notifications', pattern: /^\/notifications$/, section: 'notifications', load: () => import('./views/notifications.js') },
  { name: 'account', pattern: /^\/account$/, section: 'account', load: () => import('./views/account.js') },
  { name: 'audit', pattern: /^\/audit$/, section: 'audit', load: () => import('./views/audit.js') },
  { name: 'diagnostics', pattern: /^\/diagnostics$/, section: 'diagnostics', load: () => import('./views/diagnostics.js') },
  { name: 'help', pattern: /^\/help$/, auth: false, section: 'help', load: () => import('./views/help.js') },
  { name: 'notFound', pattern: /^$/, auth: false, load: () => import('./views/notfound.js') },
];

export const navItems = [
  { href: '#/', label: 'Home', section: 'home' },
  { href: '#/teams', label: 'Teams', section: 'teams' },
  { href: '#/work', label: 'Work', section: 'work' },
  { href: '#/vault', label: 'Vault', section: 'vault' },
  { href: '#/data', label: 'Data', section: 'data' },
  { href: '#/assistant', label: 'Assistant', section: 'assistant' },
  { href: '#/mesh', label: 'Mesh', section: 'mesh' },
  { href: '#/terminal', label: 'Terminal', section: 'terminal' },
  { href: '#/audit', label: 'Audit', section: 'audit', founder: true },
  { href: '#/diagnostics', label: 'Diagnostics', section: 'diagnostics', founder: true },
  { href: '#/help', label: 'Help', section: 'help' },
];
