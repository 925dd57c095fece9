#!/usr/bin/python3
"""A TCP relay that puts a round-trip time between a client and a server.

    latency_relay.py --listen ADDR:PORT --to ADDR:PORT --rtt-ms N

Every byte is held for half the round trip in each direction and then passed
on, while the relay keeps reading: bytes in flight overlap, as on a real
path with latency (this kernel has no netem). A server that sleeps before
each answer is not the same thing: it would serialize pipelined requests.
The TCP handshake with the client is the kernel's and is not delayed, so a
connection costs one round trip less than on a real path; the benchmark uses
one connection a run.

The relay ends TCP on both sides, so it must not add a stall of its own: its
sockets send at once (TCP_NODELAY) and the one to the server acknowledges at
once (TCP_QUICKACK after every read, as metaboot does). Without that, the
emulator's default of headers and body in two sends with Nagle on would wait
for the relay's delayed ACK, 40 ms a response, whatever the client does.

asyncio's timers wake up to a millisecond late (epoll's timeout is in whole
milliseconds), so each one-way delay is the asked one plus up to 1 ms.
"""
import argparse
import asyncio
import signal
import socket


def tune(writer):
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


async def pump(reader, writer, delay, quickack=None):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    delivering = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(65536)
            if quickack is not None:
                quickack.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                break
        await delivering
    except (ConnectionError, OSError):
        delivering.cancel()


async def relay(client_reader, client_writer, target, delay):
    try:
        server_reader, server_writer = await asyncio.open_connection(*target)
    except OSError:
        client_writer.close()
        return
    tune(client_writer)
    upstream = tune(server_writer)
    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    await asyncio.gather(pump(client_reader, server_writer, delay), pump(server_reader, client_writer, delay, quickack=upstream),
                         return_exceptions=True)
    for w in (client_writer, server_writer):
        w.close()


def address(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True, type=address)
    parser.add_argument("--to", required=True, type=address)
    parser.add_argument("--rtt-ms", type=float, required=True)
    args = parser.parse_args()
    delay = args.rtt_ms / 2000.0
    server = await asyncio.start_server(lambda r, w: relay(r, w, args.to, delay), *args.listen)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
