"""The packet kernels compiled before a capture is read, in a process of their own.

numba compiles a kernel the first time it is called (about a minute for all of them, after an
install or an edit: see `jit`), and the compiler's memory stays with the process that
compiled: `minewatch analyze` on a cold cache peaked at 1.05 GB where a warm one needs 0.56 GB.
So when the cache is cold, `compile_apart` runs `warm` in a child process, which reads two
tiny captures (classic pcap and pcapng) holding what reaches every kernel called from Python:
a pool session long enough to be handed to the compiled reader, a web page, a browser miner
and a connection that Python reads and passes by.
The child writes the cache; the reader then only loads from it. If the child fails, the
reader compiles for itself, as before: slower to start and larger, never wrong.

tests/ingest/test_warm.py holds `warm`'s signatures to those of reading real traffic.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np

from minewatch import jit

CHILD_TIMEOUT_S = 900.0  # a compile is ~1.5 min on two cores; past this something is wrong


def captures() -> list[bytes]:
    """A classic pcap and a pcapng of the same traffic (see the module's doc)."""
    from minewatch.decode.pcap import PcapngWriter, PcapWriter
    from minewatch.sim import background as bg
    from minewatch.sim.packets import frame

    rng = np.random.default_rng(1)
    pkts = _pool_session(rng, 100.0)
    pkts += bg.http_session("10.0.0.8", "198.51.100.5", "news.example.com", 101.0, rng)
    pkts += bg.browser_miner_visit("10.0.0.12", "198.51.100.9", "miner.example.net", 102.0, rng)
    pkts += _server_first(rng, 103.0)
    pkts.sort(key=lambda p: p.ts)
    out = []
    for writer_type in (PcapWriter, PcapngWriter):
        buf = io.BytesIO()
        writer = writer_type(buf)
        if writer_type is PcapngWriter:
            writer.add_interface(1)
        for p in pkts:
            writer.write(p.ts, frame(p))
        out.append(buf.getvalue())
    return out


def _pool_session(rng: np.random.Generator, t0: float) -> list:
    from minewatch.sim.packets import Conn, tcp_session

    login = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4.rig1"
    msgs = [(t0, True, b'{"id":1,"method":"mining.subscribe","params":["cgminer/4.10"]}\n'),
            (t0 + 0.1, False, b'{"id":1,"result":[[],"08000002",4],"error":null}\n'),
            (t0 + 0.2, True, b'{"id":2,"method":"mining.authorize","params":["%s","x"]}\n'
             % login.encode()),
            (t0 + 0.3, False, b'{"id":2,"result":true,"error":null}\n'),
            (t0 + 0.4, False, b'{"id":null,"method":"mining.set_difficulty","params":[512]}\n')]
    for k in range(12):
        notify = (f'{{"id":null,"method":"mining.notify","params":["j{k}","{"0" * 64}","01",'
                  f'"02",[],"20000000","1a2b3c4d","{k:08x}",true]}}\n')
        submit = (f'{{"id":{10 + k},"method":"mining.submit","params":["{login}","j{k}",'
                  f'"00000001","{k:08x}","abcd"]}}\n')
        msgs += [(t0 + 1 + 2 * k, False, notify.encode()), (t0 + 2 + 2 * k, True, submit.encode()),
                 (t0 + 2.1 + 2 * k, False, f'{{"id":{10 + k},"result":true,"error":null}}\n'
                  .encode())]
        if k == 6:  # a new difficulty, which the compiled reader interns for Python to read
            msgs.append((t0 + 2.2 + 2 * k, False,
                         b'{"id":null,"method":"mining.set_difficulty","params":[1024]}\n'))
    return tcp_session(Conn("10.0.0.5", 40001, "192.0.2.80", 3333), msgs, rng, True,
                       close_at=None)


def _server_first(rng: np.random.Generator, t0: float) -> list:
    """A server that speaks first, 64 bytes (the size of a Noise key, so the connection table
    routes it), which Python reads and then passes by."""
    from minewatch.sim.packets import Conn, tcp_session

    msgs = [(t0, False, rng.bytes(64)), (t0 + 0.1, True, b"QUIT\r\n")]
    return tcp_session(Conn("10.0.0.9", 40002, "198.51.100.6", 6000), msgs, rng, True,
                       close_at=None)


def warm() -> None:
    """Compile (or load) every packet kernel in this process."""
    from minewatch.flows.conntable import ConnTable
    from minewatch.ingest.capture import read_capture
    from minewatch.ingest.handoff import SteadyReader

    for data in captures():
        read_capture(io.BytesIO(data), "warm-up", "warm-up")
    SteadyReader("warm-up").warm()
    ConnTable.warm()  # (a capture with more connections than the table's first slots)


def compile_apart(env: dict = os.environ) -> bool:
    """When the cache is cold, compile the kernels in a child process (sharing this one's
    cache directory through env); whether the cache is warm now."""
    if not jit.cold(env):
        return True
    here = str(jit.PACKAGE.parent)  # the child imports this very package (a checkout on
    path = env.get("PYTHONPATH")    # sys.path, not the one installed) and so fills this cache
    env = dict(env, PYTHONPATH=here + os.pathsep + path if path else here)
    try:
        subprocess.run([sys.executable, "-m", "minewatch.ingest.warm"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=CHILD_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return False
    return not jit.cold(env)


def main() -> None:
    """The child's work: every kernel into the cache, then the mark that says so."""
    warm()
    jit.mark_warm()


if __name__ == "__main__":
    main()
