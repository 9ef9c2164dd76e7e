/**
 * Published on-card timings of the primitives the applet uses, per named Java Card chip, and the
 * cost of the v2 tap (SPEC.md §9) modelled from them: the cached tap (SELECT, OPEN SESSION TAP,
 * DEBIT: one public-key operation, the proof signature) and the first tap at a new terminal
 * (REGISTER TERMINAL adds the certificate verify and the static ECDH).
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
export const JCALGTEST_REPOSITORY = 'crocs-muni/JCAlgTest';

/** The tap budget of SPEC.md §9: card detected to proof received. */
export const TAP_BUDGET_MS = 300;

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
      // The ECCPERF profile's SHA-256 as SPEC.md §9.1 quotes it (the symmetric profile says 39.07).
      sha256: m(40.27, GD_EC, `${SHA} → avg op:;40.27;`, 256),
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
      // The profile measures DH_PLAIN generateSecret twice (219.33, then 218.62); SPEC.md §9.1
      // quotes the second.
      ecdh: m(218.62, IFX_EC, `${ECDH_PLAIN} → avg op:;218.62;min op:;217.07;max op:;219.40;`),
      ecKeyGen: m(191.22, IFX_EC, `${KEYGEN} → avg op:;191.22;min op:;189.00;max op:;192.67;`),
      aes128Cbc: m(25.53, IFX_SYM, `${AES_CBC} → avg op:;25,53;min op:;25,23;max op:;25,77;`, 256),
      aes128Mac: none(IFX_SYM, 'not extracted from the profile (v1 does not use it)'),
      // The ECCPERF profile's SHA-256 (SPEC.md §9.1), not the older symmetric profile's 35.58.
      sha256: m(37.38, IFX_EC, `${SHA} → avg op:;37.38;min op:;35.27;max op:;38.93;;CHECK`, 256),
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
      // Measured twice in the profile (127.49, then 127.40); SPEC.md §9.1 quotes the second.
      ecdh: m(127.4, NXP_EC, `${ECDH_PLAIN} → avg op:;127.40;min op:;126.73;max op:;128.07;`),
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

/**
 * The per-operation model of SPEC.md §9.2, for the steps JCAlgTest does not measure per chip.
 * AES comes from one symmetric profile for every chip (§9.1: the G+D Smartcafe 6.0 80K file,
 * `Cipher_init()` 6.91 ms and `ALG_AES_BLOCK_128_CBC_NOPAD Cipher_doFinal()` 21.82 ms per 256
 * bytes = 1.36 ms per block), an upper bound; the rest is assumed by the spec (§9.1, open item
 * §14) and named so here.
 */
export const V2_STEP_MS = {
  /** `Signature.init` / `Cipher.init` with a new AES key. */
  AES_KEY_INIT: 6.9,
  /** AES-CMAC / AES-CBC, per 16-byte block, key already set. */
  AES_BLOCK: 1.36,
  /** Fresh challenge (16 random bytes) and the FCI of SELECT (§9.2). */
  SELECT: 6,
  /** One Java Card transaction of a value command (≈ 150 bytes; assumed, §9.1). */
  TRANSACTION: 20,
  /** `ECPublicKey.setW` (assumed from JCOP4's 5.87 ms for a 192-bit key, §9.1). */
  SET_W: 6,
  /** Registration lookup by termCertId among the 8 slots. */
  REGISTRATION_LOOKUP: 1,
  /** LRU stamp write at OPEN SESSION (§9.3). */
  LRU_STAMP: 3,
  /** DEBIT: ring search and the §6.8 checks (§9.3). */
  DEBIT_CHECKS: 5,
  /**
   * DEBIT: the 1 ms the §9.3 DEBIT totals hold beyond their itemised steps (188.4 / 168.0 /
   * 143.0 = 46.4 + the chip's sign; the items add up to 45.4), kept so the model reproduces the
   * spec's table; most likely the command's own session lookup, like OPEN SESSION's.
   */
  DEBIT_UNITEMISED: 1,
  /** REGISTER TERMINAL: certificate format checks (§4.8.1 step 1). */
  CERTIFICATE_FORMAT_CHECKS: 3,
  /** REGISTER TERMINAL: the two registration writes (§10.6). */
  REGISTRATION_WRITES: 30,
  /** Reader and protocol overhead per APDU exchange (assumed, §9.1). */
  PER_EXCHANGE: 3,
  /** Wire time per byte, either direction (ISO 14443 at 106 kbit/s or T=1 at 115.2 kbit/s). */
  PER_BYTE: 0.09,
} as const;

export interface TapModelStep {
  /** What the card does, in SPEC.md terms. */
  what: string;
  ms: number;
  /** The chip primitive whose measured figure this is; absent for §9.2 model figures. */
  primitive?: ChipPrimitive;
  /** Set when the figure is another chip's (see `ChipTimings.substitutes`). */
  substitute?: ChipSubstitute;
}

export interface TapExchange {
  /** The command, as in SPEC.md §9.3/§9.4. */
  command: string;
  commandBytes: number;
  responseBytes: number;
  steps: TapModelStep[];
  /** Sum of the card steps. */
  cardMs: number;
}

export interface TapModel {
  chip: string;
  /** True: the terminal is not registered on the card yet (§9.4); false: the cached tap (§9.3). */
  firstTapAtTerminal: boolean;
  exchanges: TapExchange[];
  /** Public-key operations on the card: 1 cached (sign), 3 first tap (verify, ECDH, sign). */
  publicKeyOperations: number;
  cardMs: number;
  /** Bytes on the wire, commands and responses. */
  wireBytes: number;
  /** `wireBytes` × PER_BYTE + PER_EXCHANGE per exchange. */
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

const S = V2_STEP_MS;
const aes = (what: string, blocks: number): TapModelStep => ({
  what: `${what} (${blocks} AES blocks)`,
  ms: blocks * S.AES_BLOCK,
});
const init = (what: string): TapModelStep => ({ what: `init ${what}`, ms: S.AES_KEY_INIT });

/**
 * The card-side cost of a v2 debit tap on `chip`, step by step as SPEC.md §9.3 (cached: SELECT,
 * OPEN SESSION TAP, DEBIT) and §9.4 (first tap at a new terminal: OPEN SESSION answered 9F12,
 * REGISTER TERMINAL, then the cached tap) list them, with the chip's measured public-key figures
 * and the §9.2 model for the rest. APDU dispatch and applet logic beyond the listed steps are not
 * measured by JCAlgTest.
 */
export function modelTap(chip: ChipTimings, opts: { firstTapAtTerminal: boolean }): TapModel {
  const pk = (what: string, primitive: ChipPrimitive): TapModelStep => ({
    what,
    primitive,
    ...figure(chip, primitive),
  });
  const sha = figure(chip, 'sha256');
  const cached: Array<Omit<TapExchange, 'cardMs'>> = [
    {
      command: 'SELECT',
      commandBytes: 17,
      responseBytes: 98,
      steps: [{ what: 'fresh challenge RND.C and the FCI', ms: S.SELECT }],
    },
    {
      command: 'OPEN SESSION (TAP)',
      commandBytes: 30,
      responseBytes: 10,
      steps: [
        { what: 'registration lookup by termCertId (§2.9)', ms: S.REGISTRATION_LOOKUP },
        init('K.link'),
        aes('2 × Expand: S.MAC, S.RMAC (§4.6)', 8),
        init('S.RMAC'),
        aes('card cryptogram', 4),
        init('S.MAC'),
        { what: 'LRU stamp write', ms: S.LRU_STAMP },
      ],
    },
    {
      command: 'DEBIT',
      commandBytes: 58,
      responseBytes: 153,
      steps: [
        aes('C-MAC check', 5),
        { what: 'ring search and §6.8 checks', ms: S.DEBIT_CHECKS },
        { what: 'unitemised in §9.3 (session lookup)', ms: S.DEBIT_UNITEMISED },
        pk('ECDSA sign of the transaction proof (§8.3): the one public-key operation', 'ecdsaSign'),
        { what: 'one transaction: purse and ring record (§10.3)', ms: S.TRANSACTION },
        aes('R-MAC', 10),
      ],
    },
  ];
  const first: Array<Omit<TapExchange, 'cardMs'>> = opts.firstTapAtTerminal
    ? [
        {
          command: 'OPEN SESSION → 9F12 (not registered)',
          commandBytes: 30,
          responseBytes: 2,
          steps: [{ what: 'registration lookup by termCertId (§2.9)', ms: S.REGISTRATION_LOOKUP }],
        },
        {
          command: 'REGISTER TERMINAL',
          commandBytes: 171,
          responseBytes: 10,
          steps: [
            { what: 'certificate format checks (§4.8.1)', ms: S.CERTIFICATE_FORMAT_CHECKS },
            { what: 'setW of the TERMINAL_CA key', ms: S.SET_W },
            { what: 'SHA-256 of the 165-byte certificate', ms: (sha.ms * 165) / 256, primitive: 'sha256' },
            pk('ECDSA verify of the CA signature (§4.8.1)', 'ecdsaVerify'),
            { what: 'setW of QT', ms: S.SET_W },
            pk('static ECDH with QT (§4.4)', 'ecdh'),
            init('Extract key'),
            aes('Extract (Z.s)', 2),
            init('Expand key'),
            aes('Expand (K.link)', 4),
            { what: 'two registration writes (§10.6)', ms: S.REGISTRATION_WRITES },
          ],
        },
      ]
    : [];
  const exchanges = [...first, ...cached].map((e) => ({
    ...e,
    cardMs: round2(e.steps.reduce((sum, s) => sum + s.ms, 0)),
  }));
  const cardMs = round2(exchanges.reduce((sum, e) => sum + e.cardMs, 0));
  const wireBytes = exchanges.reduce((sum, e) => sum + e.commandBytes + e.responseBytes, 0);
  const transmissionMs = round2(wireBytes * S.PER_BYTE + exchanges.length * S.PER_EXCHANGE);
  const totalMs = round2(cardMs + transmissionMs);
  return {
    chip: chip.name,
    firstTapAtTerminal: opts.firstTapAtTerminal,
    exchanges,
    publicKeyOperations: exchanges.flatMap((e) => e.steps).filter((s) => PK_OPS.has(s.primitive!)).length,
    cardMs,
    wireBytes,
    transmissionMs,
    totalMs,
    withinBudget: totalMs <= TAP_BUDGET_MS,
  };
}

const PK_OPS = new Set<ChipPrimitive>(['ecdsaSign', 'ecdsaVerify', 'ecdh', 'ecKeyGen']);

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
