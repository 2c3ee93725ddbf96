// The shell scripts the SSH connection runs on a host for its own work: putting a file atomically
// and killing a timed-out command. Each takes its values as positional arguments, never pasted in.

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
