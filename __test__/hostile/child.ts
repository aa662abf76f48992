// Runs one hostile case (argv[2]) against the native addon and the reference, in a process of
// its own, and prints whether they agree. A crash of this process is the parent's failure.
import { createRequire } from "node:module";
import * as reference from "../reference";
import { same } from "../same";
import { cases } from "./cases";

const native = createRequire(__filename)("../../index.js");
const name = process.argv[2];
const hostile = cases[name];
if (!hostile) throw new Error(`no case ${name}`);

type Answer = { ok: true; value: unknown } | { ok: false; error: unknown };
const answer = (impl: never): Answer => {
  try {
    return { ok: true, value: hostile(impl) };
  } catch (error) {
    return { ok: false, error };
  }
};
const describe = (a: Answer) =>
  a.ok
    ? { value: JSON.stringify(a.value)?.slice(0, 300) }
    : { threw: a.error instanceof Error ? `${a.error.constructor.name}: ${a.error.message}` : JSON.stringify(a.error) };

const n = answer(native as never);
const r = answer(reference as never);
let agree: boolean;
if (n.ok && r.ok) agree = same(n.value, r.value);
else if (!n.ok && !r.ok) {
  // The same exception: a TypeError with the same message, or the caller's own value.
  const e1 = n.error as { constructor?: unknown; message?: unknown };
  const e2 = r.error as { constructor?: unknown; message?: unknown };
  agree =
    typeof n.error === "object" && n.error !== null
      ? e1.constructor === e2.constructor &&
        e1.message === e2.message &&
        JSON.stringify(n.error) === JSON.stringify(r.error)
      : n.error === r.error;
} else agree = false;
console.log(JSON.stringify({ name, agree, native: describe(n), reference: describe(r) }));
