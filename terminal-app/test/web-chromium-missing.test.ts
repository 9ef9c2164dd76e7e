/** Without chromium the browser tests fail and say why: they never skip, never download a browser. */
import { describe, expect, it } from 'vitest';
import { launchChromium } from './support/web-counter';

describe('launching chromium for the browser tests', () => {
  it('fails with the reason when chromium is missing', async () => {
    await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow(
      /chromium is not installed at \/nonexistent\/chromium: run scripts\/setup as root/,
    );
  });

  it('fails with the reason when the executable is not a browser', async () => {
    await expect(launchChromium('/bin/false')).rejects.toThrow(/chromium at \/bin\/false could not start/);
  });
});
