/**
 * Kiswahili wording of every reason and notice the engine raises (keys: see index.ts).
 * Written with care but not yet reviewed by a native speaker. Sentences name the transaction as
 * "muamala" (u-class agreement) with its kind in brackets, so agreement never depends on the kind.
 */
import type { Catalog, MessageParams } from './index';

const what = (p: MessageParams) =>
  p.op === 'undebit' || p.operation === 'cancellation'
    ? 'kughairi malipo'
    : p.op === 'reload' || p.operation === 'reload'
      ? 'kuongeza salio'
      : p.op === 'debit'
        ? 'mauzo'
        : 'malipo';

export const sw: Catalog = {
  'deny-listed': () =>
    'Kadi hii iko kwenye orodha ya kadi zilizozuiliwa na imefungwa: ibaki nayo na umpeleke mwenye kadi kwenye Kituo cha Huduma.',
  'card-blocked': () => 'Kadi hii imefungwa: ibaki nayo na umpeleke mwenye kadi kwenye Kituo cha Huduma.',
  'card-certificate-expired': () =>
    'Muda wa kadi hii umekwisha: mwenye kadi lazima aihuishe kwenye Kituo cha Huduma.',
  'card-certificate-invalid': () =>
    'Kadi hii si kadi halali ya Huduma (ukaguzi wa cheti umeshindwa): hakuna malipo yaliyochukuliwa.',
  'terminal-certificate-expired': (p, f) =>
    p.expiredAt
      ? `Muda wa cheti cha kifaa hiki ulikwisha tarehe ${f.date(p.expiredAt)}: hakuna malipo hadi kihuishwe.`
      : 'Kadi imekataa cheti cha kifaa hiki kilichokwisha muda: kihuishe kabla ya malipo zaidi.',
  'terminal-not-authorized': () => 'Kadi haikubali kifaa hiki: piga simu kwa msaada.',
  'per-sale-limit': (p, f) =>
    `Kiasi cha ${f.kes(p.amountCents)} kinazidi kikomo cha kifaa hiki cha ${f.kes(p.limitCents)} kwa kila mauzo bila mtandao.`,
  'card-offline-limit': (p, f) =>
    p.limitCents !== undefined
      ? `Kadi hii imefikia kikomo chake cha matumizi bila mtandao (${f.kes(p.spentCents)} kati ya ${f.kes(p.limitCents)} zimetumika): iongezee salio kwenye Kituo cha Huduma kwanza.`
      : 'Kadi hii imefikia kikomo chake cha matumizi bila mtandao: iongezee salio kwenye Kituo cha Huduma kwanza.',
  'offline-too-long': (p, f) =>
    `Kifaa hakijasawazishwa kwa saa ${f.hours(p.offlineMs)} (kikomo ni saa ${f.hours(p.limitMs)}): unganisha na usawazishe kabla ya kupokea malipo zaidi.`,
  'too-many-unsynced': (p, f) =>
    `Miamala ${f.count(p.count)} inasubiri kupakiwa (kikomo ni ${f.count(p.limit)}): unganisha na usawazishe kabla ya kupokea malipo zaidi.`,
  'insufficient-funds': (p, f) =>
    p.balanceCents !== undefined
      ? `Salio halitoshi: kadi ina ${f.kes(p.balanceCents)}, mauzo ni ${f.kes(p.amountCents)}.`
      : 'Salio la kadi halitoshi.',
  'wrong-pin': (p) =>
    p.triesLeft === undefined
      ? 'Kadi imeomba PIN: jaribu tena na uweke PIN.'
      : `PIN si sahihi: ${p.triesLeft === 1 ? 'jaribio 1 limebaki' : `majaribio ${p.triesLeft} yamebaki`}. Hakuna malipo yaliyochukuliwa.`,
  'pin-blocked': () =>
    'PIN ya kadi imefungwa: mwenye kadi lazima aifungue kwa PUK. Hakuna malipo yaliyochukuliwa.',
  'pin-cancelled': (p, f) =>
    p.noPinPad
      ? `PIN inahitajika kwa kiasi kinachozidi ${f.kes(p.limitCents)} na kifaa hiki hakina kibodi ya PIN.`
      : 'Uwekaji wa PIN umesitishwa: hakuna malipo yaliyochukuliwa.',
  'card-removed': () => 'Kadi iliondolewa mapema mno: hakuna kilichotozwa, gusa tena.',
  'outcome-unknown': (p, f) =>
    `Jibu la kadi lilipotea wakati wa muamala (${what(p)}, ${f.kes(p.amountCents)}) (kadi iliondolewa kwenye kisomaji au mawasiliano ya kisomaji yalikatika): gusa kadi hiyo hiyo tena ili kukamilisha (haitatozwa mara mbili).`,
  'pending-unresolved': () =>
    'Muamala wa awali wa kadi hii haujakamilika: gusa kadi hiyo hiyo tena ili kuumaliza.',
  'journal-failed': (p, f) =>
    `Kadi imebadilishwa (${f.kes(p.amountCents)}) lakini kifaa hakikuweza kuihifadhi: gusa kadi hiyo hiyo tena hifadhi ikirekebishwa.`,
  'undebit-refused': () =>
    'Mauzo haya hayawezi tena kughairiwa hapa (yamepita dakika 15, au kadi imetumika tangu hapo).',
  'nothing-to-cancel': (p) =>
    p.maskedCardNumber
      ? `Hii si kadi ya mauzo ya mwisho (${p.maskedCardNumber}).`
      : 'Hakuna mauzo ya kughairi kwenye kifaa hiki.',
  'max-balance': () => 'Kuongeza salio huku kungezidisha salio la juu kabisa la kadi.',
  'load-declined': (p) =>
    p.detail ? `Kuongeza salio hakukuidhinishwa: ${p.detail}` : 'Kuongeza salio hakukuidhinishwa.',
  'card-error': (p) => (p.detail ? `Kadi imerudisha hitilafu: ${p.detail}` : 'Kadi imerudisha hitilafu.'),
  'storage-full': (p) =>
    p.stage === 'charged'
      ? 'Kadi imetozwa lakini hifadhi iliyojaa haikuweza kuirekodi: USITOZE tena; gusa kadi hiyo hiyo nafasi ikipatikana ili kukamilisha rekodi.'
      : p.stage === 'settle'
        ? 'Malipo ya awali ya kadi hii yaliyokatizwa hayakuweza kurekodiwa (hifadhi imejaa): hakuna tozo jipya. Toa nafasi, kisha gusa kadi tena.'
        : 'Hifadhi ya kifaa imejaa: hakuna malipo yaliyochukuliwa. Toa nafasi (sawazisha, au piga simu kwa msaada) kabla ya kupokea malipo.',
  'storage-failed': (p) =>
    p.stage === 'charged'
      ? 'Kadi imetozwa lakini hifadhi imeshindwa kuirekodi: USITOZE tena; gusa kadi hiyo hiyo hifadhi ikirekebishwa ili kukamilisha rekodi.'
      : p.stage === 'settle'
        ? 'Malipo ya awali ya kadi hii yaliyokatizwa hayakuweza kurekodiwa (hitilafu ya hifadhi): hakuna tozo jipya. Piga simu kwa msaada, kisha gusa kadi tena.'
        : 'Kifaa hakikuweza kuandika kwenye hifadhi yake: hakuna malipo yaliyochukuliwa. Piga simu kwa msaada kabla ya kupokea malipo.',
  'terminal-revoked': () =>
    'Kifaa hiki kimefutiwa idhini na benki mpokeaji: hakiwezi kupokea malipo. Wasiliana na benki mpokeaji.',
  'clock-invalid': () =>
    'Saa ya kifaa si sahihi: hakuna malipo yaliyochukuliwa. Weka tarehe na saa (au sawazisha), kisha jaribu tena.',
  'no-cvm-limit-reached': () =>
    'Kiwango cha malipo bila PIN kwenye kadi hii kimekwisha: mwenye kadi lazima aweke PIN. Hakuna malipo yaliyochukuliwa.',
  'puk-blocked': () =>
    'PUK ya kadi imefungwa, kwa hivyo PIN yake haiwezi kufunguliwa tena: mpeleke mwenye kadi kwenye Kituo cha Huduma. Hakuna malipo yaliyochukuliwa.',
  'sync-required': () =>
    'Kadi hii lazima iunganishwe mtandaoni kabla ya malipo zaidi: iongezee salio (kiasi chochote, hata KES 0) kwenye Kituo cha Huduma. Hakuna malipo yaliyochukuliwa.',
  'currency-mismatch': () =>
    'Kadi hii ina sarafu tofauti na ile kifaa hiki kinapokea: hakuna malipo yaliyochukuliwa.',
  'secure-messaging': () =>
    'Kadi na kifaa havikuweza kuwasiliana kwa usalama (kadi ina hitilafu au si halali): hakuna malipo yaliyochukuliwa. Gusa tena; ikijirudia, mpeleke mwenye kadi kwenye Kituo cha Huduma.',
  'card-changed': () =>
    'Kadi ilirekodi muamala mwingine wakati huo huo: malipo haya HAYAKUCHUKULIWA. Jaribu tena.',
  'recovered-completed': (p, f) =>
    `Muamala wa awali (${what(p)}, ${f.kes(p.amountCents)}) umekamilika — risiti iko hapa chini.`,
  'recovered-not-charged': (p, f) =>
    p.op === 'debit'
      ? `Mauzo ya awali ya ${f.kes(p.amountCents)} HAYAKUFANIKIWA: kadi haikutozwa.`
      : `Muamala wa awali (${what(p)}, ${f.kes(p.amountCents)}) haukufanyika kwenye kadi.`,
  'recovered-counter-lost': (p, f) =>
    `Kifaa kimepoteza kihesabu cha kadi cha muamala wa awali (${what(p)}, ${f.kes(p.amountCents)}, nambari ya kifaa ${p.terminalSeq}): unabaki ukisubiri msimamizi, atakayeuliza huduma ya malipo.`,
  'recovered-synced': (p, f) =>
    `Kadi tayari imekabidhi muamala wa awali (${what(p)}, ${f.kes(p.amountCents)}, nambari ya kifaa ${p.terminalSeq}) kwa huduma ya malipo: unabaki ukisubiri msimamizi, atakayeuliza huduma ya malipo.`,
};
