// The shell scripts the SSH connection runs on a host for its own work: putting a file atomically,
// killing a timed-out command, and holding the run lock. Each takes its values as positional arguments, never pasted in.

// Prints the path of a fresh private temp file holding stdin.
export const UPLOAD_SCRIPT = 'umask 077; tmp=$(mktemp) || exit 1; if cat > "$tmp"; then printf %s "$tmp"; else rm -f -- "$tmp"; exit 1; fi';

// Args: temp file, target, octal mode, expected size. Copies into a temp file beside the
// target and renames it over the target, so readers see the old or the new file, never half.
export const PLACE_SCRIPT = `set -e
tmp=$1 dest=$2 mode=$3 size=$4 staged=
trap 'rm -f -- "$tmp"; [ -z "$staged" ] || rm -f -- "$staged"' EXIT
if [ "$(($(wc -c < "$tmp")))" -ne "$size" ]; then echo "upload of $dest was cut short" >&2; exit 1; fi
if [ -d "$dest" ]; then echo "$dest is a directory" >&2; exit 1; fi
dir=$(dirname -- "$dest")
mkdir -p -- "$dir"
staged=$(mktemp "$dir/.meshctl.XXXXXX")
cp -- "$tmp" "$staged"
chmod "$mode" "$staged"
mv -f -- "$staged" "$dest"
staged=`;

// Args: variable name, run id. TERM every process whose environment carries the run id, then
// KILL what is left a second later.
export const KILL_RUN_SCRIPT = `tagged() {
  for d in /proc/[0-9]*; do
    tr '\\0' '\\n' < "$d/environ" 2>/dev/null | grep -qx "$1=$2" && echo "\${d#/proc/}"
  done
}
pids=$(tagged "$1" "$2")
[ -n "$pids" ] || exit 0
kill -TERM $pids 2>/dev/null
sleep 1
pids=$(tagged "$1" "$2")
[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
exit 0`;

// Args: lock file, holder text, seconds to wait ("0": do not). Takes an flock on the lock file,
// printing "busy HOLDER" first if another run holds it and "locked" once this one does; writes
// the holder text into the file for the next run's message; then holds the lock until stdin
// ends: `exec cat` keeps fd 9, and with it the lock, in the one process that reads stdin.
// Exit 75 (flock's conflict code): still held by the other run when the wait was over.
export const RUN_LOCK_SCRIPT = `lock=$1 holder=$2 wait=$3
command -v flock >/dev/null 2>&1 || { echo 'flock is not installed (util-linux), and the run lock needs it' >&2; exit 69; }
exec 9>>"$lock" || exit 73
flock -n -E 75 9
status=$?
if [ "$status" -eq 75 ]; then
  printf 'busy %s\\n' "$(head -n 1 "$lock")"
  [ "$wait" != 0 ] || exit 75
  flock -w "$wait" -E 75 9 || exit $?
elif [ "$status" -ne 0 ]; then
  exit "$status"
fi
printf '%s\\n' "$holder" > "$lock"
echo locked
exec cat > /dev/null`;
