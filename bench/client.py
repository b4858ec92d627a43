"""The async load generator, for machines without wrk: a process of its own, spec on stdin, JSON out.

Plain HTTP/1.1 over asyncio streams (no HTTP library in the loop, so the client
costs little per request): each connection sends a request, reads the whole
response (Content-Length or chunked), notes the time, and sends the next one
until the time is up.

    echo '{"port": 8000, "connections": 10, "seconds": 5, "headers": {}, "requests": [{"method": "GET",
           "path": "/health", "body": ""}]}' | python -m bench.client
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


def prepared(spec: dict) -> list[bytes]:
    messages = []
    for request in spec["requests"]:
        body = request["body"].encode()
        lines = [f"{request['method']} {request['path']} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in spec["headers"].items()]
        if body or request["method"] == "POST":
            lines.append(f"Content-Length: {len(body)}")
        messages.append(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return messages


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, keep-alive); the body is read and dropped."""
    status = int((await reader.readline()).split()[1])
    length, chunked, keep_alive = 0, False, True
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            keep_alive = False
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, keep_alive


async def connection(port: int, messages: list[bytes], offset: int, deadline: float, latencies: list[float],
                     errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = offset
    try:
        while time.perf_counter() < deadline:
            message = messages[index % len(messages)]
            index += 1
            started = time.perf_counter()
            writer.write(message)
            status, keep_alive = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status >= 400:
                errors[0] += 1
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000 if ordered else float("nan")


async def main(spec: dict) -> dict:
    messages = prepared(spec)
    latencies: list[float] = []
    errors = [0]
    started = time.perf_counter()
    deadline = started + spec["seconds"]
    await asyncio.gather(*[connection(spec["port"], messages, n * 7, deadline, latencies, errors)
                           for n in range(spec["connections"])])
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"requests": len(ordered), "seconds": seconds, "p50_ms": percentile(ordered, 0.5),
            "p95_ms": percentile(ordered, 0.95), "p99_ms": percentile(ordered, 0.99), "rps": len(ordered) / seconds,
            "errors": errors[0]}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.load(sys.stdin)))))
