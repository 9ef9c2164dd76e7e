// Small helpers of the cashier page: the label catalog and the cashier's language, Intl
// formatting for Kenya (KES, Africa/Nairobi), DOM building without innerHTML, and the JSON API.
let labels = { en: {}, sw: {} };
let lang = localStorage.getItem('huduma.lang') === 'sw' ? 'sw' : 'en';

export function setLabels(next) {
  labels = next;
}
export function getLang() {
  return lang;
}
/** The cashier's choice, kept in this browser for the next shift. */
export function setLang(next) {
  lang = next === 'sw' ? 'sw' : 'en';
  localStorage.setItem('huduma.lang', lang);
}

export const $ = (id) => document.getElementById(id);
const LOCALES = { en: 'en-KE', sw: 'sw-KE' };

export function t(key, params = {}) {
  const text = labels[lang][key] ?? labels.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}
export const kes = (cents) =>
  new Intl.NumberFormat(LOCALES[lang], {
    style: 'currency',
    currency: 'KES',
    minimumFractionDigits: 2,
  }).format(cents / 100);
export const when = (ms) =>
  new Intl.DateTimeFormat(LOCALES[lang], {
    dateStyle: 'medium',
    timeStyle: 'medium',
    timeZone: 'Africa/Nairobi',
  }).format(new Date(ms));
export const duration = (ms) => {
  const minutes = Math.floor(ms / 60000);
  return new Intl.NumberFormat(LOCALES[lang], {
    style: 'unit',
    unit: minutes >= 120 ? 'hour' : 'minute',
  }).format(minutes >= 120 ? Math.floor(minutes / 60) : minutes);
};

export function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

export async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(json.error?.message ?? res.statusText), json.error ?? {});
  return json;
}
