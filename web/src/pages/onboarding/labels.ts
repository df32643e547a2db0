/** Labels, options and small helpers shared by the onboarding and KYC pages. */
import type { ContactInterest, DocumentType, EntityType } from "../../api/onboarding";

/** ISO 3166-1 alpha-2 codes the server accepts (niha/onboarding/countries.py). */
export const COUNTRY_CODES: readonly string[] = (
  "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT " +
  "BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH " +
  "ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT " +
  "HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS " +
  "LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI " +
  "NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG " +
  "SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
  "UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW "
).trim().split(" ");

let regionNames: Intl.DisplayNames | null = null;

/** "DE" -> "Germany" (in the browser's language), falling back to the code. */
export function countryName(code: string | null | undefined): string {
  if (!code) return "";
  try {
    regionNames ??= new Intl.DisplayNames(["en"], { type: "region" });
    return regionNames.of(code.slice(0, 2).toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

let options: { value: string; label: string }[] | null = null;

export function countryOptions(): { value: string; label: string }[] {
  options ??= COUNTRY_CODES.map((c) => ({ value: c, label: `${countryName(c)} (${c})` })).sort((a, b) =>
    a.label.localeCompare(b.label),
  );
  return options;
}

export const DOCUMENT_LABEL: Readonly<Record<DocumentType, string>> = {
  passport: "Passport",
  national_id: "National ID card",
  proof_of_address: "Proof of address",
  company_registration: "Company registration extract",
  articles_of_association: "Articles of association",
  shareholder_register: "Shareholder register",
  ubo_declaration: "UBO declaration",
};

export const DOCUMENT_HINT: Readonly<Record<DocumentType, string>> = {
  passport: "The photo page, all four corners visible. For a company: the authorised representative's.",
  national_id: "Both sides of the card. Accepted instead of a passport.",
  proof_of_address: "A utility bill or bank statement from the last 3 months.",
  company_registration: "A commercial register extract, less than 3 months old.",
  articles_of_association: "The current, complete version.",
  shareholder_register: "Shareholders with 25% or more, signed and dated.",
  ubo_declaration: "Ultimate beneficial owners, signed by a director.",
};

export function documentLabel(type: string): string {
  return DOCUMENT_LABEL[type as DocumentType] ?? type;
}

export const ENTITY_TYPE_LABEL: Readonly<Record<EntityType, string>> = {
  COMPANY: "Company",
  INDIVIDUAL: "Individual",
};

export const INTEREST_LABEL: Readonly<Record<ContactInterest, string>> = {
  EUA: "EU Allowances (EUA)",
  CEA: "China Emission Allowances (CEA)",
  EUA_AND_CEA: "Both EUA and CEA",
  SWAPS: "EUA / CEA swaps",
  MARKET_MAKING: "Becoming a market maker",
  OTHER: "Something else",
};

/** 1536 -> "1.5 KB" */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round((n / 1024) * 10) / 10} KB`;
  return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
}
