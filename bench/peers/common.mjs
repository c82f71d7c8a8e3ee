// Helpers shared by the bench/peers Node runners.

// parseArgs splits argv into positional arguments and --name [value]
// options; defaults gives each option's default (a boolean default makes it
// a flag, a number default parses the value as a number).
export function parseArgs(argv, defaults) {
  const opt = { ...defaults }, pos = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) { pos.push(a); continue; }
    const k = a.slice(2);
    if (!(k in defaults)) throw new Error(`unknown option ${a}`);
    if (typeof defaults[k] === "boolean") opt[k] = true;
    else {
      const v = argv[++i];
      opt[k] = typeof defaults[k] === "number" ? Number(v) : v;
      if (typeof defaults[k] === "number" && !Number.isFinite(opt[k])) throw new Error(`${a} ${v}: not a number`);
    }
  }
  return { pos, opt };
}

// emit prints one JSON line per result and exits once stdout is flushed
// (a pipe is asynchronous in Node; some runtimes keep the process alive).
export function emit(lines) {
  process.stdout.write(lines.map((l) => JSON.stringify(l) + "\n").join(""), () => process.exit(0));
}

// cpuSeconds is the process's CPU time (user + system, all threads).
export function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
