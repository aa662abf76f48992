// The package under test, loaded as a user loads it (through its loader, index.js).
import { createRequire } from "node:module";
import type * as Core from "../index.js";

const require = createRequire(import.meta.url);
export const native: typeof Core = require("../index.js");
