// Takes secrets out of text before it is written anywhere: the sudo passwords (the values of the
// variables that become_password_env names) and anything that looks like a private key.
//   const redact = new Redactor(); redact.add('hunter2'); redact.text('pw hunter2') === 'pw [redacted]'

export const REDACTED = '[redacted]';

// An unterminated block (output cut short) is taken to the end of the text.
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** An empty value is no secret (and replacing it would mangle every line). */
  add(secret: string): void {
    if (secret !== '') this.secrets.add(secret);
  }

  text(text: string): string {
    let result = text.replace(PRIVATE_KEY, REDACTED);
    // Longest first, so a secret that contains another is taken out whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) result = result.replaceAll(secret, REDACTED);
    return result;
  }
}
