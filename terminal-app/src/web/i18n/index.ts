export { en, type WebLabelKey } from './en';
export { formatKesFor, LOCALES } from './format';
export {
  type RefusalWording,
  refusalText,
  WEB_LANGUAGES,
  type WebLanguage,
  WORDED_REASONS,
} from './refusals';
export { sw } from './sw';
