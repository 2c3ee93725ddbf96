// POSIX shell quoting: shellJoin(['echo', "it's $HOME"]) === `echo 'it'\''s $HOME'`.

// Words made only of these characters mean the same to sh quoted or not. `=` is left out so that
// `A=b cmd` can never turn into an assignment, `~` so that no tilde expansion happens.
const PLAIN_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/** Quotes one argument so that sh reads it back as exactly this string (and as one word). */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) {
    // sh cannot carry a NUL inside an argument: refuse rather than silently truncate.
    throw new Error(`cannot pass an argument containing a NUL byte to a shell: ${JSON.stringify(arg.slice(0, 40))}`);
  }
  if (PLAIN_WORD.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Quotes every argument and joins them with spaces: one command line for sh. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
