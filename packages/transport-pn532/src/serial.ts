/** The byte pipe under the PN532 protocol: a serial port (serialport), or anything alike. */
import { ReaderUnavailableError } from '@huduma/apdu';
import { SerialPort } from 'serialport';

export interface ByteLink {
  write(bytes: Uint8Array): Promise<void>;
  /** Registers the receiver of every byte that arrives. */
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Called once when the line goes away (port closed, device unplugged). */
  onClose(listener: (error?: Error) => void): void;
  close(): Promise<void>;
}

/** HSU default: 115,200 baud, 8N1. */
export const DEFAULT_BAUD_RATE = 115_200;

/**
 * Opens a serial device with the real `serialport` binding. A path that cannot be opened gives
 * ReaderUnavailableError naming it (and the system's reason).
 */
export function openSerialLink(path: string, options: { baudRate?: number } = {}): Promise<ByteLink> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: options.baudRate ?? DEFAULT_BAUD_RATE, autoOpen: false });
    port.open((error) => {
      if (error) {
        reject(
          new ReaderUnavailableError(
            `cannot open the serial line ${JSON.stringify(path)}: ${error.message}`,
            {
              cause: error,
            },
          ),
        );
        return;
      }
      resolve(serialLink(port));
    });
  });
}

function serialLink(port: SerialPort): ByteLink {
  let closeListener: ((error?: Error) => void) | undefined;
  let closed = false;
  const closedWith = (error?: Error) => {
    if (closed) return;
    closed = true;
    closeListener?.(error);
  };
  port.on('close', (error?: Error) => closedWith(error ?? undefined));
  port.on('error', (error) => closedWith(error));
  return {
    write(bytes) {
      return new Promise((resolve, reject) => {
        if (closed) {
          reject(new ReaderUnavailableError(`serial line ${port.path} is closed`));
          return;
        }
        port.write(Buffer.from(bytes), (error) => {
          if (error)
            reject(
              new ReaderUnavailableError(`write to ${port.path} failed: ${error.message}`, { cause: error }),
            );
          else resolve();
        });
      });
    },
    onData(listener) {
      port.on('data', (chunk: Buffer) => listener(new Uint8Array(chunk)));
    },
    onClose(listener) {
      closeListener = listener;
    },
    close() {
      return new Promise((resolve) => {
        if (!port.isOpen) {
          resolve();
          return;
        }
        port.close(() => resolve());
      });
    },
  };
}
