/**
 * Words for the counter's devices and their states (keys: `device.<kind>`,
 * `device.state.<state>`), in English and Kiswahili. The console and the cashier page both use
 * them; the device model only ever holds the states.
 */
import type { DeviceKind } from '../devices/device-config';
import type { DeviceState, DeviceStates } from '../devices/device-states';
import type { Language } from './index';

export const deviceWordsEn = {
  'device.heading': 'Devices',
  'device.reader': 'Reader',
  'device.printer': 'Printer',
  'device.pinpad': 'PIN pad',
  'device.state.ready': 'ready',
  'device.state.absent': 'not found',
  'device.state.paper-out': 'out of paper',
  'device.state.cover-open': 'cover open',
  'device.state.offline': 'offline',
  'device.state.error': 'error',
  'device.state.disconnected': 'disconnected',
  'device.state.not-configured': 'not set up',
} as const satisfies Record<
  `device.${DeviceKind}` | `device.state.${DeviceState}` | 'device.heading',
  string
>;

export type DeviceWordKey = keyof typeof deviceWordsEn;

export const deviceWordsSw: Record<DeviceWordKey, string> = {
  'device.heading': 'Vifaa',
  'device.reader': 'Kisoma kadi',
  'device.printer': 'Printa',
  'device.pinpad': 'Kibodi ya PIN',
  'device.state.ready': 'tayari',
  'device.state.absent': 'haipatikani',
  'device.state.paper-out': 'karatasi imeisha',
  'device.state.cover-open': 'kifuniko kiko wazi',
  'device.state.offline': 'imesimama',
  'device.state.error': 'hitilafu',
  'device.state.disconnected': 'haijaunganishwa',
  'device.state.not-configured': 'haijawekwa',
};

export const DEVICE_WORDS: Record<Language, Record<DeviceWordKey, string>> = {
  en: deviceWordsEn,
  sw: deviceWordsSw,
};

/** "Reader: ready  Printer: out of paper  PIN pad: not set up" in the cashier's language. */
export function deviceStatesLine(states: DeviceStates, language: Language = 'en'): string {
  const words = DEVICE_WORDS[language];
  return (Object.keys(states) as DeviceKind[])
    .map((kind) => `${words[`device.${kind}`]}: ${words[`device.state.${states[kind]}`]}`)
    .join('  ');
}
