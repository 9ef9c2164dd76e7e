/**
 * Published on-card timings of the primitives the applet uses, per named Java Card chip, and the
 * cost of the v1 tap (SPEC.md §9) modelled from them.
 *
 * Every figure is a JCAlgTest measurement (repository crocs-muni/JCAlgTest, files under
 * Profiles/performance/): the "avg op" of the method line quoted in `line`, in milliseconds per
 * operation, measured on the card in a loop (JCAlgTest subtracts its empty-loop baseline, so
 * APDU transport is not in the figure). A primitive a profile does not measure is `ms: null`
 * with the reason; where the tap model needs it, the chip names a cited substitute instead of an
 * invented number.
 *
 * Two caveats apply to every chip: the EC profiles measure `Signature.ALG_ECDSA_SHA` (SHA-1)
 * with a 256-bit (P-256 size) key over 256 bytes of data, not `ALG_ECDSA_SHA_256`; the curve
 * operation dominates, so it stands for ECDSA P-256. And the data length of the symmetric,
 * digest, random and copy figures is 256 bytes (`bytes`), more than the tap hashes or copies, so
 * those steps are upper bounds.
 */
import { TypicalCardTimeMs } from './constants';

export const JCALGTEST_REPOSITORY = 'crocs-muni/JCAlgTest';

/** The tap budget of SPEC.md §9: card detected to proof received. */
export const V1_TAP_BUDGET_MS = 300;

export type ChipPrimitive =
  /** ECDSA sign, 256-bit EC key (`Signature.sign`). */
  | 'ecdsaSign'
  /** ECDSA verify, 256-bit EC key (`Signature.verify`). */
  | 'ecdsaVerify'
  /** Static ECDH, 256-bit EC key (`KeyAgreement.generateSecret`). */
  | 'ecdh'
  /** EC key-pair generation, 256-bit (`KeyPair.genKeyPair`). */
  | 'ecKeyGen'
  /** AES-128 `ALG_AES_BLOCK_128_CBC_NOPAD` `Cipher.doFinal` over `bytes`. */
  | 'aes128Cbc'
  /** AES-128 CBC-MAC `ALG_AES_MAC_128_NOPAD` `Signature.sign` over `bytes`. */
  | 'aes128Mac'
  /** SHA-256 `MessageDigest.doFinal` over `bytes`. */
  | 'sha256'
  /** Persistent write: atomic `Util.arrayCopy` RAM → EEPROM of `bytes`. */
  | 'persistentWrite'
  /** `RandomData` (`ALG_SECURE_RANDOM`) `generateData` of `bytes`. */
  | 'random';

export interface ChipMeasurement {
  /** Milliseconds per operation ("avg op" of the quoted line), or null when not measured. */
  ms: number | null;
  /** Data length of the operation, for the primitives that take data. */
  bytes?: number;
  /** The method and statistics line read from the profile, or why there is no figure. */
  line: string;
  /** The profile: a path in crocs-muni/JCAlgTest. */
  source: string;
}

/** A figure borrowed from another chip for a primitive this chip's profile does not measure. */
export interface ChipSubstitute extends ChipMeasurement {
  ms: number;
  /** The chip the figure was measured on. */
  chip: string;
  reason: string;
}

export interface ChipTimings {
  id: string;
  /** The card name as the profile gives it. */
  name: string;
  primitives: Record<ChipPrimitive, ChipMeasurement>;
  substitutes: Partial<Record<ChipPrimitive, ChipSubstitute>>;
}

const DIR = 'Profiles/performance/fixed/';
const JCOP4 = `${DIR}NXP_JCOP4_J3R180_P71____PERFORMANCE_SYMMETRIC_ASYMMETRIC_DATAFIXED_1607634031428__3b_d5_18_ff_81_91_fe_1f_c3_80_73_c8_21_10_0a.csv`;
const GD_EC = `${DIR}G+D_Smartcafe_6.0____ECCPERF_1512463380726__3b_fe_18_00_00_80_31_fe_45_53_43_45_36_30_2d_43_44_30_38_31_2d_6e_46_a9.csv`;
const GD_SYM = `${DIR}G+D_Smartcafe_6.0_80K____PERFORMANCE_SYMMETRIC_ASYMMETRIC_DATAFIXED_1450475287585__3b_fe_18_00_00_80_31_fe_45_53_43_45_36_30_2d_43_44_30_38_31_2d_6e_46_a9.csv`;
const IFX_EC = `${DIR}Infineon_JTOP_80K_M8.4____ECCPERF_1512464175645__3b_fe_18_00_00_80_31_fe_45_80_31_80_66_40_90_a5_10_2e_10_83_01_90_00_f2.csv`;
const IFX_SYM = `${DIR}Infineon_CJTOP_80K_INF_SLJ_52GLA080AL_M8.4____PERFORMANCE_SYMMETRIC_ASYMMETRIC_DATAFIXED_1437777123794__3b_fe_18_00_00_80_31_fe_45_80_31_80_66_40_90_a5_10_2e_10_83_01_90_00_f2.csv`;
const NXP_EC = `${DIR}NXP_J2E145G____ECCPERF_1512465195405__3b_f9_13_00_00_81_31_fe_45_4a_43_4f_50_32_34_32_52_33_a2.csv`;

const EC256 = 'KeyPair_ALG_EC_FP KeyBuilder_LENGTH_EC_FP_256 Signature_ALG_ECDSA_SHA';
const ECDH_PLAIN = 'ALG_EC_FP LENGTH_EC_FP_256 ALG_EC_SVDP_DH_PLAIN KeyAgreement_generateSecret()';
const KEYGEN = 'ALG_EC_FP LENGTH_EC_FP_256 KeyPair_genKeyPair()';
const SHA = 'ALG_SHA_256 MessageDigest_doFinal()';
const RNG = 'ALG_SECURE_RANDOM RandomData_generateData()';
const AES_CBC = 'TYPE_AES LENGTH_AES_128 ALG_AES_BLOCK_128_CBC_NOPAD Cipher_doFinal()';
const AES_MAC = 'TYPE_AES LENGTH_AES_128 ALG_AES_MAC_128_NOPAD Signature_sign()';
const COPY = 'UTIL Util_arrayCopy_RAM2EEPROM()';

const m = (ms: number, source: string, line: string, bytes?: number): ChipMeasurement =>
  bytes === undefined ? { ms, line, source } : { ms, bytes, line, source };
const none = (source: string, why: string): ChipMeasurement => ({ ms: null, line: why, source });

const jcop4Write = m(5.37, JCOP4, `${COPY} → avg op:;5.37;min op:;5.36;max op:;5.40;`, 256);

/**
 * The persistent-write substitute for chips whose profile has no copy measurement: the only one
 * measured here (a 2020 P71 chip). Older EEPROM chips write slower, so the modelled tap of those
 * chips is optimistic by the difference.
 */
const writeSubstitute: ChipSubstitute = {
  ...jcop4Write,
  ms: 5.37,
  chip: 'NXP JCOP4 J3R180 P71',
  reason: 'not measured on this chip; the NXP JCOP4 J3R180 figure is used (optimistic for older EEPROM)',
};

export const CHIP_TIMINGS: readonly ChipTimings[] = [
  {
    id: 'nxp-jcop4-j3r180',
    name: 'NXP JCOP4 J3R180 P71',
    primitives: {
      ecdsaSign: m(
        32.0,
        JCOP4,
        `${EC256} Signature_sign() → avg op:;32.00;min op:;31.98;max op:;32.02;`,
        256,
      ),
      ecdsaVerify: m(
        30.2,
        JCOP4,
        `${EC256} Signature_verify() → avg op:;30.20;min op:;30.12;max op:;30.28;`,
        256,
      ),
      ecdh: m(
        20.0,
        JCOP4,
        'ALG_EC_FP LENGTH_EC_FP_256 ALG_EC_SVDP_DH KeyAgreement_generateSecret() → avg op:;20.00;min op:;19.96;max op:;20.06;',
      ),
      ecKeyGen: m(24.4, JCOP4, `${KEYGEN} → avg op:;24.40;min op:;23.40;max op:;26.40;;CHECK`),
      aes128Cbc: m(1.83, JCOP4, `${AES_CBC} → avg op:;1.83;min op:;1.82;max op:;1.84;`, 256),
      aes128Mac: m(2.15, JCOP4, `${AES_MAC} → avg op:;2.15;min op:;2.15;max op:;2.17;`, 256),
      sha256: m(7.94, JCOP4, `${SHA} → avg op:;7.94;min op:;7.92;max op:;7.96;`, 256),
      persistentWrite: jcop4Write,
      random: m(1.19, JCOP4, `${RNG} → avg op:;1.19;min op:;1.18;max op:;1.20;`, 256),
    },
    substitutes: {},
  },
  {
    id: 'gd-smartcafe-6',
    name: 'G+D Smartcafe 6.0',
    primitives: {
      ecdsaSign: m(
        121.6,
        GD_EC,
        `${EC256} Signature_sign() → avg op:;121.60;min op:;121.60;max op:;121.60;`,
        256,
      ),
      ecdsaVerify: m(
        173.58,
        GD_EC,
        `${EC256} Signature_verify() → avg op:;173.58;min op:;172.80;max op:;174.13;`,
        256,
      ),
      ecdh: m(175.33, GD_EC, `${ECDH_PLAIN} → avg op:;175.33;min op:;175.33;max op:;175.33;`),
      ecKeyGen: m(502.73, GD_EC, `${KEYGEN} → avg op:;502.73;min op:;500.73;max op:;503.73;`),
      aes128Cbc: m(21.7, GD_SYM, `${AES_CBC} → avg op:;21.70;min op:;21.63;max op:;21.75;`, 256),
      aes128Mac: none(GD_SYM, 'not extracted from the profile (v1 does not use it)'),
      sha256: m(39.07, GD_SYM, `${SHA} → avg op:;39.07;min op:;39.03;max op:;39.09;`, 256),
      persistentWrite: none(GD_SYM, 'not measured: the UTIL section of the profile is empty'),
      random: m(18.29, GD_EC, `${RNG} → avg op:;18.29;min op:;18.07;max op:;18.40;`, 256),
    },
    substitutes: { persistentWrite: writeSubstitute },
  },
  {
    id: 'infineon-jtop-80k',
    name: 'Infineon JTOP 80K M8.4',
    primitives: {
      ecdsaSign: m(
        141.96,
        IFX_EC,
        `${EC256} Signature_sign() → avg op:;141.96;min op:;141.40;max op:;142.73;`,
        256,
      ),
      ecdsaVerify: m(
        101.56,
        IFX_EC,
        `${EC256} Signature_verify() → avg op:;101.56;min op:;100.33;max op:;103.00;`,
        256,
      ),
      ecdh: m(219.33, IFX_EC, `${ECDH_PLAIN} → avg op:;219.33;min op:;217.33;max op:;221.33;`),
      ecKeyGen: m(191.22, IFX_EC, `${KEYGEN} → avg op:;191.22;min op:;189.00;max op:;192.67;`),
      aes128Cbc: m(25.53, IFX_SYM, `${AES_CBC} → avg op:;25,53;min op:;25,23;max op:;25,77;`, 256),
      aes128Mac: none(IFX_SYM, 'not extracted from the profile (v1 does not use it)'),
      sha256: m(35.58, IFX_SYM, `${SHA} → avg op:;35,58;min op:;35,35;max op:;35,93;`, 256),
      persistentWrite: none(IFX_SYM, 'not measured: no Util.arrayCopy figure in the profile'),
      random: m(24.73, IFX_EC, `${RNG} → avg op:;24.73;min op:;24.07;max op:;25.73;`, 256),
    },
    substitutes: { persistentWrite: writeSubstitute },
  },
  {
    id: 'nxp-j2e145g',
    name: 'NXP J2E145G',
    primitives: {
      ecdsaSign: m(
        96.56,
        NXP_EC,
        `${EC256} Signature_sign() → avg op:;96.56;min op:;96.00;max op:;97.00;`,
        256,
      ),
      ecdsaVerify: m(
        121.8,
        NXP_EC,
        `${EC256} Signature_verify() → avg op:;121.80;min op:;120.80;max op:;122.47;`,
        256,
      ),
      ecdh: m(127.49, NXP_EC, `${ECDH_PLAIN} → avg op:;127.49;min op:;126.60;max op:;128.60;`),
      ecKeyGen: m(334.29, NXP_EC, `${KEYGEN} → avg op:;334.29;min op:;285.07;max op:;432.07;;CHECK`),
      aes128Cbc: none(NXP_EC, 'not measured: the ECCPERF profile covers EC, SHA-256 and RNG only'),
      aes128Mac: none(NXP_EC, 'not measured: the ECCPERF profile covers EC, SHA-256 and RNG only'),
      sha256: m(21.56, NXP_EC, `${SHA} → avg op:;21.56;min op:;21.00;max op:;22.00;`, 256),
      persistentWrite: none(NXP_EC, 'not measured: the ECCPERF profile covers EC, SHA-256 and RNG only'),
      random: m(32.73, NXP_EC, `${RNG} → avg op:;32.73;min op:;32.40;max op:;33.40;`, 256),
    },
    substitutes: { persistentWrite: writeSubstitute },
  },
];

/** The bytes on the wire of a v1 debit (SELECT + two DEBIT segments, commands and responses; §9). */
export const V1_TAP_WIRE_BYTES = 509;

export interface TapModelStep {
  /** What the card does, in SPEC.md terms. */
  what: string;
  primitive: ChipPrimitive;
  ms: number;
  /** Set when the figure is another chip's (see `ChipTimings.substitutes`). */
  substitute?: ChipSubstitute;
}

export interface TapModel {
  chip: string;
  terminalCertificateCached: boolean;
  steps: TapModelStep[];
  /** Sum of the modelled card operations. */
  cardMs: number;
  /** `V1_TAP_WIRE_BYTES` at `TypicalCardTimeMs.PER_BYTE` (T=1 at 115.2 kbit/s). */
  transmissionMs: number;
  totalMs: number;
  withinBudget: boolean;
}

/** Thrown when a chip neither measures nor substitutes a primitive the model needs. */
export class ChipTimingError extends Error {
  readonly code = 'ERR_CHIP_TIMING_MISSING';
  constructor(
    readonly chip: string,
    readonly primitive: ChipPrimitive,
  ) {
    super(`chip ${chip}: ${primitive} is neither measured nor substituted`);
  }
}

function figure(chip: ChipTimings, primitive: ChipPrimitive): Pick<TapModelStep, 'ms' | 'substitute'> {
  const measured = chip.primitives[primitive];
  if (measured.ms !== null) return { ms: measured.ms };
  const substitute = chip.substitutes[primitive];
  if (!substitute) throw new ChipTimingError(chip.name, primitive);
  return { ms: substitute.ms, substitute };
}

/**
 * The card-side cost of v1's tap on `chip`: SELECT (a fresh 16-byte challenge) then the chained
 * DEBIT (§4.4, §6.8): SHA-256 of the terminal certificate for the cache lookup, the CA signature
 * verification when the certificate is not cached, the terminal-signature verification, the proof
 * signature, and one atomic commit of purse and ring record. APDU dispatch and applet logic are
 * not measured by JCAlgTest and are left out, so the figure is a lower bound of those parts.
 */
export function modelV1Tap(chip: ChipTimings, opts: { terminalCertificateCached: boolean }): TapModel {
  const plan: Array<[string, ChipPrimitive]> = [
    ['SELECT: fresh challenge (RandomData)', 'random'],
    ['DEBIT: SHA-256 of the terminal certificate (cache lookup, §2.9)', 'sha256'],
    ...(opts.terminalCertificateCached
      ? []
      : ([
          ['DEBIT: verify the CA signature of the terminal certificate (§4.4 step 4)', 'ecdsaVerify'],
        ] as Array<[string, ChipPrimitive]>)),
    ['DEBIT: verify the terminal signature (§4.4 step 7)', 'ecdsaVerify'],
    ['DEBIT: sign the transaction proof (§8.3)', 'ecdsaSign'],
    ['DEBIT: commit purse and ring record atomically (§6.8)', 'persistentWrite'],
  ];
  const steps = plan.map(([what, primitive]) => ({ what, primitive, ...figure(chip, primitive) }));
  const cardMs = round2(steps.reduce((sum, s) => sum + s.ms, 0));
  const transmissionMs = round2(V1_TAP_WIRE_BYTES * TypicalCardTimeMs.PER_BYTE);
  const totalMs = round2(cardMs + transmissionMs);
  return {
    chip: chip.name,
    terminalCertificateCached: opts.terminalCertificateCached,
    steps,
    cardMs,
    transmissionMs,
    totalMs,
    withinBudget: totalMs <= V1_TAP_BUDGET_MS,
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
