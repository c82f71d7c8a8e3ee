# e2e/harness.sh is sourced by the browser suites' run.sh (e2e/, e2e-editor/,
# webgpu/browsertest/): the one Chromium check, npm install, models folder assembly and
# `lamina serve` start/wait they share. It expects $repo (the repository root) to be set
# and `set -euo pipefail` to be on.
#
#   harness_browser NAME             Chromium at $LAMINA_CHROMIUM (default /usr/bin/chromium)
#                                    and playwright-core in e2e/node_modules (npm ci from
#                                    e2e/package-lock.json when missing)
#   harness_models DEST < MANIFEST   assemble a models folder (scripts/testmodels.sh format:
#                                    DEST_SUBDIR SOURCE_DIR FILE... per line)
#   harness_serve NAME MODELS LOG    start dist/lamina serve on a free 127.0.0.1 port over
#                                    dist/site and MODELS; sets $url, stops it on exit

harness_browser() {
	export LAMINA_CHROMIUM="${LAMINA_CHROMIUM:-/usr/bin/chromium}"
	if [ ! -x "$LAMINA_CHROMIUM" ]; then
		echo "$1: no Chromium at $LAMINA_CHROMIUM: apt-get install -y chromium (or set LAMINA_CHROMIUM)" >&2
		return 1
	fi
	if [ ! -d "$repo/e2e/node_modules/playwright-core" ]; then
		(cd "$repo/e2e" && npm ci --no-audit --no-fund --ignore-scripts >&2)
	fi
}

harness_models() {
	rm -rf "$1"
	"$repo/scripts/testmodels.sh" /dev/stdin "$1"
}

harness_serve() {
	local name=$1 models=$2 log=$3
	"$repo/dist/lamina" serve --addr 127.0.0.1:0 --site "$repo/dist/site" --models "$models" >"$log" 2>&1 &
	harness_server=$!
	trap 'kill $harness_server 2>/dev/null || true' EXIT
	url=""
	# lamina serve prints {"url": ...} once it listens; wait for that line (10 s at most).
	for _ in $(seq 100); do
		url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$log" | head -1)
		[ -n "$url" ] && break
		kill -0 $harness_server 2>/dev/null || {
			cat "$log" >&2
			return 1
		}
		sleep 0.1
	done
	[ -n "$url" ] || {
		echo "$name: lamina serve did not start" >&2
		cat "$log" >&2
		return 1
	}
	echo "$name: serving $url" >&2
}
