// Node (V8): time from bytes in memory to the first result: node node_first.mjs FILE KERNEL N -> "result ms".
import { readFileSync } from "node:fs";
const [file, kernel, n] = process.argv.slice(2);
const bytes = readFileSync(file);
const t = performance.now();
const { instance } = await WebAssembly.instantiate(bytes);
const r = instance.exports[kernel](Number(n));
console.log(`${r} ${(performance.now() - t).toFixed(3)}`);
