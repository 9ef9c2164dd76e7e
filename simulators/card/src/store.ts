import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the card's EEPROM image lives. `save` is atomic: after a crash, `load` returns the old or the new image. */
export interface CardStore {
  load(): Uint8Array;
  save(image: Uint8Array): void;
  readonly path?: string;
}

/** In memory: the image is kept as encoded bytes, so the same encode/decode path as on disk is exercised. */
export class MemoryCardStore implements CardStore {
  private image: Uint8Array;
  constructor(image: Uint8Array) {
    this.image = image.slice();
  }
  load(): Uint8Array {
    return this.image.slice();
  }
  save(image: Uint8Array): void {
    this.image = image.slice();
  }
}

/**
 * A file: writes go to a temp file that is fsynced, renamed over the card file, and then the
 * directory is fsynced, so the rename itself is durable.
 */
export class FileCardStore implements CardStore {
  constructor(readonly path: string) {}

  load(): Uint8Array {
    return new Uint8Array(fs.readFileSync(this.path));
  }

  save(image: Uint8Array): void {
    const dir = path.dirname(path.resolve(this.path));
    const tmp = path.join(dir, `.${path.basename(this.path)}.${process.pid}.tmp`);
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, image);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.path);
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }
}
