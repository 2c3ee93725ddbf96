// Signing keys as apt reads them from a `.asc` file: ASCII-armored OpenPGP (RFC 4880 §6). A key
// given in binary (what `gpg --export` or `--dearmor` writes) is armored here, so that every key
// meshctl puts on a host is text: one file name, and a diff `plan` can show.

const BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const END = '-----END PGP PUBLIC KEY BLOCK-----';

/** The key as armored text, or undefined when `bytes` is neither an armored nor a binary public key. */
export function armoredPublicKey(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes).toString('utf8');
  if (text.includes(BEGIN) && text.includes(END)) return text.endsWith('\n') ? text : `${text}\n`;
  if (!startsWithPublicKeyPacket(bytes)) return undefined;
  const body = Buffer.from(bytes).toString('base64').replace(/.{1,64}/g, '$&\n');
  const sum = crc24(bytes);
  const checksum = Buffer.from([(sum >> 16) & 0xff, (sum >> 8) & 0xff, sum & 0xff]).toString('base64');
  return `${BEGIN}\n\n${body}=${checksum}\n${END}\n`;
}

/** The first packet's tag is 6 (public key), in the old or the new packet format (RFC 4880 §4.2). */
function startsWithPublicKeyPacket(bytes: Uint8Array): boolean {
  const first = bytes[0];
  if (first === undefined || (first & 0x80) === 0) return false;
  const tag = (first & 0x40) !== 0 ? first & 0x3f : (first >> 2) & 0x0f;
  return tag === 6;
}

/** The armor's checksum (RFC 4880 §6.1). */
export function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of bytes) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if ((crc & 0x1000000) !== 0) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}
