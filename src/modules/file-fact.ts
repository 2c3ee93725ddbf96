// A fact that reads one file as text, telling "missing" apart from "empty", shared by the modules
// that keep state in a file (sysctl.d, daemon.json, meshctl's own records).
import type { z } from 'zod';
import { FactParseError, type FactQuery } from '../engine/module.js';
import { shellQuote } from '../transport/quote.js';

export type FileText = { exists: false } | { exists: true; text: string };

// The transport may trim stdout, so the content sits between two marker lines: whitespace at
// either end of the file survives, and an empty file is not mistaken for a missing one.
const START = 'meshctl:file';
const END = 'meshctl:eof';
const MISSING = 'meshctl:missing';

export function fileFact(path: string): FactQuery<FileText> {
  const p = shellQuote(path);
  return {
    command: `if [ -f ${p} ]; then echo ${START}; cat ${p}; echo; echo ${END}; else echo ${MISSING}; fi`,
    parse: (result) => parseFileText(path, result.stdout, result.code),
  };
}

export function parseFileText(path: string, stdout: string, code: number | null): FileText {
  if (code === 0 && stdout.trim() === MISSING) return { exists: false };
  const start = `${START}\n`;
  const end = `\n${END}`;
  const from = stdout.indexOf(start);
  const to = stdout.lastIndexOf(end);
  if (code !== 0 || from === -1 || to < from + start.length) {
    throw new FactParseError(`cannot read ${path} (exit ${code ?? 'by signal'})`);
  }
  // The `echo` after `cat` put the end marker on a line of its own; that newline is the first
  // character of `end`, so what lies between is the file exactly.
  return { exists: true, text: stdout.slice(from + start.length, to) };
}

/**
 * A JSON record meshctl keeps on the host (what a module changed, to put back on `down`), read
 * through `schema`: anything else in its place is a parse error that says to fix or delete it.
 */
export function parseRecordFile<T extends object>(path: string, file: FileText, schema: z.ZodType<T>): { exists: false } | ({ exists: true; text: string } & T) {
  if (!file.exists) return { exists: false };
  let json: unknown;
  try {
    json = JSON.parse(file.text);
  } catch (error) {
    throw new FactParseError(`${path} is not valid JSON (${(error as Error).message}): fix or delete it`);
  }
  const record = schema.safeParse(json);
  if (!record.success) throw new FactParseError(`${path} is not a record meshctl wrote: fix or delete it`);
  return { exists: true, text: file.text, ...record.data };
}
