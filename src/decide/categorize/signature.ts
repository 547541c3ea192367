/**
 * Signature lines: the "-- " delimiter and the rules clients draw ("____", "****", Gmail's
 * tracking dot "ᐧ"), and the one-line taglines phone and webmail clients append
 * ("Sent from my iPhone") in the languages they localize them into.
 */

/** A line made only of rule characters: everything from the first one on is signature or footer. */
const delimiterLine = /^[ \t]*[-_,=+~#*ᐧ—]+[ \t]*$/u;

export function isDelimiter(line: string): boolean {
  return delimiterLine.test(line);
}

const mobileTaglines: readonly RegExp[] = [
  /^\s*[(<]*Sent (?:from|via|with|by) .+/iu,
  /^\s*[\p{L}\p{N}_]+ from mobile/iu,
  /^\s*From my [\p{L}\p{N} ]{1,20}\.?\s*$/iu,
  /^\s*Get Outlook for /iu,
  /^\s*Envoyé (?:depuis|de) (?:mon|Yahoo Mail)/iu,
  /^\s*Von meinem .+ gesendet/iu,
  /^\s*Gesendet (?:von|mit) (?:meinem|der|Yahoo)/iu,
  /^\s*Diese Nachricht wurde von .+ gesendet/iu,
  /^\s*Inviato da /iu,
  /^\s*Sendt fra min /iu,
  /^\s*Enviado do meu /iu,
  /^\s*Enviado desde mi /iu,
  /^\s*Verzonden met /iu,
  /^\s*Verzonden vanaf mijn /iu,
  /^\s*Verstuurd vanaf mijn /iu,
  /^\s*(?:Skickat )?från min /iu,
  /^\s*Wysłane z (?:mojego|iPhone|aplikacji)/iu,
  /^\s*Отправлено с (?:моего|iPhone|iPad)/iu,
  /^\s*從我的 iPhone 傳送/u,
  /^\s*发自我的 ?iPhone/u,
  /^\s*iPhoneから送信/u,
];

/** Taglines are short; a long line that starts "Sent from …" is prose. */
const taglineMaxLength = 100;

/** A phone/webmail tagline line ("Sent from my iPhone", "Von meinem iPad gesendet"). */
export function isMobileTagline(line: string): boolean {
  // a markdown link in the tagline ("Sent from [Outlook](https://…)") reads as its text
  const plain = line.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1').trim();
  if (plain.length > taglineMaxLength) return false;
  return mobileTaglines.some((pattern) => pattern.test(plain));
}
