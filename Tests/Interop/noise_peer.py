#!/usr/bin/env python3
"""A third-party peer for an ElohimOS node, written from Protocol/PROTOCOL.md alone with the
`noiseprotocol` library (PyPI) and `cryptography`: it completes a Noise_XX handshake, proves
an Ed25519 identity, and exchanges a Ping/Ack. Other modes send the bad input a node must
survive. Exit status 0 when the node behaved as the protocol says.

  noise_peer.py id SEED_HEX                 print the node ID of this identity
  noise_peer.py MODE HOST PORT SEED_HEX     MODE: handshake | garbage | truncated | oversized |
                                            replay | wrong-static | flood
"""
import hashlib, os, socket, struct, sys, time

from noise.connection import NoiseConnection, Keypair
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives import serialization

PROLOGUE = b"elohim/mesh/v1"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def raw(public_key):
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def node_id(ed_public: bytes) -> str:
    """PROTOCOL.md section 2: BLAKE2b-160 of the tag and key, Crockford base32, Luhn mod 32."""
    digest = hashlib.blake2b(b"elohim/node-id/v1" + ed_public, digest_size=20).digest()
    n = int.from_bytes(digest, "big")
    values = [(n >> (5 * (31 - i))) & 31 for i in range(32)]
    factor, total = 2, 0
    for v in reversed(values):
        addend = factor * v
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return "".join(ALPHABET[v] for v in values) + ALPHABET[(32 - total % 32) % 32]


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_bytes(number, data):
    return varint(number << 3 | 2) + varint(len(data)) + data


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def parse(message):
    """Minimal protobuf reader: {field number: value}."""
    fields, i = {}, 0
    while i < len(message):
        key, i = read_varint(message, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(message, i)
        elif wire == 2:
            length, i = read_varint(message, i)
            value, i = message[i:i + length], i + length
        else:
            raise ValueError("unexpected wire type %d" % wire)
        fields[number] = value
    return fields


def read_varint(data, i):
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def send_frame(sock, body):
    sock.sendall(struct.pack(">I", len(body)) + body)


def recv_frame(sock):
    header = recv_exact(sock, 4)
    return recv_exact(sock, struct.unpack(">I", header)[0])


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed by the node")
        data += chunk
    return data


class Identity:
    def __init__(self, seed_hex):
        seed = bytes.fromhex(seed_hex)
        self.ed = Ed25519PrivateKey.from_private_bytes(seed)
        self.ed_public = raw(self.ed.public_key())
        self.x_private = hashlib.blake2b(seed, digest_size=32, person=b"").digest()
        self.x_public = raw(X25519PrivateKey.from_private_bytes(self.x_private).public_key())

    def hello(self, static_public=None):
        signature = self.ed.sign(b"elohim/link/v1" + (static_public or self.x_public))
        return field_varint(1, 1) + field_bytes(2, self.ed_public) + field_bytes(3, signature) + field_varint(4, 0)


def handshake(sock, me, pattern=b"XX"):
    noise = NoiseConnection.from_name(b"Noise_XX_25519_ChaChaPoly_BLAKE2b")
    noise.set_as_initiator()
    noise.set_prologue(PROLOGUE)
    noise.set_keypair_from_private_bytes(Keypair.STATIC, me.x_private)
    noise.start_handshake()
    first = noise.write_message(b"")
    send_frame(sock, b"\x01" + first)
    reply = recv_frame(sock)
    hello = parse(bytes(noise.read_message(reply)))
    # The node's identity must be signed over the static key the handshake authenticated.
    static = bytes(noise.noise_protocol.handshake_state.rs.public_bytes)
    Ed25519PublicKey.from_public_bytes(hello[2]).verify(hello[3], b"elohim/link/v1" + static)
    send_frame(sock, noise.write_message(me.hello()))
    assert noise.handshake_finished
    return noise, hello, first


def envelope(kind, payload):
    return field_varint(1, 1) + field_varint(2, kind) + field_bytes(3, payload)


def mode_handshake(host, port, me):
    sock = socket.create_connection((host, port), timeout=10)
    noise, hello, _ = handshake(sock, me)
    print("node", node_id(hello[2]))
    ping = envelope(10, field_varint(1, 7))          # Ping {seq: 7}
    send_frame(sock, noise.encrypt(ping + b"\x00"))   # the fragment flag trails: 0 = last fragment
    deadline = time.time() + 10
    while time.time() < deadline:
        plain = bytes(noise.decrypt(recv_frame(sock)))
        assert plain[-1] in (0, 1), "fragment flag"
        message = parse(plain[:-1])
        if message.get(2) == 11 and parse(message.get(3, b"")).get(1) == 7:
            print("ack for ping 7")
            return 0
    print("no ack")
    return 1


def expect_closed(sock, what):
    """The node must close the link; it may not answer with anything we did not ask for."""
    sock.settimeout(10)
    try:
        while sock.recv(65536):
            pass
    except (ConnectionError, socket.timeout) as e:
        if isinstance(e, socket.timeout):
            print("link not closed after", what)
            return 1
    print("link closed after", what)
    return 0


def main(argv):
    if argv[1] == "id":
        print(node_id(Identity(argv[2]).ed_public))
        return 0
    mode, host, port, me = argv[1], argv[2], int(argv[3]), Identity(argv[4])
    if mode == "handshake":
        return mode_handshake(host, port, me)
    sock = socket.create_connection((host, port), timeout=10)
    if mode == "garbage":
        sock.sendall(os.urandom(4096))
        return expect_closed(sock, "random bytes")
    if mode == "truncated":
        sock.sendall(struct.pack(">I", 500) + b"\x01" + os.urandom(100))
        sock.shutdown(socket.SHUT_WR)
        return expect_closed(sock, "a truncated frame")
    if mode == "oversized":
        sock.sendall(struct.pack(">I", 70000) + os.urandom(1000))
        return expect_closed(sock, "an oversized frame")
    if mode == "replay":
        # A handshake's first message replayed on a second connection: the node answers, but
        # the replayer cannot finish (it lacks the ephemeral key), so the link must close.
        _, _, first = handshake(sock, me)
        again = socket.create_connection((host, port), timeout=10)
        send_frame(again, b"\x01" + first)
        recv_frame(again)
        send_frame(again, os.urandom(96))
        return expect_closed(again, "a replayed handshake message")
    if mode == "wrong-static":
        # A hello signed over a static key other than the one used in the handshake.
        noise = NoiseConnection.from_name(b"Noise_XX_25519_ChaChaPoly_BLAKE2b")
        noise.set_as_initiator()
        noise.set_prologue(PROLOGUE)
        noise.set_keypair_from_private_bytes(Keypair.STATIC, me.x_private)
        noise.start_handshake()
        send_frame(sock, b"\x01" + noise.write_message(b""))
        noise.read_message(recv_frame(sock))
        send_frame(sock, noise.write_message(me.hello(static_public=os.urandom(32))))
        return expect_closed(sock, "a hello signed over the wrong static key")
    if mode == "flood":
        for _ in range(200):
            s = socket.create_connection((host, port), timeout=10)
            s.sendall(os.urandom(64))
            s.close()
        return 0
    print("unknown mode", mode)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
