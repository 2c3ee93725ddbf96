// Takes secrets out of text before it is written anywhere: the sudo passwords (the values of the
// variables that become_password_env names) and anything that looks like a private key. Some
// outputs carry values base64-encoded (etcd's JSON API, files read as base64), so a secret is also
// taken out in base64, wherever in the encoded stream it starts.
//   const redact = new Redactor(); redact.add('hunter2'); redact.text('pw hunter2') === 'pw [redacted]'

export const REDACTED = '[redacted]';

// An unterminated block (output cut short) is taken to the end of the text.
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** An empty value is no secret (and replacing it would mangle every line). */
  add(secret: string): void {
    if (secret === '') return;
    this.secrets.add(secret);
    for (const encoded of base64Forms(secret)) this.secrets.add(encoded);
  }

  text(text: string): string {
    let result = text.replace(PRIVATE_KEY, REDACTED);
    // Longest first, so a secret that contains another is taken out whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) result = result.replaceAll(secret, REDACTED);
    return result;
  }
}

// Shorter fragments would match base64 text that has nothing to do with the secret.
const SHORTEST_BASE64_FORM = 4;

/**
 * The base64 characters that depend on the secret alone, for each of the 3 offsets (mod 3) at
 * which it can start in an encoded stream: character j holds bits 6j..6j+5, which must all lie
 * within the secret's bytes.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes, Buffer.alloc(3)]).toString('base64');
    const form = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    if (form.length >= SHORTEST_BASE64_FORM) forms.push(form);
  }
  return forms;
}
