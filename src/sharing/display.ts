// Disclosed attributes as a counter clerk reads them: a label and a value in the page's language.
import { claimLabels, type Translate } from '../interactions/i18n.ts';
import { SHAREABLE } from './attributes.ts';

export interface ShownAttribute {
  claim: string;
  label: string;
  value: string;
}

function valueOf(claim: string, value: unknown, t: Translate): string {
  if (claim === 'gender') return value === 'female' ? t('sharing.female') : value === 'male' ? t('sharing.male') : String(value);
  if (claim === 'age_over_18') return value === true ? t('sharing.yes') : t('sharing.no');
  if (claim === 'address') return String((value as { formatted?: unknown }).formatted ?? '');
  if (claim === 'id_card') {
    const card = value as { number?: string; issue_date?: string; expiry_date?: string; issuer?: string };
    return t('sharing.id_card', { number: card.number ?? '', issued: card.issue_date ?? '', expires: card.expiry_date ?? '—', issuer: card.issuer ?? '—' });
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** In the catalogue's order, whatever order the disclosures came in. */
export function shownAttributes(claims: Record<string, unknown>, t: Translate): ShownAttribute[] {
  return SHAREABLE.filter((claim) => claim in claims).map((claim) => ({ claim, label: claimLabels([claim], t)[0] ?? claim, value: valueOf(claim, claims[claim], t) }));
}
