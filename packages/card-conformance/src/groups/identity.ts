/** Conformance checks: READ IDENTITY (§6.12). */
import {
  BlockReason,
  Capability,
  decodeIdentity,
  encodeBlockRequest,
  encodeIdentityReadRequest,
  INS,
  LifeCycle,
  SW,
} from '@huduma/card-applet-spec';
import { c, expectEq, expectSw, type Group, type GroupContext, now } from '../check';

export function identityGroup({ target, term, shared }: GroupContext): Group {
  const identity: Group = {
    name: 'identity',
    checks: [
      c('identity.pin-required', '6.13', 'READ IDENTITY without the PIN answers 9F0E', async (s) => {
        shared.shop = await term('CONF-I1');
        await s.select();
        const body = encodeIdentityReadRequest({ terminalNonce: new Uint8Array(8), time: now() });
        expectSw(await s.auth(INS.READ_IDENTITY, shared.shop, body), SW.PIN_REQUIRED, 'READ IDENTITY');
      }),
      c(
        'identity.capability',
        '6.13',
        'READ IDENTITY by a terminal without IDENTITY_READ answers 9F06 even with the PIN',
        async (s) => {
          const t = await term('CONF-I2', Capability.DEBIT);
          await s.select();
          expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY');
          const body = encodeIdentityReadRequest({ terminalNonce: new Uint8Array(8), time: now() });
          expectSw(await s.auth(INS.READ_IDENTITY, t, body), SW.CAPABILITY_MISSING, 'READ IDENTITY');
        },
      ),
      c(
        'identity.happy',
        '6.13',
        'READ IDENTITY after VERIFY PIN returns the identity template',
        async (s) => {
          await s.select();
          expectSw(await s.verifyPin(target.pin), 0x9000, 'VERIFY');
          const body = encodeIdentityReadRequest({ terminalNonce: new Uint8Array(8), time: now() });
          const r = await s.auth(INS.READ_IDENTITY, shared.shop, body);
          if (!target.hasIdentity)
            return expectSw(r, SW.REFERENCED_DATA_NOT_FOUND, 'READ IDENTITY (no identity)');
          expectSw(r, 0x9000, 'READ IDENTITY');
          const id = decodeIdentity(r.data);
          return `identity type ${id.idType}`;
        },
      ),
      c('block.capability', '6.14', 'BLOCK CARD by a terminal without BLOCK answers 9F06', async (s) => {
        const t = await term('CONF-I3', Capability.DEBIT);
        await s.select();
        const body = encodeBlockRequest({
          reason: BlockReason.HOLDER_REQUEST,
          terminalSeq: s.nextSeq(),
          time: now(),
        });
        expectSw(await s.auth(INS.BLOCK_CARD, t, body), SW.CAPABILITY_MISSING, 'BLOCK CARD');
        expectEq((await s.readPurse()).lifeCycle, LifeCycle.ACTIVE, 'still ACTIVE');
      }),
    ],
  };
  return identity;
}
