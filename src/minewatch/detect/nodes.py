"""A coin node's peer-to-peer connection, labelled `node` (labelled_connections) from the first
bytes it carries: a full node talks to its peers on 8333, 18080 and the like, mines nothing,
and is no miner (issue 3: P2P traffic is labelled, not counted).

The label's evidence is what the bytes say: the framing and its network (the magic, or a levin
handshake's network id), the first command, and for a Bitcoin-family `version` the node's
software, protocol and chain height. Ethereum's RLPx is encrypted from its first byte: its
handshake is known by its shape and by its ephemeral key, a point of secp256k1."""

from __future__ import annotations

import json

from minewatch.decode import p2p
from minewatch.errors import DecodeError, NeedMoreData

LABEL = "node"


def node_label(head: bytes) -> dict | None:
    """labelled_connections fields (label, methods, agent, evidence) for a connection whose
    first bytes are `head`, when they open a coin node's P2P message (p2p.opens); else None."""
    if not p2p.opens(head):
        return None
    if head[:4] in p2p.NETWORKS:
        return _bitcoin(head)
    if head[:8] == p2p.LEVIN_BYTES:
        return _levin(head)
    return _rlpx(head)


def _bitcoin(head: bytes) -> dict:
    magic, command = head[:4], p2p.command_name(head[4:16])
    facts = [f"Bitcoin-family P2P message '{command}', network magic {magic.hex()} "
             f"({p2p.NETWORKS[magic]})"]
    agent = None
    if command == "version":
        try:
            v = p2p.parse_version(p2p.parse_message(head)[1])
        except (DecodeError, NeedMoreData):
            v = None
        if v is not None:
            agent = v.user_agent or None
            height = "" if v.start_height is None else f", chain height {v.start_height:,}"
            facts.append(f"version: protocol {v.protocol}, agent {v.user_agent or '(none)'}"
                         + height)
    return _row(command, agent, facts)


def _levin(head: bytes) -> dict:
    h = p2p.parse_levin(head)
    command = p2p.LEVIN_COMMANDS.get(h.command, str(h.command))
    facts = [f"levin message (CryptoNote P2P), command {h.command} ({command})"]
    network = p2p.network_id(head[p2p.LEVIN.size:]) if h.command == 1001 else None
    if network is not None:
        name = p2p.NETWORK_IDS.get(network, "a CryptoNote network")
        facts.append(f"handshake network id {network.hex()} ({name})")
    return _row(command, None, facts)


def _rlpx(head: bytes) -> dict | None:
    """An RLPx handshake message, only when its ECIES key is a curve point: random bytes that
    open like one (a size, then 0x04) are not a node's."""
    key = p2p.rlpx_key(head)
    if key is None:
        return None
    size = int.from_bytes(head[:2], "big")
    return _row("rlpx-handshake", None, [
        f"RLPx handshake (devp2p, Ethereum and its forks): size {size}, then an ECIES "
        f"ephemeral key on secp256k1 ({key[:4].hex()}...)"])


def _row(method: str, agent: str | None, facts: list[str]) -> dict:
    return {"label": LABEL, "methods": method, "agent": agent,
            "evidence": json.dumps(facts, ensure_ascii=False)}
