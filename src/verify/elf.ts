// Tells a statically linked ELF executable (safe to copy to any host of its architecture).
const PT_INTERP = 3;

/** True when `binary` is a 64-bit little-endian ELF with no program interpreter (static). */
export function isStaticElf64(binary: Buffer): boolean {
  if (binary.length < 64 || binary.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = binary[4] === 2;
  const littleEndian = binary[5] === 1;
  if (!is64 || !littleEndian) return false;
  const phoff = Number(binary.readBigUInt64LE(32));
  const phentsize = binary.readUInt16LE(54);
  const phnum = binary.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const offset = phoff + i * phentsize;
    if (offset + 4 > binary.length) return false;
    if (binary.readUInt32LE(offset) === PT_INTERP) return false;
  }
  return true;
}

/** ELF machine of the binary (x86_64 = 62, aarch64 = 183). */
export function elfMachine(binary: Buffer): number {
  return binary.readUInt16LE(18);
}
