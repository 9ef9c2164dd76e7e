import { describe, expect, it } from 'vitest';
import { ApduEncodeError } from './errors';
import { describeStatusWord, registerStatusWords, SW } from './status-words';

describe('describeStatusWord', () => {
  it('describes exact ISO 7816-4 status words', () => {
    expect(describeStatusWord(0x9000)).toMatchObject({ name: 'OK', kind: 'success' });
    expect(describeStatusWord(0x6a82)).toMatchObject({ sw: 0x6a82, name: 'FILE_NOT_FOUND', kind: 'error' });
    expect(describeStatusWord(0x6283)).toMatchObject({ name: 'FILE_DEACTIVATED', kind: 'warning' });
    expect(describeStatusWord(0x6982).meaning).toBe('Security status not satisfied');
  });

  it('names every SW constant with the same name', () => {
    for (const [name, sw] of Object.entries(SW)) {
      if (name.endsWith('_BASE') || name === 'BYTES_REMAINING' || name === 'WRONG_LE') continue;
      expect(describeStatusWord(sw).name, name).toBe(name);
    }
  });

  it('covers the required ISO set', () => {
    const required = [
      0x9000, 0x6200, 0x6281, 0x6282, 0x6283, 0x6284, 0x6285, 0x6286, 0x6400, 0x6581, 0x6700, 0x6800, 0x6881,
      0x6882, 0x6883, 0x6884, 0x6900, 0x6981, 0x6982, 0x6983, 0x6984, 0x6985, 0x6986, 0x6a80, 0x6a81, 0x6a82,
      0x6a83, 0x6a84, 0x6a85, 0x6a86, 0x6a87, 0x6a88, 0x6a89, 0x6b00, 0x6d00, 0x6e00, 0x6f00,
    ];
    for (const sw of required) {
      const info = describeStatusWord(sw);
      expect(info.name, sw.toString(16)).not.toBe('UNKNOWN');
      expect(info.meaning.length).toBeGreaterThan(5);
    }
  });

  it('describes ranges with their parameter', () => {
    expect(describeStatusWord(0x6110)).toMatchObject({ name: 'BYTES_REMAINING', kind: 'success' });
    expect(describeStatusWord(0x6110).meaning).toMatch(/^16 /);
    expect(describeStatusWord(0x6c08)).toMatchObject({ name: 'WRONG_LE', kind: 'error' });
    expect(describeStatusWord(0x6c08).meaning).toMatch(/8 data bytes/);
    expect(describeStatusWord(0x63c2)).toMatchObject({ name: 'VERIFY_FAILED', kind: 'warning' });
    expect(describeStatusWord(0x63c2).meaning).toMatch(/2 retries/);
    expect(describeStatusWord(0x6999)).toMatchObject({ name: 'COMMAND_NOT_ALLOWED', kind: 'error' });
  });

  it('returns UNKNOWN for anything else', () => {
    expect(describeStatusWord(0x9123)).toMatchObject({ sw: 0x9123, name: 'UNKNOWN', kind: 'error' });
    expect(describeStatusWord(0x9123).meaning).toMatch(/9123/);
  });

  it('uses registered application status words first', () => {
    registerStatusWords([
      { sw: 0x9f01, name: 'HUDUMA_TEST_BALANCE', meaning: 'Insufficient balance (test)', kind: 'error' },
      { sw: 0x6a88, name: 'HUDUMA_TEST_OVERRIDE', meaning: 'Overridden (test)', kind: 'error' },
    ]);
    expect(describeStatusWord(0x9f01).name).toBe('HUDUMA_TEST_BALANCE');
    expect(describeStatusWord(0x6a88).name).toBe('HUDUMA_TEST_OVERRIDE');
    // Returned objects are copies: mutating one cannot corrupt the table.
    describeStatusWord(0x9000).name = 'MUTATED';
    expect(describeStatusWord(0x9000).name).toBe('OK');
    expect(() => registerStatusWords([{ sw: 0x10000, name: 'X', meaning: 'x', kind: 'error' }])).toThrow(
      ApduEncodeError,
    );
  });
});
