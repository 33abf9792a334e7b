/** Command-line flags of the benches: `--flag value`. */

export function argValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

export function argNumber(args: readonly string[], flag: string): number | undefined {
  const v = argValue(args, flag);
  return v === undefined ? undefined : Number(v);
}
