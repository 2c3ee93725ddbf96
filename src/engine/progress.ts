// Chooses how live progress is shown: Listr2's live rows on a terminal, plain lines in CI, in a
// pipe, with NO_COLOR or TERM=dumb (plain text, no cursor movement), and with -v (whose lines
// would be drawn over by the live rows); nothing at all when the output is JSON (so stdout stays
// one JSON object). Listr2's colours follow colorette: none without a terminal or with NO_COLOR.
import { currentRunLog } from '../logging/run-log.js';

export type ProgressMode = 'live' | 'plain' | 'silent';

export interface ProgressEnvironment {
  json: boolean;
  /** -v; by default, whether the current run log is verbose. */
  verbose?: boolean;
  stream?: { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

export function chooseProgress(options: ProgressEnvironment): ProgressMode {
  if (options.json) return 'silent';
  const stream = options.stream ?? process.stdout;
  const env = options.env ?? process.env;
  const verbose = options.verbose ?? currentRunLog()?.verbose ?? false;
  // no-color.org: NO_COLOR counts when it is set and not empty.
  const plainText = (env['NO_COLOR'] ?? '') !== '' || env['TERM'] === 'dumb';
  return stream.isTTY === true && !env['CI'] && !plainText && !verbose ? 'live' : 'plain';
}

export function listrRenderer(mode: ProgressMode): 'default' | 'simple' | 'silent' {
  return mode === 'live' ? 'default' : mode === 'plain' ? 'simple' : 'silent';
}
