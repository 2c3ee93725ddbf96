// Chooses how live progress is shown: Listr2's live rows on a terminal, plain lines in CI or a
// pipe, nothing at all when the output is JSON (so stdout stays one JSON object).
export type ProgressMode = 'live' | 'plain' | 'silent';

export function chooseProgress(options: { json: boolean; stream?: NodeJS.WriteStream }): ProgressMode {
  if (options.json) return 'silent';
  const stream = options.stream ?? process.stdout;
  return stream.isTTY && !process.env.CI ? 'live' : 'plain';
}

export function listrRenderer(mode: ProgressMode): 'default' | 'simple' | 'silent' {
  return mode === 'live' ? 'default' : mode === 'plain' ? 'simple' : 'silent';
}
