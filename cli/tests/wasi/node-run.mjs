// Runs a WASI command in node's `node:wasi`, the reference the tests compare Lazuli with:
//   node node-run.mjs [--dir HOST::GUEST]... [--env NAME=VALUE]... app.wasm [args...]
// The exit status is the program's.
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const preopens = {};
const env = {};
const argv = process.argv.slice(2);
while (argv[0] === '--dir' || argv[0] === '--env') {
  const [flag, value] = argv.splice(0, 2);
  if (flag === '--dir') {
    const [host, guest] = value.split('::');
    preopens[guest ?? host] = host;
  } else {
    const at = value.indexOf('=');
    env[value.slice(0, at)] = value.slice(at + 1);
  }
}
const [file, ...args] = argv;
const wasi = new WASI({ version: 'preview1', args: [basename(file), ...args], env, preopens, returnOnExit: true });
const imports = { wasi_snapshot_preview1: wasi.wasiImport };
const { instance } = await WebAssembly.instantiate(readFileSync(file), imports);
process.exitCode = wasi.start(instance);
