// Node (V8) runner for a kernel: node node.mjs FILE.wasm KERNEL N -> "result ms" (median of 5 after a warm-up).
import { readFileSync } from "node:fs";
const [file, kernel, n] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(readFileSync(file));
const f = instance.exports[kernel];
let r = f(Number(n));
const times = [];
for (let i = 0; i < 5; i++) { const t = performance.now(); r = f(Number(n)); times.push(performance.now() - t); }
times.sort((a, b) => a - b);
console.log(`${r} ${times[2].toFixed(3)}`);
