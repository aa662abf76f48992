// Observing which properties a call reads: a copy of an input whose every property and array
// element is a getter that logs its path. Getters run for reads across Node-API exactly as
// for reads in JavaScript, so the same log from the addon and from the reference means the
// same reads, in the same order.

/** A deep copy of `value` that appends `path.key` / `path[i]` to `log` on every read. */
export function instrumented<T>(value: T, log: string[], path = "input"): T {
  if (Array.isArray(value)) {
    const out: unknown[] = Array.from({ length: value.length });
    value.forEach((item, i) =>
      defineLogged(out, String(i), instrumented(item, log, `${path}[${i}]`), log, `${path}[${i}]`),
    );
    return out as T;
  }
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  const out = {};
  for (const [key, item] of Object.entries(value))
    defineLogged(out, key, instrumented(item, log, `${path}.${key}`), log, `${path}.${key}`);
  return out as T;
}

function defineLogged(target: object, key: string, item: unknown, log: string[], path: string) {
  Object.defineProperty(target, key, {
    get() {
      log.push(path);
      return item;
    },
    enumerable: true,
    configurable: true,
  });
}

/** The paths `call` reads from an instrumented copy of `input`, in order, up to its answer or
 * its exception. */
export function readsOf(call: (input: never) => unknown, input: unknown): string[] {
  const log: string[] = [];
  const copy = instrumented(input, log);
  try {
    call(copy as never);
  } catch {
    log.push("(threw)");
  }
  return log;
}
