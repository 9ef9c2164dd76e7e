export { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font';
export { COLUMNS, PAPER_DOTS, type PrintedItem, pageBitmap, pagePng, pageText } from './page';
export { type Align, EscPosParser, type ParsedEvent, type QrLevel, type Style } from './parser';
export { encodePng } from './png';
export { openPtyPair, type PtyPair } from './pty';
export {
  type PrintedPage,
  type PrinterFaults,
  PrinterSimulator,
  type PrinterSimulatorEvents,
} from './simulator';
