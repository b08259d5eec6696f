#!/usr/bin/env python3
"""Test vectors for the vault formats (Protocol/PROTOCOL.md section 11), made by a third
implementation: Python's hashlib, hmac and zlib and the `cryptography` package's AES-GCM, written
from the protocol text alone. The Swift tests (Tests/ServicesTests/VaultVectorTests.swift) and the
browser test (Tests/Browser) both check their code against the file this writes.

    python3 Tests/Interop/vault_vectors.py > Protocol/vectors/vault.json     # regenerate
    python3 Tests/Interop/vault_vectors.py --check Protocol/vectors/vault.json

Nonces and file IDs are fixed here so that sealing is reproducible; real writers draw them at random.
"""
import base64
import hashlib
import hmac
import json
import sys
import zlib

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PASSPHRASE = "correct horse battery staple"
TEAM = bytes(range(0x40, 0x60))  # 32 bytes
ROUNDS = 600_000


def keys(passphrase, team, rounds=ROUNDS):
    salt = hashlib.sha256(b"elohim/vault/v1/salt" + team).digest()
    master = hashlib.pbkdf2_hmac("sha256", passphrase.encode("utf-8"), salt, rounds, 32)
    chunk = hmac.new(master, b"elohim/vault/v1/chunk", hashlib.sha256).digest()
    entry = hmac.new(master, b"elohim/vault/v1/entry", hashlib.sha256).digest()
    return chunk, entry


def chunk_aad(fmt, file_id, index, last):
    return f"elohim/vault/v{fmt}".encode() + file_id + index.to_bytes(4, "big") + bytes([1 if last else 0])


def deflate_raw(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zstd_raw_frame(data):
    """A zstd frame holding `data` in one raw block (RFC 8878 3.1.1): magic, a frame header with
    Single_Segment_flag and a one-byte content size, then the last block, raw. Enough for a v1
    vector without a zstd library."""
    assert len(data) < 256
    header = (len(data) << 3) | 1  # Last_Block = 1, Block_Type = 0 (raw), Block_Size
    return bytes.fromhex("28b52ffd") + bytes([0x20, len(data)]) + header.to_bytes(3, "little") + data


def v1_text():
    """Words drawn with a fixed seed: text zstd compresses with Huffman literals and FSE sequences."""
    import random
    rng = random.Random(16)
    words = "the well at the north gate is dry pump seal valve clinic tank rains convoy leaves at dawn relevé secteur".split()
    return " ".join(rng.choice(words) for _ in range(900)).encode()


# v1_text() compressed by the reference zstd tool (1.5.4, `zstd -19 --no-check`), kept as made:
# another zstd version may compress differently, and the vectors must not change with it.
V1_TEXT_FRAME = bytes.fromhex(
    "28b52ffd608211451f00b2c81714d0e7500a6877c94e4a5adaad64a7dc0180050507fb744cf3939fcf666ecefdb3f9d9acab"
    "fb342c030e93cf2721cadc5b4a34a13e053e75bfd77d527aa08dfb740cea22b952404521d43db6b3cc01d852c0369c09496a"
    "b7ae5482800d131081f7a8816b528f4c6b2108c2601cb590520f210882136863441194246d07f6142091689846d6793d1947"
    "398f917341e5749452c8c45a0c37e8112c446a0a39027af878ee145c6b929a727bd870e2469c2c731dc080c2b3404d4931a1"
    "e106073b375472b9572236aa0dca66aa0c108e2e7e62286ff900eae6b67693379f4769583d223e3908524a301efc46f9f724"
    "9c4860b2598279b41128b66fdd003c6ef864199b09c09e3f348b6239a2f5deb6cde1d817ebe25d76884d22173879fb14e069"
    "4ac59ce1caf0ca7d73f2d622560c651cf42101f8b42e8085f69a0b068c137d1afb51700d103921b858d2375e190f66315572"
    "8cc08eeed15bf46a2e6b5211af61ef3599d38df20805239125b51f4e7828be83fac030814eabf68eb91bce2e44c29a295a9e"
    "d397c4b17cd58be6ec8333203dc6651e8259de39d3c9701dcb28b9043615ecb13a668707404fb16b40b9175fbb315e7203d7"
    "c1d0e1cd109f3683504458cce6b19dc0395e880aaed07e20a4cc80b860d9c35c85d8fd960dff4d269e1fb50edac0d6936681"
    "d8c2cca91dc4d874c5721405ca46448dbd5749cea871d0e775dd85d1593f3cd7292c75b8c5e2db19d8b38414662c7a2cb2fb"
    "f11448207d7d3d8409e5ee8a4858692f9bf18cf899f2c2b4b230826866f18919fec18ca0d7e449285c93a16199fcc61c06e2"
    "f82369e035bae8565b3f5b279684cc6311a966e5110ae5f1617d9f9b86d721709d7d74b2446ed1a3fe60517723e0f2b9b365"
    "da44f13c6672861ca76bf07dbbb6540bfc40d650dcc5d681c711f34a188fc00f39320989b2d8c764f01c68a6904f33dfc768"
    "b92981a835a33e96d4c8449f4e54e3dec58f0faabcfe322cdb696cd46eae1f15f2c79ff8f2d048b9a98e84822321eb158adc"
    "81467920170a278a89db397e2e6e9e3e503adee07aafab722528a455818513b463a955534381068477c080070e20fb42b3e9"
    "752ab281a029a8a8a12d97eec0f8033fcb452b215777d214af847835705ebac81455391c67035893618e82ba5aa387721eca"
    "da2956a41fb66d4993eda18931c23e061bee0261a465c510bb39813b9150dab70c0e90994104fcb095d96af99ed5fa9bc660"
    "f62884040dbe50450f04d363fee8a2ca1df2190f5c4a5f34610bd21acd2206e3b82d9bb089574eb0851e059c017b1d15522a"
    "56ab2c559c5f25c5d8b502e9b27c0cad0e1e0f82e90984164c4bca9d8a114530e9aa9e3964fff221c76f84f4f979841069ae"
    "a882a9d154145692833f"
)


def seal(key, nonce, inner, aad):
    return nonce + AESGCM(key).encrypt(nonce, inner, aad)


def make():
    chunk_key, entry_key = keys(PASSPHRASE, TEAM)
    file_id = bytes.fromhex("00112233445566778899aabbccddeeff")
    text = ("Relevé de terrain, secteur 7: the well at the north gate is dry; " * 6).encode("utf-8")
    noise = hashlib.sha256(b"incompressible").digest() * 3
    cases = [
        # (format, index, last, method, plaintext)
        (2, 0, False, 1, text),       # deflated
        (2, 1, True, 0, noise),       # stored: deflate would not shrink it
        (2, 0, True, 1, b""),        # an empty chunk deflated (writers never make one; readers open it)
        (1, 0, True, None, b"a chunk in format v1, zstd inside"),
        (1, 2, False, None, v1_text()),  # real zstd: Huffman literals, FSE-coded sequences
    ]
    chunks = []
    for n, (fmt, index, last, method, plain) in enumerate(cases):
        nonce = hashlib.sha256(b"nonce %d" % n).digest()[:12]
        if fmt == 2:
            inner = bytes([method]) + (deflate_raw(plain) if method == 1 else plain)
        elif plain == v1_text():
            inner = V1_TEXT_FRAME
        else:
            inner = zstd_raw_frame(plain)
        sealed = seal(chunk_key, nonce, inner, chunk_aad(fmt, file_id, index, last))
        chunks.append({
            "format": fmt, "file": file_id.hex(), "index": index, "last": last,
            **({"method": method} if method is not None else {}),
            "nonce": nonce.hex(), "plain": plain.hex(), "sealed": sealed.hex(),
            "address": hashlib.sha256(sealed).hexdigest(),
        })
    entries = []
    for n, (fmt, name, size, count) in enumerate([(2, "relevé de terrain.txt", 2 * 524288 - 3, 2), (1, "map.pdf", 12345, 1)]):
        body = {"chunks": count, "file": file_id.hex(), "name": name, "size": size}
        js = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        nonce = hashlib.sha256(b"entry nonce %d" % n).digest()[:12]
        sealed = seal(entry_key, nonce, js.encode("utf-8"), f"elohim/vault/v{fmt}/entry".encode())
        entries.append({"format": fmt, "nonce": nonce.hex(), "json": js, "sealed": base64.b64encode(sealed).decode()})
    # What must not open: each is a vector's sealed bytes with one thing changed.
    first = chunks[0]
    refusals = [
        {"why": "one bit flipped", "of": 0, "sealed": flip(first["sealed"])},
        {"why": "read as format v1", "of": 0, "format": 1},
        {"why": "another position", "of": 0, "index": 5},
        {"why": "claimed to be last (truncation)", "of": 0, "last": True},
        {"why": "another passphrase", "of": 0, "passphrase": "correct horse battery stapler"},
    ]
    return {
        "about": "Vault format vectors (PROTOCOL.md section 11), generated by Tests/Interop/vault_vectors.py "
                 "with Python's hashlib, hmac, zlib and the cryptography package (AES-GCM), independently of the "
                 "Swift and JavaScript code they check. Hex unless named base64.",
        "passphrase": PASSPHRASE, "team": TEAM.hex(), "rounds": ROUNDS,
        "chunkKey": chunk_key.hex(), "entryKey": entry_key.hex(),
        "chunks": chunks, "entries": entries, "refusals": refusals,
    }


def flip(hex_text):
    b = bytearray(bytes.fromhex(hex_text))
    b[len(b) // 2] ^= 1
    return b.hex()


def check_frame():
    """Where the zstd tool is installed, the kept frame must still open to the text."""
    import shutil
    import subprocess
    if shutil.which("zstd"):
        out = subprocess.run(["zstd", "-d", "-c"], input=V1_TEXT_FRAME, capture_output=True, check=True).stdout
        assert out == v1_text(), "the kept zstd frame does not open to v1_text()"


if __name__ == "__main__":
    check_frame()
    made = make()
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2]) as f:
            stored = json.load(f)
        if stored != made:
            sys.exit(f"{sys.argv[2]} differs from what this script makes")
        print(f"{sys.argv[2]}: the same")
    else:
        json.dump(made, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
