#!/usr/bin/env python3
"""Re-wraps tests/fixtures/hello-llvm19.lzc in the current core format.

The fixture holds code compiled by a build on LLVM 19, which must stay refused for its LLVM
version (cli/tests/cli.rs). Its core header's format version and Lazuli version must match this
build, or the refusal names them instead (the code's own header is checked before the code
settings, so new settings need no re-wrap): run this after changing the core format version or
the crate version. It keeps the backend name, the wasm and the code, and takes the header fields
from a module the current build serializes (target/release/lazuli).
"""
import pathlib, struct, subprocess, sys, tempfile, zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests/fixtures/hello-llvm19.lzc"
MAGIC = b"LAZULI\0\x1a"
# From format 6 on, the code starts on a multiple of this many bytes from the blob's start.
CODE_ALIGN = 4096


def fields(blob):
    """(version, [lazuli, backend, settings, wasm, code]) of a serialized module."""
    assert blob.startswith(MAGIC), "not a serialized module"
    body = blob[len(MAGIC):-4]
    version = struct.unpack_from("<I", body)[0]
    at, out = 4, []
    for i, wide in enumerate((False, False, False, True, True)):
        fmt = "<Q" if wide else "<I"
        (length,) = struct.unpack_from(fmt, body, at)
        at += struct.calcsize(fmt)
        if i == 4 and version >= 6:
            at = -(-(at + len(MAGIC)) // CODE_ALIGN) * CODE_ALIGN - len(MAGIC)
        out.append(body[at:at + length])
        at += length
    assert at == len(body), "trailing bytes"
    return version, out


def wrap(version, parts):
    out = bytearray(MAGIC) + struct.pack("<I", version)
    for i, (part, wide) in enumerate(zip(parts, (False, False, False, True, True))):
        out += struct.pack("<Q" if wide else "<I", len(part))
        if i == 4 and version >= 6:
            out += bytes(-len(out) % CODE_ALIGN)
        out += part
    return bytes(out) + struct.pack("<I", zlib.crc32(out) & 0xFFFFFFFF)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        wat = pathlib.Path(tmp, "m.wat")
        wat.write_text('(module (func (export "f")))')
        lzc = pathlib.Path(tmp, "m.lzc")
        subprocess.run([ROOT / "target/release/lazuli", "compile", wat, "-o", lzc], check=True)
        version, (lazuli, _, settings, _, _) = fields(lzc.read_bytes())
    _, (_, backend, _, wasm, code) = fields(FIXTURE.read_bytes())
    FIXTURE.write_bytes(wrap(version, [lazuli, backend, settings, wasm, code]))
    print(f"{FIXTURE}: format {version}, {len(settings)} bytes of settings")


if __name__ == "__main__":
    sys.exit(main())
