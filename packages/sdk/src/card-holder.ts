import {
  BlockReason,
  Capability,
  decodeIdentity,
  decodePurse,
  decodeTransactionProof,
  encodeBlockRequest,
  encodePinBlock,
  type HolderIdentity,
  LifeCycle,
  SW,
} from '@huduma/card-applet-spec';
import { HudumaCardCore, type VerifiedProof } from './card-core';
import { errorForStatusWord, ProofInvalidError } from './errors';
import { describePurse, type PurseView } from './purse-view';

/** Reasons accepted by {@link HudumaCardHolderOps.block}. */
export type BlockReasonName = keyof typeof BlockReason;

/**
 * The holder-facing commands of HudumaCard (PIN, PUK, identity, block) and the plain reads.
 * Not exported from the package on its own: HudumaCard is the API.
 */
export class HudumaCardHolderOps extends HudumaCardCore {
  /** VERIFY PIN (§6.4) in a SECURE session: authorises exactly one value command that executes. */
  verifyPin(pin: string): Promise<void> {
    return this.run(async () => {
      const block = this.decode('PIN', () => encodePinBlock(pin, 'PIN'));
      const r = await this.time('pin', () =>
        this.sm('secure', { name: 'VERIFY_PIN', p2: 0x81, payload: block, encryptCommand: true }),
      );
      this.expectOk(r, 'VERIFY_PIN');
      this.currentPurse = { ...this.currentPurse, noCvmSpend: 0, pinTriesLeft: 3 };
    });
  }

  /** VERIFY PIN status query (§6.4): whether this session holds a CVM token, else the tries left. */
  pinStatus(): Promise<{ verified: boolean; triesLeft: number }> {
    return this.run(async () => {
      const r = await this.time('pin', () => this.sm('secure', { name: 'VERIFY_PIN', p2: 0x81 }));
      if (r.sw === SW.OK) return { verified: true, triesLeft: this.currentPurse.pinTriesLeft };
      if ((r.sw & 0xfff0) === SW.VERIFY_FAILED_BASE) return { verified: false, triesLeft: r.sw & 0x0f };
      if (r.sw === SW.AUTH_METHOD_BLOCKED) return { verified: false, triesLeft: 0 };
      throw errorForStatusWord(r.sw, 'VERIFY_PIN');
    });
  }

  /** CHANGE PIN (§6.5) in a SECURE session; on success the session holds a CVM token. */
  changePin(oldPin: string, newPin: string): Promise<void> {
    return this.run(async () => {
      const payload = this.decode('PIN', () => {
        const a = encodePinBlock(oldPin, 'PIN');
        const b = encodePinBlock(newPin, 'PIN');
        const out = new Uint8Array(16);
        out.set(a);
        out.set(b, 8);
        return out;
      });
      const r = await this.time('pin', () =>
        this.sm('secure', { name: 'CHANGE_PIN', p2: 0x81, payload, encryptCommand: true }),
      );
      this.expectOk(r, 'CHANGE_PIN');
      this.currentPurse = { ...this.currentPurse, noCvmSpend: 0, pinTriesLeft: 3 };
    });
  }

  /**
   * UNBLOCK PIN (§6.6) with the PUK, in a SECURE session. Only a terminal whose certificate grants
   * UNBLOCK_PIN (Huduma Centre counters) may: others get TerminalNotAuthorizedError without a
   * command being sent. Does not verify the new PIN (call verifyPin).
   */
  unblockPin(puk: string, newPin: string): Promise<void> {
    return this.run(async () => {
      this.requireCapability(Capability.UNBLOCK_PIN, 'UNBLOCK_PIN');
      const payload = this.decode('PUK/PIN', () => {
        const out = new Uint8Array(16);
        out.set(encodePinBlock(puk, 'PUK'));
        out.set(encodePinBlock(newPin, 'PIN'), 8);
        return out;
      });
      const r = await this.time('pin', () =>
        this.sm('secure', { name: 'UNBLOCK_PIN', p2: 0x81, payload, encryptCommand: true }),
      );
      this.expectOk(r, 'UNBLOCK_PIN');
      this.currentPurse = { ...this.currentPurse, noCvmSpend: 0, pinTriesLeft: 3 };
    });
  }

  /**
   * READ IDENTITY (§6.13): needs IDENTITY_READ and the PIN verified in this SECURE session. The
   * identity arrives encrypted under the session key and authenticated by the card's R-MAC (only
   * the card holding the certified QA.card can produce it).
   */
  readIdentity(): Promise<HolderIdentity> {
    return this.run(async () => {
      this.requireCapability(Capability.IDENTITY_READ, 'READ_IDENTITY');
      const r = await this.time('identity', () =>
        this.sm('secure', { name: 'READ_IDENTITY', encryptResponse: true }),
      );
      this.expectOk(r, 'READ_IDENTITY');
      return this.decode('identity', () => decodeIdentity(r.payload));
    });
  }

  /** BLOCK CARD (§6.14), needs the BLOCK capability; idempotent. */
  block(
    reasonOrArgs: BlockReasonName | { reason: BlockReasonName; terminalSeq?: number; time?: number },
  ): Promise<void> {
    // The request's terminalSeq and time are informative (no ring record, §6.14): both optional.
    const args = typeof reasonOrArgs === 'string' ? { reason: reasonOrArgs } : reasonOrArgs;
    return this.run(async () => {
      this.requireCapability(Capability.BLOCK, 'BLOCK_CARD');
      const payload = this.decode('block request', () =>
        encodeBlockRequest({
          reason: BlockReason[args.reason],
          terminalSeq: args.terminalSeq ?? 0,
          time: args.time ?? this.now(),
        }),
      );
      const r = await this.time('block', () => this.sm('tap', { name: 'BLOCK_CARD', payload }));
      this.expectOk(r, 'BLOCK_CARD');
      this.currentLifeCycle = LifeCycle.BLOCKED;
      this.currentPurse = { ...this.currentPurse, lifeCycle: LifeCycle.BLOCKED };
    });
  }

  /** READ RECORD (§6.11): entry 1 = newest … 32 = oldest, signature verified. */
  readRecord(n: number): Promise<VerifiedProof> {
    return this.run(async () => {
      const r = await this.time('read', () => this.plain({ name: 'READ_RECORD', p1: n, p2: 0x04, le: 256 }));
      this.expectOk(r, 'READ_RECORD');
      const proof = this.decode('record', () => decodeTransactionProof(r.data));
      return this.checkProof(proof, proof.record.type, true);
    });
  }

  /**
   * The records the clearing service does not hold yet (READ RECORD 1..counter − syncedThrough,
   * newest first, each signature verified): upload them before asking for a load authorization,
   * which the load authority signs only after sync (§6.10, §2.12).
   */
  unsyncedRecords(): Promise<VerifiedProof[]> {
    return this.run(async () => {
      const n = Math.min(32, this.currentPurse.counter - this.currentPurse.syncedThrough);
      const out: VerifiedProof[] = [];
      for (let i = 1; i <= n; i++) {
        const r = await this.time('read', () =>
          this.plain({ name: 'READ_RECORD', p1: i, p2: 0x04, le: 256 }),
        );
        this.expectOk(r, 'READ_RECORD');
        const proof = this.decode('record', () => decodeTransactionProof(r.data));
        if (proof.record.counter !== this.currentPurse.counter - i + 1) {
          throw new ProofInvalidError(`READ RECORD ${i} holds counter ${proof.record.counter}`, r.data);
        }
        out.push(await this.checkProof(proof, proof.record.type, true));
      }
      return out;
    });
  }

  /** READ PURSE (§6.7): the purse now, with names for its codes (also refreshes `purse`). */
  readPurse(): Promise<PurseView> {
    return this.run(async () => {
      const r = await this.time('read', () => this.plain({ name: 'READ_PURSE', le: 256 }));
      this.expectOk(r, 'READ_PURSE');
      this.currentPurse = this.decode('purse', () => decodePurse(r.data));
      if (this.currentPurse.lifeCycle === LifeCycle.BLOCKED) this.currentLifeCycle = LifeCycle.BLOCKED;
      return describePurse(this.currentPurse);
    });
  }
}
