import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(__dirname, '../..');

/** `npm start`'s main job with stdin not a TTY (a closed pipe), as in CI. */
function start(dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--conditions=huduma-source', '--import', 'tsx', 'scripts/start.ts'],
      {
        cwd: REPO,
        env: { ...process.env, HUDUMA_DATA_DIR: dataDir, HUDUMA_WEB_PORT: '0' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('npm start without a TTY', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'huduma-start-')), '.huduma');
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('sets up the demo world and runs the narrated demo to completion', async () => {
    const r = await start(dataDir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Created the demo world');
    expect(r.stdout).toContain('running the narrated demo');
    expect(r.stdout).toMatch(/Cashier web app: http:\/\/127\.0\.0\.1:\d+/);
    expect(r.stdout).toContain('APPROVED: KES 50.00');
    expect(r.stdout).toContain('Declined: insufficient balance (balance KES 120.00)');
    expect(r.stdout).toContain('NOT FINISHED: card pulled out mid-payment');
    expect(r.stdout).toContain('The earlier sale of KES 250.00 went through — receipt below.');
    expect(r.stdout).toContain('CANCELLED: KES 250.00');
    expect(r.stdout).toContain('X REPORT (shift still open)');
    expect(r.stdout).toContain('Demo complete.');
  });

  it('runs again on the existing world', async () => {
    const r = await start(dataDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Using the demo world');
    expect(r.stdout).toMatch(/Amina\s+card \d{16}\s+balance KES 4,950.00/);
    expect(r.stdout).toContain('Demo complete.');
  });
});
