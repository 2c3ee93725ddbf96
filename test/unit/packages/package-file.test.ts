import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackageFileError, readPackageFile } from '../../../src/packages/package-file.js';

// Built for these tests with dpkg-deb (-Zxz and -Zgzip) and rpmbuild -bb (Epoch: 1, noarch).
const files = new URL('./files/', import.meta.url).pathname;

describe('readPackageFile', () => {
  it('reads a .deb whose control.tar is xz-compressed, the default of current dpkg', async () => {
    const deb = readPackageFile(join(files, 'meshctl-hello_1.2-3_all.deb'));
    expect(deb).toMatchObject({ format: 'deb', name: 'meshctl-hello', version: '1.2-3', arch: 'all', size: 784 });
    expect(deb.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads a gzip-compressed .deb', async () => {
    expect(readPackageFile(join(files, 'meshctl-hello_1.2-3_all.gz.deb'))).toMatchObject({ name: 'meshctl-hello', version: '1.2-3', arch: 'all' });
  });

  it('reads an .rpm, with its epoch in the version as rpm -q prints it', async () => {
    expect(readPackageFile(join(files, 'meshctl-hello-1.2-3.noarch.rpm'))).toMatchObject({
      format: 'rpm', name: 'meshctl-hello', version: '1:1.2-3', arch: 'noarch',
    });
  });

  it('refuses files that are not packages, saying what is wrong', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshctl-pkg-'));
    await writeFile(join(dir, 'fake.deb'), 'just text');
    expect(() => readPackageFile(join(dir, 'fake.deb'))).toThrow(/not an ar archive/);
    const rpm = await readFile(join(files, 'meshctl-hello-1.2-3.noarch.rpm'));
    await writeFile(join(dir, 'cut.rpm'), rpm.subarray(0, 200));
    expect(() => readPackageFile(join(dir, 'cut.rpm'))).toThrow(PackageFileError);
    await writeFile(join(dir, 'notes.txt'), 'x');
    expect(() => readPackageFile(join(dir, 'notes.txt'))).toThrow(/not a .deb or .rpm/);
  });
});
