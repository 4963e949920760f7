"""`minewatch collect` (NetFlow/IPFIX over UDP) and `minewatch watch` (a directory of files).

Both run until SIGTERM or SIGINT, then finish what they hold (flush, rebuild) and exit 0.
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from minewatch.cli.common import EXIT_DATAERR, EXIT_USAGE, fail
import typer

REFRESH_S = 0.5  # how often the terminal display of counters is redrawn


def collect(
    listen: str = typer.Option(..., "--listen", help="HOST:PORT to receive NetFlow v5/v9 and "
                               "IPFIX datagrams on (UDP); port 0 picks a free one."),
    db: Path = typer.Option(..., "--db", help="DuckDB file to store flows in (created if missing)."),
    registry: Optional[Path] = typer.Option(None, "--registry", help="IP owner register (CSV), "
                                            "used when the derived tables are rebuilt on exit."),
    batch_seconds: float = typer.Option(5.0, "--batch-seconds", min=0.01,
                                        help="Store received flows in one batch every N seconds."),
) -> None:
    """Receive flow telemetry over UDP and store it in batches until SIGTERM/SIGINT, then flush,
    rebuild the derived tables once and print the counters."""
    from minewatch.errors import MinewatchError
    from minewatch.ingest.collector import CollectorConfig, FlowCollector, parse_listen

    _check_registry(registry)
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        fail(f"--listen: {exc}", EXIT_USAGE)
    collector = FlowCollector(CollectorConfig(db=db, host=host, port=port, registry=registry,
                                              batch_seconds=batch_seconds))
    try:
        collector.start()
    except OSError as exc:
        fail(f"cannot listen on {listen}: {exc.strerror or exc}", EXIT_USAGE)
    except MinewatchError as exc:
        fail(str(exc), EXIT_DATAERR)
    typer.echo(f"listening on {collector.url}, storing into {db}")
    sys.stdout.flush()
    with _until_signal() as stopping, _live_counters(lambda: collector.counters.line()) as draw:
        while not stopping.wait(REFRESH_S):
            draw()
    counters = collector.stop()
    typer.echo(counters.line())
    if collector.error:
        typer.secho(f"minewatch: {collector.error}", err=True, fg="red")


def watch(
    directory: Path = typer.Argument(..., help="Directory (and its subdirectories) to watch for "
                                     "pcap/pcapng, IPFIX files, "
                                     "nfcapd files, DNS logs and Zeek conn/ssl logs."),
    db: Path = typer.Option(..., "--db", help="DuckDB file to store results in (created if missing)."),
    registry: Optional[Path] = typer.Option(None, "--registry", help="IP owner register (CSV)."),
    interval: float = typer.Option(5.0, "--interval", min=0.0, help="Seconds between polls; a "
                                   "file is read once its size held still for one interval."),
    once: bool = typer.Option(False, "--once", help="One pass (two polls an interval apart), "
                              "then exit; 65 if a file could not be read."),
) -> None:
    """Ingest each file that appears in a directory once, when it stops growing; rebuild the
    derived tables after each round that stored something. Runs until SIGTERM/SIGINT."""
    from minewatch.cli.progress import progress_bar
    from minewatch.errors import MinewatchError
    from minewatch.ingest.collector import DirectoryWatch, WatchConfig

    _check_registry(registry)
    with progress_bar() as progress:
        watcher = DirectoryWatch(WatchConfig(directory, db, registry, interval), progress)
        try:
            watcher.start()
        except MinewatchError as exc:
            fail(str(exc), EXIT_DATAERR)
        with _until_signal() as stopping:
            try:
                watcher.run(stopping, once, _print_results)
            finally:
                counters = watcher.stop()
    typer.echo(counters.line())
    if once and any(r.status == "failed" for r in watcher.results):
        raise typer.Exit(EXIT_DATAERR)


def _print_results(results: list) -> None:
    for result in results:
        typer.echo(result.line(), err=result.status == "failed")


def _check_registry(registry: Optional[Path]) -> None:
    if registry is not None and not registry.is_file():
        fail(f"{registry}: no such register file", EXIT_USAGE)




@contextmanager
def _until_signal() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT (instead of dying or raising KeyboardInterrupt)."""
    stopping = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stopping.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stopping
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextmanager
def _live_counters(text) -> Iterator:
    """A redraw function showing text() on stderr while it is a terminal; else a no-op."""
    from rich.console import Console
    from rich.live import Live

    console = Console(file=sys.stderr)
    if not console.is_terminal:
        yield lambda: None
        return
    with Live(text(), console=console, transient=True, auto_refresh=False) as live:
        yield lambda: live.update(text(), refresh=True)
