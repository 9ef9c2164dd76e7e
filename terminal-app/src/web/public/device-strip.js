// The counter's devices on the page: one item per device, its state in the cashier's language.
import { $, el, t } from './page-kit.js';

/** The device strip: each configured device with its state in words (absent: no devices set up). */
export function renderDevices(devices) {
  const strip = $('devices');
  strip.hidden = !devices;
  if (!devices) return;
  strip.setAttribute('aria-label', t('device.heading'));
  strip.replaceChildren(
    ...Object.entries(devices).map(([kind, state]) => {
      const li = el('li', `${t(`device.${kind}`)}: ${t(`device.state.${state}`)}`, {
        'data-device': kind,
        'data-state': state,
      });
      if (state !== 'ready' && state !== 'not-configured') li.classList.add('device-problem');
      return li;
    }),
  );
}
