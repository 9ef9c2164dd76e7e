/**
 * An ESC/POS parser for the subset a receipt printer must understand (see the printer package):
 * ESC @, ESC E, ESC !, ESC a, ESC d, GS !, GS V, GS ( k (QR: model, size, level, store, print),
 * DLE EOT n, LF/CR/HT and printable characters. Anything else is flagged as unknown with its
 * offset and skipped, never guessed at. Input may arrive split anywhere: incomplete commands wait
 * for more bytes. Any byte sequence is accepted without throwing.
 */
export type QrLevel = 'L' | 'M' | 'Q' | 'H';
export type Align = 'left' | 'center' | 'right';

export interface Style {
  bold: boolean;
  double: boolean;
  align: Align;
}

export type ParsedEvent =
  | { kind: 'init' }
  | { kind: 'text'; text: string; style: Style }
  | { kind: 'feed'; lines: number }
  | { kind: 'qr'; payload: string; moduleSize: number; level: QrLevel }
  | { kind: 'cut'; partial: boolean }
  | { kind: 'status-query'; n: number }
  | { kind: 'unknown'; offset: number; bytes: number[]; reason: string };

const ESC = 0x1b;
const GS = 0x1d;
const DLE = 0x10;
const LEVELS: Record<number, QrLevel> = { 48: 'L', 49: 'M', 50: 'Q', 51: 'H' };
const ALIGNS: Record<number, Align> = {
  0: 'left',
  1: 'center',
  2: 'right',
  48: 'left',
  49: 'center',
  50: 'right',
};
/** Longest text line kept: a stream without LF cannot grow memory. */
const MAX_LINE = 1024;
/** QR symbol storage (model 2 holds at most 7,089 numeric characters). */
const MAX_QR_DATA = 7089;

export class EscPosParser {
  private pending: number[] = [];
  /** Offset in the whole stream of pending[0]. */
  private offset = 0;
  private line = '';
  private lineStyle: Style | undefined;
  private style: Style = { bold: false, double: false, align: 'left' };
  private qr = { moduleSize: 3, level: 'L' as QrLevel, data: '' };

  /** Feeds bytes; returns the events they complete. */
  feed(chunk: Uint8Array): ParsedEvent[] {
    for (const b of chunk) this.pending.push(b);
    const events: ParsedEvent[] = [];
    let i = 0;
    while (i < this.pending.length) {
      const used = this.step(i, events);
      if (used === 0) break; // incomplete command: wait for more bytes
      i += used;
    }
    this.pending = this.pending.slice(i);
    this.offset += i;
    return events;
  }

  /** Text received but not yet ended by LF (shown when a job ends without one). */
  flush(): ParsedEvent[] {
    const events: ParsedEvent[] = [];
    this.endLine(events, false);
    return events;
  }

  private unknown(events: ParsedEvent[], at: number, length: number, reason: string): number {
    events.push({
      kind: 'unknown',
      offset: this.offset + at,
      bytes: this.pending.slice(at, at + length),
      reason,
    });
    return length;
  }

  private endLine(events: ParsedEvent[], always: boolean): void {
    if (this.line.length || always)
      events.push({ kind: 'text', text: this.line, style: this.lineStyle ?? { ...this.style } });
    this.line = '';
    this.lineStyle = undefined;
  }

  private addChar(ch: string, events: ParsedEvent[]): void {
    if (!this.lineStyle) this.lineStyle = { ...this.style };
    this.line += ch;
    if (this.line.length >= MAX_LINE) this.endLine(events, true);
  }

  /** Parses one command at pending[i]; returns bytes used, 0 when more bytes are needed. */
  private step(i: number, events: ParsedEvent[]): number {
    const p = this.pending;
    const b = p[i]!;
    const left = p.length - i;
    if (b >= 0x20 && b <= 0x7e) {
      this.addChar(String.fromCharCode(b), events);
      return 1;
    }
    if (b >= 0x80) {
      this.addChar('?', events); // code page character outside ASCII: printed, shown as '?'
      return 1;
    }
    if (b === 0x0a) {
      this.endLine(events, true);
      return 1;
    }
    if (b === 0x0d) return 1;
    if (b === 0x09) {
      this.addChar(' ', events);
      return 1;
    }
    if (b === ESC) return this.esc(i, left, events);
    if (b === GS) return this.gs(i, left, events);
    if (b === DLE) {
      if (left < 2) return 0;
      if (p[i + 1] !== 0x04) return this.unknown(events, i, 2, 'DLE command outside the subset');
      if (left < 3) return 0;
      const n = p[i + 2]!;
      if (n < 1 || n > 4) return this.unknown(events, i, 3, `DLE EOT ${n}: status query n must be 1..4`);
      events.push({ kind: 'status-query', n });
      return 3;
    }
    return this.unknown(events, i, 1, `control byte 0x${b.toString(16).padStart(2, '0')}`);
  }

  private esc(i: number, left: number, events: ParsedEvent[]): number {
    const p = this.pending;
    if (left < 2) return 0;
    const c = p[i + 1]!;
    if (c === 0x40) {
      this.endLine(events, false);
      this.style = { bold: false, double: false, align: 'left' };
      this.qr = { moduleSize: 3, level: 'L', data: '' };
      events.push({ kind: 'init' });
      return 2;
    }
    if (c !== 0x45 && c !== 0x21 && c !== 0x61 && c !== 0x64)
      return this.unknown(events, i, 2, `ESC 0x${c.toString(16)} outside the subset`);
    if (left < 3) return 0;
    const n = p[i + 2]!;
    if (c === 0x45) this.style.bold = (n & 1) === 1;
    else if (c === 0x21) {
      this.style.bold = (n & 0x08) !== 0;
      this.style.double = (n & 0x30) === 0x30;
    } else if (c === 0x61) {
      const a = ALIGNS[n];
      if (!a) return this.unknown(events, i, 3, `ESC a ${n}: alignment must be 0..2`);
      this.style.align = a;
    } else {
      this.endLine(events, false);
      events.push({ kind: 'feed', lines: n });
    }
    return 3;
  }

  private gs(i: number, left: number, events: ParsedEvent[]): number {
    const p = this.pending;
    if (left < 2) return 0;
    const c = p[i + 1]!;
    if (c === 0x21) {
      if (left < 3) return 0;
      const n = p[i + 2]!;
      if ((n & 0x88) !== 0) return this.unknown(events, i, 3, `GS ! 0x${n.toString(16)}: size out of range`);
      this.style.double = (n & 0x70) !== 0 && (n & 0x07) !== 0;
      return 3;
    }
    if (c === 0x56) {
      if (left < 3) return 0;
      const m = p[i + 2]!;
      if (m === 0 || m === 48 || m === 1 || m === 49) {
        this.endLine(events, false);
        events.push({ kind: 'cut', partial: m === 1 || m === 49 });
        return 3;
      }
      if (m !== 65 && m !== 66) return this.unknown(events, i, 3, `GS V ${m}: cut mode outside the subset`);
      if (left < 4) return 0;
      this.endLine(events, false);
      if (p[i + 3]! > 0) events.push({ kind: 'feed', lines: p[i + 3]! });
      events.push({ kind: 'cut', partial: m === 66 });
      return 4;
    }
    if (c === 0x28) {
      if (left < 5) return 0;
      const len = p[i + 3]! | (p[i + 4]! << 8);
      if (left < 5 + len) return 0;
      if (p[i + 2] !== 0x6b)
        return this.unknown(events, i, 5 + len, `GS ( 0x${p[i + 2]!.toString(16)} outside the subset`);
      return this.qrFunction(i, len, events);
    }
    return this.unknown(events, i, 2, `GS 0x${c.toString(16)} outside the subset`);
  }

  /** GS ( k pL pH cn fn params: only cn 49 (QR code) and functions 165, 167, 169, 180, 181. */
  private qrFunction(i: number, len: number, events: ParsedEvent[]): number {
    const p = this.pending;
    const total = 5 + len;
    if (len < 2 || p[i + 5] !== 49)
      return this.unknown(events, i, total, 'GS ( k: only the QR code symbol (cn 49)');
    const fn = p[i + 6]!;
    const params = p.slice(i + 7, i + total);
    if (fn === 65) {
      if (params.length !== 2 || params[0] !== 50)
        return this.unknown(events, i, total, 'GS ( k 165: only model 2 (n1 50)');
    } else if (fn === 67) {
      if (params.length !== 1 || params[0]! < 1 || params[0]! > 16)
        return this.unknown(events, i, total, 'GS ( k 167: module size must be 1..16');
      this.qr.moduleSize = params[0]!;
    } else if (fn === 69) {
      const level = params.length === 1 ? LEVELS[params[0]!] : undefined;
      if (!level) return this.unknown(events, i, total, 'GS ( k 169: error level must be 48..51');
      this.qr.level = level;
    } else if (fn === 80) {
      if (params[0] !== 48 || params.length < 2 || params.length - 1 > MAX_QR_DATA)
        return this.unknown(events, i, total, 'GS ( k 180: store needs m 48 and 1..7089 data bytes');
      this.qr.data = String.fromCharCode(...params.slice(1));
    } else if (fn === 81) {
      if (params.length !== 1 || params[0] !== 48)
        return this.unknown(events, i, total, 'GS ( k 181: print needs m 48');
      if (!this.qr.data) return this.unknown(events, i, total, 'GS ( k 181: no QR data stored');
      this.endLine(events, false);
      events.push({
        kind: 'qr',
        payload: this.qr.data,
        moduleSize: this.qr.moduleSize,
        level: this.qr.level,
      });
    } else return this.unknown(events, i, total, `GS ( k function ${fn + 100} outside the subset`);
    return total;
  }
}
