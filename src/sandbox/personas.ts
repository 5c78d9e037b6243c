// The personas the /sandbox page lists: which seeded citizen shows which situation a relying party must handle.
import type { SandboxKey } from './messages.ts';
import { SANDBOX_CITIZENS, SANDBOX_RECORD_DETAILS, SANDBOX_UNREGISTERED } from './seed.ts';

export interface Persona {
  label: SandboxKey;
  shows: SandboxKey;
  personalId: string;
  name: string;
  /** Whether the sandbox password works (false: no account to sign in to). */
  hasAccount: boolean;
  vars?: Record<string, string>;
}

const byId = (id: string) => SANDBOX_CITIZENS.find((c) => c.personalId === id)!;
const nameOf = (c: { familyName: string; middleName: string; givenName: string }) => `${c.familyName} ${c.middleName} ${c.givenName}`;

export function personas(): Persona[] {
  const an = byId('001090012345');
  const mai = SANDBOX_RECORD_DETAILS[an.personalId]!.dependent!;
  const cuong = byId('048201004567');
  const level1 = SANDBOX_CITIZENS.find((c) => c.level === 1 && !c.locked)!;
  const locked = SANDBOX_CITIZENS.find((c) => c.locked)!;
  const plain = byId('092075001122');
  const unregistered = SANDBOX_UNREGISTERED.find((c) => !('mother' in c))!;
  const persona = (label: SandboxKey, citizen: { personalId: string; familyName: string; middleName: string; givenName: string }, hasAccount = true, vars?: Record<string, string>): Persona => ({
    label, shows: `${label}.shows` as SandboxKey, personalId: citizen.personalId, name: nameOf(citizen), hasAccount, ...(vars ? { vars } : {}),
  });
  return [
    persona('persona.level1', level1),
    persona('persona.level2', an),
    persona('persona.dependent', an, true, { child: nameOf(mai), childId: mai.personalId, birth: mai.birthdate }),
    persona('persona.level2_plain', plain),
    persona('persona.locked', locked),
    persona('persona.expired', cuong, true, { expiry: SANDBOX_RECORD_DETAILS[cuong.personalId]!.record.id_card_expires_on }),
    persona('persona.unregistered', unregistered, false),
  ];
}
