export interface CatalogEntry {
  /** 1..65535: fits the 2-byte service code field a card record can carry. */
  readonly serviceCode: number;
  readonly name: string;
  readonly agency: string;
  readonly feeCents: number;
}

/**
 * Government services payable at Huduma counters, modelled on the eCitizen catalogue. Fees are
 * indicative (KES, in cents) and are meant to be edited by operators, not relied on as tariffs.
 * Codes are grouped by agency: 10xx immigration, 11xx police, 12xx business registration,
 * 13xx transport, 14xx civil registration, 15xx registration of persons, 16xx lands, 17xx others.
 */
export const CATALOG_SEED: readonly CatalogEntry[] = [
  {
    serviceCode: 1001,
    name: 'Ordinary passport application (34 pages)',
    agency: 'Department of Immigration Services',
    feeCents: 750_000,
  },
  {
    serviceCode: 1002,
    name: 'Ordinary passport application (50 pages)',
    agency: 'Department of Immigration Services',
    feeCents: 950_000,
  },
  {
    serviceCode: 1003,
    name: 'Ordinary passport application (66 pages)',
    agency: 'Department of Immigration Services',
    feeCents: 1_250_000,
  },
  {
    serviceCode: 1101,
    name: 'Certificate of good conduct',
    agency: 'Directorate of Criminal Investigations',
    feeCents: 105_000,
  },
  {
    serviceCode: 1201,
    name: 'Business name search',
    agency: 'Business Registration Service',
    feeCents: 15_000,
  },
  {
    serviceCode: 1202,
    name: 'Business name registration',
    agency: 'Business Registration Service',
    feeCents: 95_000,
  },
  {
    serviceCode: 1203,
    name: 'Private limited company registration',
    agency: 'Business Registration Service',
    feeCents: 1_065_000,
  },
  {
    serviceCode: 1301,
    name: 'Driving licence renewal (3 years)',
    agency: 'National Transport and Safety Authority',
    feeCents: 305_000,
  },
  {
    serviceCode: 1302,
    name: 'Motor vehicle record search',
    agency: 'National Transport and Safety Authority',
    feeCents: 55_000,
  },
  { serviceCode: 1401, name: 'Birth certificate', agency: 'Civil Registration Services', feeCents: 20_000 },
  { serviceCode: 1402, name: 'Death certificate', agency: 'Civil Registration Services', feeCents: 20_000 },
  {
    serviceCode: 1501,
    name: 'Replacement of national identity card',
    agency: 'National Registration Bureau',
    feeCents: 100_000,
  },
  {
    serviceCode: 1601,
    name: 'Official land search',
    agency: 'Ministry of Lands and Physical Planning',
    feeCents: 52_000,
  },
  {
    serviceCode: 1701,
    name: 'HELB compliance certificate',
    agency: 'Higher Education Loans Board',
    feeCents: 100_000,
  },
];
