#!/usr/bin/env bash
# device-slim.sh makes the checkout small enough for the GPU device tool, which copies the
# working tree (tracked files and untracked files git does not ignore, plus the carried
# paths) and refuses more than 64 MiB in all. The tracked tree is larger than that (the
# shipped language model alone is 40 MB), so a GPU call that needs only some folders first
# takes every other tracked file out of git's index and lists it in .git/info/exclude: the
# files stay on disk, untouched, but no longer travel. `off` puts the index back.
#
#   scripts/device-slim.sh size [CARRY...]   bytes that would travel now (tree + carry)
#   scripts/device-slim.sh on KEEP...        only KEEP (paths or folders) travel
#   scripts/device-slim.sh off               back to normal
#
# e.g. for the drawing-model run (train/gpu_all.sh):
#   scripts/device-slim.sh on train models/layered-emoji scripts vector/dataset/LICENSES.md
#   scripts/device-slim.sh size .cache/gpu-carry
#   ... the device call, with carry [".cache/gpu-carry"] ...
#   scripts/device-slim.sh off
#
# Between on and off, `git status` shows every other file as deleted from the index: do not
# commit then. `off` runs `git reset -q`, which also unstages anything else that was staged.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
begin='# device-slim: begin'
end='# device-slim: end'

travelling() { git ls-files -z --cached --others --exclude-standard; }

case "${1:-}" in
size)
	shift
	tree=$(travelling | du -cb --files0-from=- 2>/dev/null | tail -n 1 | cut -f1)
	carry=0
	for c in "$@"; do carry=$((carry + $(du -sb "$c" | cut -f1))); done
	total=$((tree + carry))
	printf 'tree %d bytes, carry %d bytes, total %.1f MiB of 64 MiB\n' "$tree" "$carry" "$(echo "$total / 1048576" | bc -l)"
	[ "$total" -le $((64 * 1048576)) ]
	;;
on)
	shift
	[ $# -gt 0 ] || { echo "device-slim: name the paths to keep" >&2; exit 2; }
	if grep -qF "$begin" "$exclude" 2>/dev/null; then
		echo "device-slim: already on (run off first)" >&2
		exit 2
	fi
	list=$(mktemp)
	git ls-files | while IFS= read -r f; do
		keep=
		for k in "$@"; do
			k=${k%/}
			case "$f" in "$k" | "$k"/*) keep=1 ;; esac
		done
		[ -n "$keep" ] || printf '%s\n' "$f"
	done >"$list"
	{
		echo "$begin"
		sed 's|^|/|' "$list"
		echo "$end"
	} >>"$exclude"
	git rm -q --cached --pathspec-from-file="$list"
	echo "device-slim: $(wc -l <"$list") tracked files left out; $(git ls-files | wc -l) travel"
	rm -f "$list"
	;;
off)
	if grep -qF "$begin" "$exclude" 2>/dev/null; then
		sed -i "/^$begin\$/,/^$end\$/d" "$exclude"
	fi
	git reset -q
	echo "device-slim: off ($(git ls-files | wc -l) tracked files)"
	;;
*)
	sed -n '2,21p' "$0"
	exit 2
	;;
esac
