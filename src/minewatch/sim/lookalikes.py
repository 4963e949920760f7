"""Long-lived, low-rate, periodic, encrypted background: what a behavioural miner model must not flag.

Mining looks like a long connection with small periodic messages both ways (jobs down, shares
up), often inside TLS. So do many ordinary things, and a real network is full of them:

| kind | transport | period | size | shares (residential / others) |
|---|---|---|---|---|
| mqtt-tls | TCP 8883, TLS | PINGREQ/PINGRESP every keepalive, 30-120 s | 2-byte pings, PUBLISH 40-127 B | 4 % / 2 % |
| mqtt | TCP 1883, plaintext MQTT 3.1.1 | the same | the same | 1.5 % / 1.5 % |
| websocket | TCP 443, TLS (chat, notifications) | ping/pong every 20-60 s, a message every ~90 s, bursts | frames 20-600 B | 3 % / 2.5 % |
| push | TCP 5223 (APNs), 5228 (FCM) or 443, TLS | heartbeat every 4-15 min | 20-200 B | 10 % / 4 % |
| openvpn | TCP 443, OpenVPN (no TLS record layer) | keepalive ping every 10-30 s | 40-80 B, some traffic | 0.8 % / 2.5 % |
| wireguard | UDP 51820 | persistent keepalive every 25 s | 32 B, some traffic | 1.5 % / 2 % |
| game | UDP 7000-9999 (mobile games), 2-10 min | 5-15 packets/s both ways | 60-200 B | 0.4 % / 0.1 % |
| video | TCP 443, TLS, 2-10 min | a segment every 2-6 s | 60-250 kB down, 300-700 B up | 0.4 % / 0.15 % |

Most keepalive connections were opened before the capture (no SYN, no ClientHello, no DNS in
view); a share (`OPEN_INSIDE_P`) opens inside it, with a DNS lookup and, for TLS, a ClientHello
naming the service. Server names are ordinary services' (none is in data/pools.csv) and the
servers are addresses of their own, disjoint from the pools' and the web sites'.

One schedule per connection feeds both outputs: packets (`packets`, the existing encoders and
`tcp_session`) for hosts in the probe's slice, flow records (`flows`, metered from the schedule
as arrays, with the exporter's idle and active timeouts) for all other hosts. Everything is
drawn from a stream of its own (`STREAM`), so every other draw of the province is unchanged.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from minewatch.decode.packet import ACK, FIN, PSH, SYN
from minewatch.decode.tls import encode_client_hello
from minewatch.sim.packets import IP_TCP_HEADERS, IP_UDP_HEADERS, MSS, Conn, SimPacket, tcp_session

STREAM = 11  # np.random.default_rng([seed, STREAM])
RTT = 0.045  # tcp_session's default
OPEN_INSIDE_P = 0.35  # long-lived connections that open inside the capture


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    proto: int
    ports: tuple[int, ...]
    tls: bool
    names: tuple[str, ...]
    share_home: float
    share_org: float
    servers: int  # distinct server addresses for the kind


KINDS = (
    Kind("mqtt-tls", 6, (8883,), True,
         ("mqtt.example-iot.com", "a3k7odshaiu3d9-ats.iot.cn-north-1.amazonaws.com.cn",
          "iot-as-mqtt.cn-shanghai.aliyuncs.com", "mqtt.smartlife-example.cn"), 0.04, 0.02, 6),
    Kind("mqtt", 6, (1883,), False,
         ("broker.example-iot.com", "mqtt.home-sensors.example.net", "iot.tuya-example.cn"),
         0.015, 0.015, 4),
    Kind("websocket", 6, (443,), True,
         ("ws.chat-example.com", "realtime.notify-example.net", "im-ws.example-messenger.cn",
          "wss.dingtalk-example.com"), 0.03, 0.025, 6),
    Kind("push", 6, (5223, 5228, 443), True,
         ("courier.push.apple.com", "mtalk.google.com", "push.vivo-example.com.cn",
          "hmspush.example-huawei.com"), 0.10, 0.04, 6),
    Kind("openvpn", 6, (443,), False, ("vpn.example-corp.com", "gw.remote-example.net"),
         0.008, 0.025, 3),
    Kind("wireguard", 17, (51820,), False, ("wg.example-vpn.net", "tunnel.example-corp.com"),
         0.015, 0.02, 3),
    Kind("game", 17, (7000, 8011, 9999), False,
         ("gs.game-example.com", "battle.example-games.cn"), 0.004, 0.001, 4),
    Kind("video", 6, (443,), True,
         ("cdn.video-example.com", "vod.example-stream.cn", "live-edge.example-video.net"),
         0.004, 0.0015, 4),
)
KIND_BY_NAME = {k.name: k for k in KINDS}

# Event codes: what a message of the schedule is, so the packet path can write real bytes.
OPAQUE, CONNECT, CONNACK, PINGREQ, PINGRESP, PUBLISH, HELLO, SERVER_HELLO, FINISHED = range(9)


@dataclass(slots=True)
class LookConn:
    """One look-alike connection and its schedule (messages or datagrams, in time order)."""
    kind: str
    client: str
    cport: int
    server: str
    sport: int
    proto: int
    sni: str
    handshake: bool  # opened inside the capture: SYN and ClientHello in view
    close_at: float | None
    ts: np.ndarray  # float64
    up: np.ndarray  # bool
    size: np.ndarray  # int64: payload bytes (TCP message or UDP datagram)
    code: np.ndarray  # int64: event code


@dataclass(slots=True)
class Lookalikes:
    conns: list[LookConn]
    servers: dict[str, str]  # server address -> kind
    dns_rows: list[dict]
    dns_packets: list[list[SimPacket]]


def server_addresses(geo, taken: set[str], rng: np.random.Generator) -> dict[str, list[str]]:
    """Addresses outside the province for each kind's servers, none of them in `taken`."""
    from minewatch.sim.province import PROVINCE

    import pyarrow.compute as pc

    seg = geo.segments()
    starts, ends = seg["start"].to_numpy(), seg["end"].to_numpy()
    foreign = pc.and_(pc.not_equal(seg["province"], PROVINCE),
                      pc.invert(pc.is_in(seg["country"], value_set=pa.array(["0", ""]))))
    ok = np.flatnonzero(foreign.to_numpy(zero_copy_only=False) & (ends - starts >= 255))
    need = sum(k.servers for k in KINDS)
    ips: list[str] = []
    for i in rng.choice(ok, size=need + len(taken) + 8, replace=False):
        ip = str(ipaddress.IPv4Address(int(starts[i]) + int(rng.integers(1, 255))))
        if ip not in taken and ip not in ips:
            ips.append(ip)
    out, at = {}, 0
    for k in KINDS:
        out[k.name], at = ips[at:at + k.servers], at + k.servers
    return out


def draw(p, geo, seed: int) -> Lookalikes:
    """Every look-alike connection of the province `p` (a province.Plan), and its DNS lookups."""
    from minewatch.sim.province import dns_lookup

    rng = np.random.default_rng([seed, STREAM])
    taken = set(p.pool_ips.values()) | set(p.web_ips.values()) | set(p.resolvers)
    by_kind = server_addresses(geo, taken, rng)
    home = np.asarray([h.owner_type == "residential" for h in p.world.hosts])
    conns, dns_rows, dns_packets = [], [], []
    for k in KINDS:
        hit = rng.random(len(home)) < np.where(home, k.share_home, k.share_org)
        for i in np.flatnonzero(hit):
            ip = p.world.hosts[int(i)].ip
            srv_i = int(rng.integers(0, k.servers))
            name = k.names[srv_i % len(k.names)]
            c = connection(k, ip, by_kind[k.name][srv_i], name, p.t0, p.t1, rng)
            conns.append(c)
            if c.handshake:
                first = c.ts[0] - RTT - 0.002 if c.proto == 6 else c.ts[0]
                row, dpk = dns_lookup(ip, name, c.server, first - 0.3, p, rng)
                dns_rows.append(row)
                if dpk:
                    dns_packets.append(dpk)
    conns.sort(key=lambda c: (c.ts[0] if len(c.ts) else p.t0, c.client, c.cport))
    servers = {ip: name for name, ips in by_kind.items() for ip in ips}
    return Lookalikes(conns, servers, dns_rows, dns_packets)


# --- schedules --------------------------------------------------------------------------------

def connection(k: Kind, client: str, server: str, sni: str, t0: float, t1: float,
               rng: np.random.Generator) -> LookConn:
    """One connection of kind `k` with its schedule inside [t0, t1)."""
    port = k.ports[int(rng.integers(0, len(k.ports)))]
    if k.name in ("game", "video"):  # sessions: start and end inside the capture
        dur = float(rng.uniform(120, 600))
        start = float(rng.uniform(t0 + 5, max(t0 + 6, t1 - dur - 5)))
        inside, end = True, min(start + dur, t1 - 2)
    else:
        inside = bool(rng.random() < OPEN_INSIDE_P)
        start = float(rng.uniform(t0 + 5, t0 + 0.8 * (t1 - t0))) if inside else \
            t0 - float(rng.uniform(60, 86400))
        # a few keepalive connections end inside the capture (device off, network change)
        end = float(rng.uniform(start + 300, t1 + 3600)) if rng.random() < 0.15 else t1 + 3600
        end = t1 + 3600 if end >= t1 - 2 or end < t0 + 10 else end
    ev = _SCHEDULES[k.name](start, end, rng)
    ts, up, size, code = (np.asarray(x) for x in ev)
    if k.tls and inside:
        hello = len(_client_hello(sni))
        ts = np.concatenate([[start - 0.2, start - 0.15, start - 0.1], ts])
        up = np.concatenate([[True, False, True], up])
        size = np.concatenate([[hello, int(rng.integers(2800, 4200)) + 5, 6 + 58], size])
        code = np.concatenate([[HELLO, SERVER_HELLO, FINISHED], code])
    if k.tls:  # every application message becomes one TLS record: 5 header + 16 tag + 1 type
        size = np.where(code < HELLO, size + 22, size)
    keep = (ts >= t0) & (ts < min(end, t1 - 0.1))
    ts, up, size, code = ts[keep], up[keep].astype(bool), size[keep].astype(np.int64), code[keep]
    order = np.argsort(ts, kind="stable")
    close_at = end if end < t1 - 1 else None
    return LookConn(k.name, client, int(rng.integers(32768, 61000)), server, port, k.proto,
                    sni if k.tls else "", inside, close_at, ts[order], up[order], size[order],
                    code[order].astype(np.int64))


@lru_cache(maxsize=64)
def _client_hello(sni: str) -> bytes:
    return encode_client_hello(sni)


def _ticks(start: float, end: float, lo: float, hi: float, rng) -> np.ndarray:
    """Times from `start` to `end` spaced by a fixed period in [lo, hi) with a little jitter."""
    period = float(rng.uniform(lo, hi))
    n = max(0, int((end - start) / period))
    return start + period * np.arange(1, n + 1) + rng.normal(0, 0.02 * period, n).clip(-period / 4, period / 4)


def _pairs(t: np.ndarray, up_first: bool, s1, s2, c1: int, c2: int, gap: float):
    """Request/answer pairs at times `t`: (ts, up, size, code) arrays."""
    n = len(t)
    ts = np.column_stack([t, t + gap]).ravel()
    up = np.tile([up_first, not up_first], n)
    size = np.column_stack([np.broadcast_to(s1, n), np.broadcast_to(s2, n)]).ravel()
    code = np.tile([c1, c2], n)
    return ts, up, size, code


def _cat(*parts):
    return tuple(np.concatenate([np.asarray(p[i]) for p in parts]) for i in range(4))


def _mqtt(start, end, rng):
    keep = int(rng.choice([30, 45, 60, 90, 120]))  # keepalive (s): a PINGREQ when idle that long
    ping = _pairs(_ticks(start, end, keep, keep * 1.001, rng), True, 2, 2, PINGREQ, PINGRESP, RTT)
    n_pub = int(rng.poisson((end - start) / 600))  # a sensor reading or a command now and then
    tp = np.sort(rng.uniform(start + 1, end, n_pub))
    pub_up = rng.random(n_pub) < 0.7
    pub = (tp, pub_up, rng.integers(40, 128, n_pub), np.full(n_pub, PUBLISH))
    opening = ([start, start + RTT], [True, False], [60, 4], [CONNECT, CONNACK])
    return _cat(opening, ping, pub)


def _websocket(start, end, rng):
    ping = _pairs(_ticks(start, end, 20, 60, rng), True, 6, 6, OPAQUE, OPAQUE, RTT)  # ping/pong
    n = int(rng.poisson((end - start) / 90))
    tm = np.sort(rng.uniform(start + 1, end, n))
    msg = (tm, rng.random(n) < 0.3, rng.integers(20, 600, n), np.zeros(n, np.int64))
    nb = int(rng.poisson((end - start) / 900))  # a busy chat: a burst of 5-30 frames
    bursts = []
    for tb in rng.uniform(start + 1, end, nb):
        m = int(rng.integers(5, 30))
        bursts.append((tb + np.cumsum(rng.exponential(0.4, m)), rng.random(m) < 0.4,
                       rng.integers(30, 1200, m), np.zeros(m, np.int64)))
    opening = ([start, start + RTT], [True, False], [420, 180], [OPAQUE, OPAQUE])  # HTTP upgrade
    return _cat(opening, ping, msg, *bursts)


def _push(start, end, rng):
    hb = _pairs(_ticks(start, end, 240, 900, rng), True, rng.integers(20, 60), rng.integers(20, 60),
                OPAQUE, OPAQUE, RTT)
    n = int(rng.poisson((end - start) / 1800))  # a notification
    tn = np.sort(rng.uniform(start + 1, end, n))
    note = _pairs(tn, False, rng.integers(80, 200, n), 30, OPAQUE, OPAQUE, 0.05)
    opening = ([start, start + RTT], [True, False], [180, 90], [OPAQUE, OPAQUE])
    return _cat(opening, hb, note)


def _openvpn(start, end, rng):
    every = float(rng.choice([10, 15, 20, 30]))  # --keepalive N 120: a ping each way every N s
    ping = _ticks(start, end, every, every * 1.001, rng)
    pings = _pairs(ping, True, 42, 42, OPAQUE, OPAQUE, RTT / 2 + 0.001)
    n = int(rng.poisson((end - start) / 120))
    tm = np.sort(rng.uniform(start + 1, end, n))
    data = _pairs(tm, True, rng.integers(60, 400, n), rng.integers(60, 1300, n), OPAQUE, OPAQUE, RTT)
    opening = ([start, start + RTT], [True, False], [56, 68], [CONNECT, CONNACK])  # HARD_RESETs
    return _cat(opening, pings, data)


def _wireguard(start, end, rng):
    ka = _ticks(start, end, 25, 25.001, rng)  # PersistentKeepalive = 25: an empty data message
    keep = (ka, np.ones(len(ka), bool), np.full(len(ka), 32), np.zeros(len(ka), np.int64))
    n = int(rng.poisson((end - start) / 150))
    tm = np.sort(rng.uniform(start + 1, end, n))
    data = _pairs(tm, True, rng.integers(80, 400, n), rng.integers(80, 1400, n), OPAQUE, OPAQUE, RTT)
    rekey = _ticks(start, end, 120, 120.01, rng)  # a handshake every 2 minutes: 148 B up, 92 B down
    hs = _pairs(rekey, True, 148, 92, OPAQUE, OPAQUE, RTT)
    return _cat(keep, data, hs)


def _game(start, end, rng):
    rate = float(rng.uniform(5, 15))  # packets per second each way
    n = int((end - start) * rate)
    tu = start + np.arange(n) / rate + rng.uniform(0, 0.2 / rate, n)
    td = start + 0.02 + np.arange(n) / rate + rng.uniform(0, 0.2 / rate, n)
    return _cat((tu, np.ones(n, bool), rng.integers(60, 140, n), np.zeros(n, np.int64)),
                (td, np.zeros(n, bool), rng.integers(80, 200, n), np.zeros(n, np.int64)))


def _video(start, end, rng):
    seg = float(rng.uniform(2, 6))  # seconds per segment
    t = start + np.arange(0, end - start, seg)
    n = len(t)
    kb = float(rng.uniform(60, 250))  # kB per segment: 0.1-1 Mbit/s
    return _pairs(t, True, rng.integers(300, 700, n), (kb * 1000 * rng.uniform(0.8, 1.2, n)).astype(np.int64),
                  OPAQUE, OPAQUE, 0.08)


_SCHEDULES = {"mqtt-tls": _mqtt, "mqtt": _mqtt, "websocket": _websocket, "push": _push,
              "openvpn": _openvpn, "wireguard": _wireguard, "game": _game, "video": _video}


# --- packets ----------------------------------------------------------------------------------

def packets(c: LookConn, rng: np.random.Generator) -> list[SimPacket]:
    """The connection as packets at the border (the existing encoders), sorted by time."""
    if c.proto == 17:
        out = []
        for ts, up, n in zip(c.ts.tolist(), c.up.tolist(), c.size.tolist()):
            pl = _udp_payload(c.kind, n, rng)
            out.append(SimPacket(ts, c.client, c.server, c.cport, c.sport, 17, 0, 0, 0, pl) if up else
                       SimPacket(ts, c.server, c.client, c.sport, c.cport, 17, 0, 0, 0, pl))
        return out
    msgs = [(ts, up, _tcp_payload(c, code, n, rng))
            for ts, up, n, code in zip(c.ts.tolist(), c.up.tolist(), c.size.tolist(), c.code.tolist())]
    return tcp_session(Conn(c.client, c.cport, c.server, c.sport), msgs, rng,
                       handshake=c.handshake, close_at=c.close_at)


def _tcp_payload(c: LookConn, code: int, n: int, rng) -> bytes:
    if code == HELLO:
        return _client_hello(c.sni)
    if c.kind in ("mqtt-tls", "websocket", "push", "video"):  # TLS records
        ctype = 22 if code == SERVER_HELLO else 20 if code == FINISHED else 23
        if code == FINISHED:
            return bytes([20, 3, 3, 0, 1, 1]) + bytes([23, 3, 3, 0, 53]) + rng.bytes(53)
        return _records(ctype, n, rng)
    if c.kind == "mqtt":
        return _mqtt_packet(code, n, rng)
    # OpenVPN over TCP: 2-byte length, opcode/key id, then the (encrypted) rest
    # P_CONTROL_HARD_RESET_CLIENT_V2, P_CONTROL_HARD_RESET_SERVER_V2, P_DATA_V2
    op = 0x38 if code == CONNECT else 0x40 if code == CONNACK else 0x48
    return (n - 2).to_bytes(2, "big") + bytes([op]) + rng.bytes(n - 3)


def _records(ctype: int, n: int, rng) -> bytes:
    """`n` bytes of TLS records of type `ctype`, none over the 16 kB plaintext limit."""
    out = []
    while n > 0:
        r = n if n <= 16406 else 16406 if n - 16406 >= 32 else n - 32
        out.append(bytes([ctype, 3, 3]) + (r - 5).to_bytes(2, "big") + rng.bytes(r - 5))
        n -= r
    return b"".join(out)


def _mqtt_packet(code: int, n: int, rng) -> bytes:
    """MQTT 3.1.1 control packets of exactly `n` bytes (CONNECT and PUBLISH: n < 130)."""
    if code == CONNECT:  # protocol MQTT level 4, clean session, keepalive 60, client id
        cid = (b"dev-" + rng.bytes(32).hex().encode())[:n - 14]
        body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(cid).to_bytes(2, "big") + cid
        return bytes([0x10, len(body)]) + body
    if code == CONNACK:
        return b"\x20\x02\x00\x00"
    if code == PINGREQ:
        return b"\xc0\x00"
    if code == PINGRESP:
        return b"\xd0\x00"
    topic = b"dev/" + rng.bytes(3).hex().encode() + b"/up"  # PUBLISH QoS 0
    value = b'{"v":' + b"1" * max(1, n - 4 - len(topic) - 6) + b"}"
    body = len(topic).to_bytes(2, "big") + topic + value
    return bytes([0x30, len(body)]) + body


def _udp_payload(kind: str, n: int, rng) -> bytes:
    if kind == "wireguard":
        typ = 1 if n == 148 else 2 if n == 92 else 4
        return bytes([typ, 0, 0, 0]) + rng.bytes(n - 4)
    return rng.bytes(n)


# --- flow records -----------------------------------------------------------------------------

def _directional_events(conns: list[LookConn]):
    """Every packet-carrying event per direction as arrays: flow id (2 per connection: up, down),
    ts, packets, bytes, flags. A TCP message of n bytes is ceil(n / MSS) packets at its time and
    one ACK back; handshake and close as tcp_session writes them."""
    fid, ts, pk, by, fl = [], [], [], [], []
    for i, c in enumerate(conns):
        up = c.up
        if c.proto == 17:
            fid.append(np.where(up, 2 * i, 2 * i + 1))
            ts.append(c.ts)
            pk.append(np.ones(len(up), np.int64))
            by.append(c.size + IP_UDP_HEADERS)
            fl.append(np.zeros(len(up), np.int64))
            continue
        k = -(-c.size // MSS)
        fid += [np.where(up, 2 * i, 2 * i + 1), np.where(up, 2 * i + 1, 2 * i)]
        ts += [c.ts, c.ts + np.where(up, RTT / 2, 0.0002)]
        pk += [k, np.ones(len(up), np.int64)]
        by += [c.size + IP_TCP_HEADERS * k, np.full(len(up), IP_TCP_HEADERS)]
        fl += [np.full(len(up), ACK | PSH), np.full(len(up), ACK)]
        extra = []
        if c.handshake and len(c.ts):
            t = float(c.ts[0]) - RTT - 0.002
            extra += [(2 * i, t, SYN), (2 * i + 1, t + RTT / 2, SYN | ACK), (2 * i, t + RTT, ACK)]
        if c.close_at is not None:
            t = c.close_at
            extra += [(2 * i, t, FIN | ACK), (2 * i + 1, t + RTT / 2, FIN | ACK), (2 * i, t + RTT, ACK)]
        if extra:
            e = np.asarray(extra)
            fid.append(e[:, 0].astype(np.int64))
            ts.append(e[:, 1])
            pk.append(np.ones(len(e), np.int64))
            by.append(np.full(len(e), IP_TCP_HEADERS))
            fl.append(e[:, 2].astype(np.int64))
    if not fid:
        z = np.zeros(0, np.int64)
        return z, np.zeros(0), z, z, z
    return tuple(np.concatenate(x) for x in (fid, ts, pk, by, fl))


def meter(fid, ts, pk, by, fl, idle: float, active: float):
    """The exporter's records of per-direction events, as FlowMeter cuts them: a record ends
    after `idle` s without a packet, or at the first packet `active` s or more after it began.
    Returns (record flow id, start, end, packets, bytes, flags) arrays."""
    order = np.lexsort((ts, fid))
    fid, ts, pk, by, fl = fid[order], ts[order], pk[order], by[order], fl[order]
    n = len(ts)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z, np.zeros(0), np.zeros(0), z, z, z
    new = np.ones(n, bool)
    new[1:] = (fid[1:] != fid[:-1]) | (ts[1:] - ts[:-1] > idle)
    idx = np.arange(n)
    while True:  # one pass per active-timeout slice of the longest record
        head = np.maximum.accumulate(np.where(new, idx, 0))
        over = (ts - ts[head] >= active) & ~new
        if not over.any():
            break
        # the first over-age packet of each record starts the next one
        first = over & ~np.r_[False, over[:-1] & (head[1:] == head[:-1])]
        new |= first
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], n] - 1
    flags = np.bitwise_or.reduceat(fl, starts)
    return (fid[starts], ts[starts], ts[ends], np.add.reduceat(pk, starts),
            np.add.reduceat(by, starts), flags)


def flows(conns: list[LookConn], idle: float = 60.0, active: float = 300.0) -> pa.Table:
    """Flow records of `conns` (flows schema), as the export meter would write them."""
    from minewatch.sim.telemetry import _table

    rid, start, end, packets_, nbytes, flags = meter(*_directional_events(conns), idle, active)
    i, down = rid // 2, (rid % 2).astype(bool)
    cli = np.asarray([c.client for c in conns], dtype=object)
    srv = np.asarray([c.server for c in conns], dtype=object)
    cport = np.asarray([c.cport for c in conns], np.int64)
    sport = np.asarray([c.sport for c in conns], np.int64)
    proto = np.asarray([c.proto for c in conns], np.int64)
    if len(i) == 0:
        cli = srv = np.zeros(0, object)
        cport = sport = proto = np.zeros(0, np.int64)
        i = np.zeros(0, np.int64)
    return _table(start, end, np.where(down, srv[i], cli[i]), np.where(down, sport[i], cport[i]),
                  np.where(down, cli[i], srv[i]), np.where(down, cport[i], sport[i]), proto[i],
                  packets_, nbytes, flags)


def counts(la: Lookalikes, slice_hosts: set[str], all_flows: pa.Table) -> dict[str, dict]:
    """truth.json's per-kind figures: connections, those in the packet slice, flow records."""
    import pyarrow.compute as pc

    out = {k.name: {"connections": 0, "in_packet_slice": 0, "flow_records": 0} for k in KINDS}
    for c in la.conns:
        out[c.kind]["connections"] += 1
        out[c.kind]["in_packet_slice"] += c.client in slice_hosts
    servers = pa.array(sorted(la.servers), pa.string())
    for col in ("src_ip", "dst_ip"):
        hit = all_flows.filter(pc.is_in(all_flows[col], value_set=servers))[col].to_pylist()
        for ip in hit:
            out[la.servers[ip]]["flow_records"] += 1
    return out
