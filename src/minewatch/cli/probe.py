"""`minewatch probe`: opt-in active check of suspected pool endpoints (docs/probe.md)."""

from __future__ import annotations

import re
import sys
from enum import Enum

from minewatch.cli.common import EXIT_DATAERR, EXIT_USAGE
import typer

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(min|m|s|sec|h|hour))?\s*$")
_PER_MINUTE = {None: 1.0, "min": 1.0, "m": 1.0, "s": 60.0, "sec": 60.0, "h": 1 / 60, "hour": 1 / 60}


class DialectName(str, Enum):
    auto = "auto"
    stratum_v1 = "stratum-v1"
    ethproxy = "ethproxy"
    cryptonote = "cryptonote"


def parse_rate(text: str) -> float:
    """Probes per minute of "N/min" (also "N/s", "N/h", or a bare N per minute)."""
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not N/min")
    return float(match.group(1)) * _PER_MINUTE[match.group(2)]


def probe(
    endpoints: list[str] = typer.Argument(..., help="HOST:PORT of each suspected pool ([v6]:PORT "
                                          "and stratum+tcp:// or stratum+ssl:// URLs too)."),
    dialect: DialectName = typer.Option(DialectName.auto, "--dialect", help="auto tries "
                                        "stratum-v1, ethproxy, cryptonote in turn."),
    timeout: float = typer.Option(5.0, "--timeout", help="Seconds for one endpoint's whole "
                                  "probe: connect, TLS and every dialect tried."),
    tls: bool = typer.Option(False, "--tls", help="Speak TLS (certificates not checked; SNI is "
                             "the host)."),
    rate_limit: str = typer.Option("20/min", "--rate-limit", help="At most N probes per minute "
                                   "(N/min, N/s; 0.1 to 6000 per minute)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 65 when an endpoint is unreachable."),
) -> None:
    """Opt-in active check of suspected pools: speak a miner's handshake with dummy credentials
    and print one JSON line per endpoint (verdict pool, not-a-pool or unreachable).

    Only probe endpoints that passive evidence already points at (docs/probe.md)."""
    from minewatch.detect.probe import ProbeConfig, Prober, parse_endpoint
    from minewatch.errors import UsageError

    try:
        config = ProbeConfig(dialect=dialect.value, timeout_s=timeout, tls=tls,
                             rate_per_min=parse_rate(rate_limit))
        for endpoint in endpoints:  # every endpoint checked before the first probe
            parse_endpoint(endpoint)
    except (UsageError, ValueError) as exc:
        typer.secho(f"minewatch: {exc}", err=True, fg="red")
        raise typer.Exit(EXIT_USAGE)
    prober = Prober(config)
    for endpoint in endpoints:
        typer.echo(prober.probe(endpoint).to_json())
        sys.stdout.flush()
    if strict and prober.counters["unreachable"]:
        raise typer.Exit(EXIT_DATAERR)
