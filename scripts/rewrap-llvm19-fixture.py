#!/usr/bin/env python3
"""Re-wraps tests/fixtures/hello-llvm19.lzc in the current core format.

The fixture holds code compiled by a build on LLVM 19, which must stay refused for its LLVM
version (cli/tests/cli.rs). Its core header's format version and Lazuli version must match this
build, or the refusal names them instead (the code's own header is checked before the code
settings, so new settings need no re-wrap): run this after changing the core format version or
the crate version. It keeps the backend name and the code, and takes the header fields (and the
module's description and data from format 8, which keeps no wasm) from the fixture's source
module, tests/fixtures/hello-llvm19.wasm, as the current build serializes it
(target/release/lazuli).
"""
import pathlib, struct, subprocess, sys, tempfile, zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests/fixtures/hello-llvm19.lzc"
SOURCE = ROOT / "tests/fixtures/hello-llvm19.wasm"
MAGIC = b"LAZULI\0\x1a"
# From format 6 on, the code starts on a multiple of this many bytes from the blob's start.
CODE_ALIGN = 4096


def layout(version):
    """Whether each field of a serialized module of this format version is wide (u64 length):
    Lazuli version, backend, settings, [description from format 7,] wasm (data from format
    8), code."""
    return (False, False, False) + ((True,) if version >= 7 else ()) + (True, True)


def fields(blob):
    """(version, fields) of a serialized module, in the order of `layout`."""
    assert blob.startswith(MAGIC), "not a serialized module"
    body = blob[len(MAGIC):-4]
    version = struct.unpack_from("<I", body)[0]
    wides = layout(version)
    at, out = 4, []
    for i, wide in enumerate(wides):
        fmt = "<Q" if wide else "<I"
        (length,) = struct.unpack_from(fmt, body, at)
        at += struct.calcsize(fmt)
        if i == len(wides) - 1 and version >= 6:
            at = -(-(at + len(MAGIC)) // CODE_ALIGN) * CODE_ALIGN - len(MAGIC)
        out.append(body[at:at + length])
        at += length
    assert at == len(body), "trailing bytes"
    return version, out


def wrap(version, parts):
    wides = layout(version)
    assert len(parts) == len(wides)
    out = bytearray(MAGIC) + struct.pack("<I", version)
    for i, (part, wide) in enumerate(zip(parts, wides)):
        out += struct.pack("<Q" if wide else "<I", len(part))
        if i == len(wides) - 1 and version >= 6:
            out += bytes(-len(out) % CODE_ALIGN)
        out += part
    return bytes(out) + struct.pack("<I", zlib.crc32(out) & 0xFFFFFFFF)


def main():
    old_version, old = fields(FIXTURE.read_bytes())
    backend, code = old[1], old[-1]
    if old_version < 8:
        # Up to format 7 the fixture held its whole wasm: keep it as the source from now on.
        SOURCE.write_bytes(old[-2])
    with tempfile.TemporaryDirectory() as tmp:
        # The source module, compiled by this build, gives the current header fields and
        # (from format 7) the description, and its data, that match the code.
        lzc = pathlib.Path(tmp, "m.lzc")
        subprocess.run([ROOT / "target/release/lazuli", "compile", SOURCE, "-o", lzc], check=True)
        version, new = fields(lzc.read_bytes())
    parts = [new[0], backend, new[2]] + new[3:-1] + [code]
    FIXTURE.write_bytes(wrap(version, parts))
    print(f"{FIXTURE}: format {old_version} -> {version}, {len(new[2])} bytes of settings")


if __name__ == "__main__":
    sys.exit(main())
