/**
 * What the three pages share, in the browser: sign-in, fetch with the session's CSRF token,
 * amounts in KES for people (Intl en-KE, two decimals), DOM building without innerHTML (every
 * value from the service is text, never markup), sortable tables and a small inline SVG chart.
 */
export const kes = new Intl.NumberFormat('en-KE', {
  style: 'currency',
  currency: 'KES',
  minimumFractionDigits: 2,
});
export const formatKes = (cents: number) => kes.format(cents / 100);

type Child = Node | string | number | null | undefined;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children)
    if (c !== null && c !== undefined) e.append(typeof c === 'number' ? String(c) : c);
  return e;
}

export interface Me {
  username: string;
  role: 'operator' | 'auditor' | 'merchant';
  merchantId: string | null;
  csrfToken: string;
}

let me: Me | undefined;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && me) headers['x-csrf-token'] = me.csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const json = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
  if (!res.ok) throw new ApiError(res.status, json.error ?? 'ERR_HTTP', json.message ?? res.statusText);
  return json as T;
}

/** Shows the sign-in form until a session of one of `roles` exists, then resolves it. */
export async function signIn(root: HTMLElement, roles: Me['role'][]): Promise<Me> {
  try {
    me = await api<Me>('GET', '/v1/session');
    if (roles.includes(me.role)) return me;
  } catch {
    // not signed in: show the form
  }
  return new Promise((resolve) => {
    const user = el('input', { id: 'username', name: 'username', autocomplete: 'username', required: '' });
    const pass = el('input', {
      id: 'password',
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: '',
    });
    const status = el('p', { role: 'status', 'aria-live': 'polite' });
    const form = el(
      'form',
      { 'aria-label': 'Sign in' },
      el('h2', {}, 'Sign in'),
      el('label', { for: 'username' }, 'Username'),
      user,
      el('label', { for: 'password' }, 'Password'),
      pass,
      el('button', { type: 'submit' }, 'Sign in'),
      status,
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        me = await api<Me>('POST', '/v1/session', { username: user.value, password: pass.value });
        if (!roles.includes(me.role)) {
          status.textContent = `This page is not for a ${me.role} account.`;
          return;
        }
        form.remove();
        resolve(me);
      } catch (e) {
        status.textContent =
          e instanceof ApiError && e.status === 429
            ? 'Too many attempts: wait and try again.'
            : 'Wrong username or password.';
      }
    });
    root.replaceChildren(form);
  });
}

export async function signOut(): Promise<void> {
  await api('POST', '/v1/session/logout', {});
  location.reload();
}

/** A table whose column headers sort it (click or Enter); `rows` keep their raw values for sorting. */
export function table(
  caption: string,
  columns: string[],
  rows: Array<Array<{ text: string; sort: string | number }>>,
  id = '',
): HTMLTableElement {
  const tbody = el('tbody');
  const render = (list: typeof rows) =>
    tbody.replaceChildren(...list.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c.text)))));
  render(rows);
  const head = el('tr');
  columns.forEach((name, i) => {
    let asc = true;
    const button = el('button', { type: 'button', class: 'sort' }, name);
    button.addEventListener('click', () => {
      const sorted = [...rows].sort(
        (a, b) => (a[i]!.sort < b[i]!.sort ? -1 : a[i]!.sort > b[i]!.sort ? 1 : 0) * (asc ? 1 : -1),
      );
      asc = !asc;
      render(sorted);
    });
    head.append(el('th', { scope: 'col' }, button));
  });
  return el('table', id ? { id } : {}, el('caption', {}, caption), el('thead', {}, head), tbody);
}

export const cell = (text: string | number | null, sort?: string | number) => ({
  text: text === null ? '—' : String(text),
  sort: sort ?? text ?? '',
});

/** Bars of `values` as inline SVG with a text alternative (no chart library). */
export function barChart(
  title: string,
  points: Array<{ label: string; value: number; text: string }>,
): HTMLElement {
  const ns = 'http://www.w3.org/2000/svg';
  const w = Math.max(200, points.length * 40);
  const h = 120;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h + 20}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute(
    'aria-label',
    `${title}: ${points.map((p) => `${p.label} ${p.text}`).join(', ') || 'no data'}`,
  );
  const max = Math.max(1, ...points.map((p) => p.value));
  points.forEach((p, i) => {
    const bh = Math.round((p.value / max) * h);
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', String(i * 40 + 5));
    rect.setAttribute('y', String(h - bh));
    rect.setAttribute('width', '30');
    rect.setAttribute('height', String(bh));
    rect.setAttribute('class', 'bar');
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', String(i * 40 + 5));
    label.setAttribute('y', String(h + 14));
    label.setAttribute('font-size', '9');
    label.textContent = p.label.slice(5);
    svg.append(rect, label);
  });
  return el('figure', { class: 'chart' }, el('figcaption', {}, title), svg);
}

export function download(name: string, href: string): HTMLAnchorElement {
  return el('a', { href, download: name }, `Download ${name}`);
}
