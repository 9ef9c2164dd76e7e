/**
 * Card host: runs virtual cards on the vpcd readers of one pcscd. The harness starts it inside the
 * pcscd network namespace (nsenter) and drives it over the Node IPC channel.
 *
 *   node --conditions=huduma-source --import tsx pcsc-card-host.ts --card-module <path> [--base-port 35963]
 *
 * The card module exports `createCard(options): VirtualCard`; `insert` may name another module.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type VirtualCard, VPCD_DEFAULT_PORT, VpcdBridge } from '@huduma/sim-vpcd';

export type CardHostRequest =
  | { id: number; op: 'insert'; slot: number; module?: string; options?: unknown }
  | { id: number; op: 'remove'; slot: number }
  | { id: number; op: 'remove-on-next-command'; slot: number }
  | { id: number; op: 'stats'; slot: number }
  | { id: number; op: 'stop' };

export type CardHostMessage =
  | { event: 'ready' }
  | { event: 'reply'; id: number; ok: true; result?: unknown }
  | { event: 'reply'; id: number; ok: false; error: string }
  | { event: 'removed'; slot: number };

interface CardModule {
  createCard(options?: unknown): VirtualCard;
}

const { values } = parseArgs({
  options: {
    'card-module': { type: 'string' },
    'base-port': { type: 'string', default: String(VPCD_DEFAULT_PORT) },
  },
});
const defaultModule = values['card-module'];
const basePort = Number(values['base-port']);
const bridges = new Map<number, VpcdBridge>();
const modules = new Map<string, Promise<CardModule>>();

function send(message: CardHostMessage): void {
  process.send?.(message);
}

function bridgeFor(slot: number): VpcdBridge {
  let bridge = bridges.get(slot);
  if (!bridge) {
    bridge = new VpcdBridge({ port: basePort + slot });
    bridges.set(slot, bridge);
  }
  return bridge;
}

function loadModule(path: string): Promise<CardModule> {
  let loaded = modules.get(path);
  if (!loaded) {
    loaded = import(pathToFileURL(path).href).then((m: Partial<CardModule>) => {
      if (typeof m.createCard !== 'function') {
        throw new Error(`card module ${path} does not export createCard(options): VirtualCard`);
      }
      return m as CardModule;
    });
    modules.set(path, loaded);
  }
  return loaded;
}

async function stop(): Promise<void> {
  await Promise.all([...bridges.values()].map((b) => b.close()));
  bridges.clear();
}

async function handle(request: CardHostRequest): Promise<unknown> {
  switch (request.op) {
    case 'insert': {
      const path = request.module ?? defaultModule;
      if (!path) throw new Error('insert: no card module given and no --card-module default');
      const card = (await loadModule(path)).createCard(request.options);
      await bridgeFor(request.slot).insert(card);
      return undefined;
    }
    case 'remove':
      await bridgeFor(request.slot).remove();
      return undefined;
    case 'remove-on-next-command': {
      const slot = request.slot;
      void bridgeFor(slot)
        .removeOnNextCommand()
        .then(() => send({ event: 'removed', slot }));
      return undefined;
    }
    case 'stats':
      return { commandsAnswered: bridgeFor(request.slot).commandsAnswered };
    case 'stop':
      await stop();
      setImmediate(() => process.exit(0));
      return undefined;
  }
}

process.on('message', (request: CardHostRequest) => {
  handle(request).then(
    (result) => send({ event: 'reply', id: request.id, ok: true, result }),
    (error: unknown) =>
      send({
        event: 'reply',
        id: request.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      }),
  );
});
// The harness is gone (crashed or killed): never outlive it.
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
send({ event: 'ready' });
