import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { armoredPublicKey, crc24 } from '../../../src/packages/armor.js';

const files = path.join(import.meta.dirname, 'files');
// Debian's bullseye signing key, binary as in /usr/share/keyrings, and what `gpg --armor --export` made of it.
const binary = readFileSync(path.join(files, 'debian-bullseye-stable.gpg'));
const armoredByGpg = readFileSync(path.join(files, 'debian-bullseye-stable.asc'), 'utf8');

describe('armoredPublicKey', () => {
  it('armors a binary key as gpg does, checksum included', () => {
    expect(armoredPublicKey(binary)).toBe(armoredByGpg);
  });

  it('keeps an armored key as it is, ending in a newline', () => {
    expect(armoredPublicKey(Buffer.from(armoredByGpg))).toBe(armoredByGpg);
    expect(armoredPublicKey(Buffer.from(armoredByGpg.trimEnd()))).toBe(armoredByGpg);
  });

  it('refuses what is no public key', () => {
    expect(armoredPublicKey(Buffer.from('ssh-ed25519 AAAAC3Nza... user@host\n'))).toBeUndefined();
    expect(armoredPublicKey(Buffer.alloc(0))).toBeUndefined();
    // A secret-key packet (tag 5) is not what apt wants.
    expect(armoredPublicKey(Buffer.from([0x95, 0x01, 0x00]))).toBeUndefined();
    // A new-format public-key packet header (tag 6).
    expect(armoredPublicKey(Buffer.from([0xc6, 0x01, 0x04]))).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxgEE\n=/);
  });
});

describe('crc24', () => {
  it('is RFC 4880\'s CRC-24 (its check value for "123456789")', () => {
    expect(crc24(Buffer.from('123456789'))).toBe(0x21cf02);
  });
});
