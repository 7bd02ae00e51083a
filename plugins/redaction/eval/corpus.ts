import { Faker, base, en } from '@faker-js/faker';

export interface Entity { kind: string; tier: 1 | 2; start: number; end: number; value: string }
export interface Sample { template: number; text: string; entities: Entity[] }

/** Sentence templates in the style of presidio-research. The corpus is split BY TEMPLATE: even templates are the
 *  tuning half, odd templates are held out (never looked at while writing the rules). */
export const TEMPLATES = [
  'Please call {PERSON} at {PHONE} about the {ORG} renewal.',
  'Hi {FIRST}, your card {CARD} was charged twice, see the attached statement.',
  'Wire the deposit to IBAN {IBAN} and email the receipt to {EMAIL}.',
  '{PERSON} (SSN {SSN}) moved to {ADDRESS} last spring.',
  'Meeting with {PERSON} from {ORG} in {CITY} next week.',
  'The {FUND} allocation memo from {PERSON} is attached.',
  'My password is {PASSWORD} — please do not share it.',
  'Send BTC to {CRYPTO} once {PERSON} confirms.',
  'Routing number {ROUTING}, account number {ACCOUNT}, beneficiary {PERSON}.',
  'api_key={SECRET} was pasted into the ticket by {EMAIL}.',
  'Dear {PERSON}, thank you for visiting {ORG} at {ADDRESS}.',
  'Our contact at {ORG} is {PERSON}, reachable on {PHONE} or {EMAIL}.',
  '{PERSON} and {PERSON} will present the {FUND} results in {CITY}.',
  'Ship the prototype to {PERSON}, {ADDRESS}, {CITY}.',
  'Card on file: {CARD}; backup contact {PHONE}.',
  'I talked to {PERSON} yesterday; {FIRST} thinks {ORG} will sign.',
  'Employee {PERSON}, social security number {SSN}, starts Monday.',
  'Refund to IBAN {IBAN} requested by {PERSON} ({EMAIL}).',
  'Use the token {SECRET} only in staging, says {PERSON}.',
  'The office of {ORG} is at {ADDRESS} in {CITY}.',
  'Ping {FIRST} on {PHONE} if the {ORG} invoice bounces.',
  '{PERSON} invested through {FUND} and wants the report by Friday.',
  'Pay via {CRYPTO} or card {CARD}.',
  'Lunch with {PERSON} at {ADDRESS} was moved; call {PHONE}.',
  'The passcode: {PASSWORD} for the {ORG} portal.',
  'New hire {PERSON} lives in {CITY} and uses {EMAIL}.',
  'Account number {ACCOUNT} at {ORG} belongs to {PERSON}.',
  'From: {PERSON} <{EMAIL}>\nSubject: {ORG} follow-up',
  '{FIRST}, can you forward {PERSON}\'s number ({PHONE}) to {PERSON}?',
  'Board call: {PERSON}, {PERSON}, {PERSON} ({ORG}).',
];

/** Sentences with no personal data (product names, titles, weekdays): they measure false positives. Split like the
 *  templates: even lines tune, odd lines are held out. */
export const CLEAN = [
  'The quarterly report is due on Friday, please review the attached draft.',
  'We moved the Grafana dashboards to the new Kubernetes cluster last week.',
  'Revenue grew 12 percent in Q3 while costs stayed flat.',
  'Please restart the Docker daemon after the upgrade to version 28.2.',
  'The Project Roadmap section needs a clearer timeline.',
  'Our Service Level Agreement promises 99.9 percent uptime.',
  'Thanks for the quick turnaround on the Budget Review.',
  'The GPU utilisation stayed under 40 percent during the Benchmark Run.',
  'Next Steps: finalise the Slide Deck and send it to the Steering Committee.',
  'Use Python 3.11 and Node 20 for the build; TypeScript 6 is required.',
  'Happy New Year from the whole Support Team!',
  'The Annual General Meeting starts at 10 a.m. in the Main Hall.',
];

const FUND_SUFFIX = ['Capital Fund I', 'Ventures II', 'Growth Fund', 'Opportunity Fund', 'Partners Fund III', 'Equity Fund'];

export function generate(seed: number, perTemplate: number, which: 'tune' | 'heldout' | 'all'): Sample[] {
  const f = new Faker({ locale: [en, base] });
  f.seed(seed);
  const ssn = () => `${f.number.int({ min: 100, max: 665 })}-${String(f.number.int({ min: 1, max: 99 })).padStart(2, '0')}-${String(f.number.int({ min: 1, max: 9999 })).padStart(4, '0')}`;
  const values: Record<string, () => [string, 1 | 2, string]> = {
    PERSON: () => [`${f.person.firstName()} ${f.person.lastName()}`, 2, 'PERSON'],
    FIRST: () => [f.person.firstName(), 2, 'PERSON'],
    ORG: () => [f.company.name(), 2, 'ORG'],
    FUND: () => [`${f.person.lastName()} ${f.helpers.arrayElement(FUND_SUFFIX)}`, 2, 'FUND'],
    EMAIL: () => [f.internet.email(), 2, 'EMAIL'],
    PHONE: () => [f.phone.number(), 2, 'PHONE'],
    CITY: () => [f.location.city(), 2, 'LOCATION'],
    ADDRESS: () => [f.location.streetAddress(f.datatype.boolean()), 2, 'LOCATION'],
    CARD: () => [f.finance.creditCardNumber(), 1, 'CARD'],
    IBAN: () => [f.finance.iban({ formatted: f.datatype.boolean() }), 1, 'IBAN'],
    SSN: () => [ssn(), 1, 'SSN'],
    CRYPTO: () => [f.helpers.arrayElement([f.finance.bitcoinAddress(), f.finance.ethereumAddress()]), 1, 'CRYPTO'],
    ROUTING: () => [f.finance.routingNumber(), 1, 'ROUTING'],
    ACCOUNT: () => [f.finance.accountNumber(10), 1, 'ACCOUNT'],
    SECRET: () => [`sk-${f.string.alphanumeric(40)}`, 1, 'SECRET'],
    PASSWORD: () => [f.internet.password({ length: 14 }), 1, 'PASSWORD'],
  };
  const out: Sample[] = [];
  TEMPLATES.forEach((tpl, t) => {
    if (which === 'tune' && t % 2 === 1) return;
    if (which === 'heldout' && t % 2 === 0) return;
    for (let i = 0; i < perTemplate; i++) {
      let text = '';
      const entities: Entity[] = [];
      let rest = tpl;
      for (let m = /\{([A-Z]+)\}/.exec(rest); m; m = /\{([A-Z]+)\}/.exec(rest)) {
        text += rest.slice(0, m.index);
        const [value, tier, kind] = values[m[1]]();
        entities.push({ kind, tier, start: text.length, end: text.length + value.length, value });
        text += value;
        rest = rest.slice(m.index + m[0].length);
      }
      text += rest;
      out.push({ template: t, text, entities });
    }
  });
  CLEAN.forEach((text, i) => {
    if (which === 'tune' && i % 2 === 1) return;
    if (which === 'heldout' && i % 2 === 0) return;
    out.push({ template: -1 - i, text, entities: [] });
  });
  return out;
}
