#!/usr/bin/env python3
"""A TCP relay for the pairing tests: sits between a joiner and an inviter and forwards
bytes, optionally altering one frame.

    relay.py LISTEN_PORT UPSTREAM_PORT [--flip-client-frame N]

Frames on a mesh link are a 4-byte big-endian length and a body (PROTOCOL.md section 9).
With --flip-client-frame N, the relay flips one bit in the body of the Nth frame the client
(joiner) sends: N=3 is the first message after the Noise XX handshake, the pairing request.
Prints "listening" once ready; serves until killed or until its stdin closes (so a test
process that dies takes its relays with it instead of leaving them holding its pipes).
"""
import argparse
import asyncio
import os
import sys


async def pipe(reader, writer, flip_frame):
    count = 0
    try:
        while True:
            header = await reader.readexactly(4)
            length = int.from_bytes(header, "big")
            body = bytearray(await reader.readexactly(length))
            count += 1
            if flip_frame and count == flip_frame and body:
                body[len(body) // 2] ^= 0x01
            writer.write(header + bytes(body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("listen", type=int)
    parser.add_argument("upstream", type=int)
    parser.add_argument("--flip-client-frame", type=int, default=0)
    args = parser.parse_args()

    async def serve(client_reader, client_writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", args.upstream)
        await asyncio.gather(pipe(client_reader, up_writer, args.flip_client_frame),
                             pipe(up_reader, client_writer, 0))

    server = await asyncio.start_server(serve, "127.0.0.1", args.listen)
    print("listening", flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.buffer.read)
    async with server:
        await asyncio.wait([asyncio.ensure_future(server.serve_forever()), stdin_closed],
                           return_when=asyncio.FIRST_COMPLETED)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    # The executor thread may still be blocked on stdin; leave without waiting for it.
    os._exit(0)
