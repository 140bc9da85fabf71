/** `01012345678` → `010-1234-5678`: how people write a number, and a cell Excel keeps as text (the 0 stays). */
export function formatPhone(phone: string): string {
  const match = /^(01\d)(\d{3,4})(\d{4})$/.exec(phone);
  return match ? `${match[1]}-${match[2]}-${match[3]}` : phone;
}

/** `010-****-5678`: enough to recognise a row on a shared screen, not to copy a parent's number from it. */
export function maskPhone(phone: string): string {
  const match = /^(01\d)(\d{3,4})(\d{4})$/.exec(phone);
  if (match) return `${match[1]}-${'*'.repeat(match[2]?.length ?? 4)}-${match[3]}`;
  // Anything else (the agent only sends Korean mobiles, but a result is data): every digit but the last four.
  const hidden = (phone.match(/\d/g)?.length ?? 0) - 4;
  let seen = 0;
  return phone.replace(/\d/g, (digit) => (++seen <= hidden ? '*' : digit));
}
