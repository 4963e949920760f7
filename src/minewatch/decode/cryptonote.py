"""The CryptoNote (Monero, XMRig) pool protocol: login / job / submit / keepalived.

Spec: xmrig-proxy-docs STRATUM.md and STRATUM_EXT.md. Params are JSON objects, not lists. The
job object carries the share `target`: little-endian hex, 4 bytes (compact, diff ≈ 2^32/t32) or
8 bytes (diff = 2^64/t64), measurement.md §1.2. xmrig-proxy and NiceHash add `algo`, `height`,
`seed_hash` (RandomX) and an `extensions` list to the login result; the NiceHash CryptoNight
variant changes only nonce bytes, not the messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from minewatch.decode.jsonrpc import RpcMessage, encode_message
from minewatch.decode.stratum_v1 import Reply, Unknown, text
from minewatch.errors import DecodeError

_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True, slots=True)
class Job:
    """A unit of work; `session_id` is the job's "id" (the miner's session at the pool)."""

    blob: str
    job_id: str
    target: str
    algo: str | None = None
    height: int | None = None
    seed_hash: str | None = None
    session_id: str | None = None

    def to_json(self) -> dict:
        out = {"blob": self.blob, "job_id": self.job_id, "target": self.target}
        optional = {"algo": self.algo, "height": self.height, "seed_hash": self.seed_hash,
                    "id": self.session_id}
        out.update((k, v) for k, v in optional.items() if v is not None)
        return out


@dataclass(frozen=True, slots=True)
class Login:
    id: Any
    login: str
    password: str | None = None
    agent: str | None = None
    rigid: str | None = None
    algos: tuple[str, ...] = ()
    METHOD: ClassVar[str] = "login"

    @property
    def worker(self) -> str | None:
        """The rig name: `rigid`, else the password, which XMRig pools read as the worker
        name unless it is a placeholder such as "x"."""
        if self.rigid:
            return self.rigid
        placeholder = (self.password or "x").lower() in ("x", "pass", "password")
        return None if placeholder else self.password

    def params(self) -> dict:
        out: dict = {"login": self.login}
        optional = {"pass": self.password, "agent": self.agent, "rigid": self.rigid}
        out.update((k, v) for k, v in optional.items() if v is not None)
        if self.algos:
            out["algo"] = list(self.algos)
        return out


@dataclass(frozen=True, slots=True)
class LoginResult:
    """Reply to login: the session id, the first job, protocol extensions, status."""

    id: Any
    session_id: str | None = None
    job: Job | None = None
    extensions: tuple[str, ...] = ()
    status: str | None = None

    def result(self) -> dict:
        out: dict = {} if self.session_id is None else {"id": self.session_id}
        out["job"] = None if self.job is None else self.job.to_json()  # the key marks the shape
        if self.extensions:
            out["extensions"] = list(self.extensions)
        if self.status is not None:
            out["status"] = self.status
        return out


@dataclass(frozen=True, slots=True)
class JobNotify:
    """A new job pushed by the pool (usually without an id)."""

    job: Job
    id: Any = None
    METHOD: ClassVar[str] = "job"

    def params(self) -> dict:
        return self.job.to_json()


@dataclass(frozen=True, slots=True)
class JobReply:
    """Reply to getjob: the job object itself as the result."""

    id: Any
    job: Job


@dataclass(frozen=True, slots=True)
class Submit:
    id: Any
    session_id: str | None
    job_id: str
    nonce: str
    result: str
    algo: str | None = None
    METHOD: ClassVar[str] = "submit"

    def params(self) -> dict:
        out = {"id": self.session_id, "job_id": self.job_id, "nonce": self.nonce,
               "result": self.result}
        if self.algo is not None:
            out["algo"] = self.algo
        return out


@dataclass(frozen=True, slots=True)
class Keepalived:
    id: Any
    session_id: str | None = None
    METHOD: ClassVar[str] = "keepalived"

    def params(self) -> dict:
        return {"id": self.session_id}


@dataclass(frozen=True, slots=True)
class GetJob:
    id: Any
    session_id: str | None = None
    METHOD: ClassVar[str] = "getjob"

    def params(self) -> dict:
        return {"id": self.session_id}


def _opt_str(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _obj(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise DecodeError(f"{what} is not an object")
    return value


def target_hex(value: Any) -> str:
    """A CryptoNote target: 2-64 hex digits, an even count (little-endian bytes)."""
    t = text(value, "target")
    if not t or len(t) > 64 or len(t) % 2 or not set(t) <= _HEX:
        raise DecodeError("target is not little-endian hex")
    return t


def parse_job(value: Any) -> Job:
    job = _obj(value, "job")
    height = job.get("height")
    height = height if isinstance(height, int) and not isinstance(height, bool) else None
    return Job(text(job.get("blob"), "blob"), text(job.get("job_id"), "job_id"),
               target_hex(job.get("target")), _opt_str(job, "algo"), height,
               _opt_str(job, "seed_hash"), _opt_str(job, "id"))


def _login(i, p):
    p = _obj(p, "login params")
    algos = p.get("algo") if isinstance(p.get("algo"), list) else []
    return Login(i, text(p.get("login"), "login"), _opt_str(p, "pass"), _opt_str(p, "agent"),
                 _opt_str(p, "rigid"), tuple(a for a in algos if isinstance(a, str)))


def _submit(i, p):
    p = _obj(p, "submit params")
    return Submit(i, _opt_str(p, "id"), text(p.get("job_id"), "job_id"),
                  text(p.get("nonce"), "nonce"), text(p.get("result"), "result"),
                  _opt_str(p, "algo"))


def _session(make):
    return lambda i, p: make(i, _opt_str(p, "id") if isinstance(p, dict) else None)


PARSERS = {
    Login.METHOD: _login,
    JobNotify.METHOD: lambda i, p: JobNotify(parse_job(p), i),
    Submit.METHOD: _submit,
    Keepalived.METHOD: _session(Keepalived),
    GetJob.METHOD: _session(GetJob),
}


def _reply(msg: RpcMessage):
    r = msg.result
    if isinstance(r, dict) and "job" in r:
        ext = r.get("extensions") if isinstance(r.get("extensions"), list) else []
        job = parse_job(r["job"]) if r["job"] is not None else None
        return LoginResult(msg.id, _opt_str(r, "id"), job,
                           tuple(e for e in ext if isinstance(e, str)), _opt_str(r, "status"))
    if isinstance(r, dict) and "blob" in r and "job_id" in r:
        return JobReply(msg.id, parse_job(r))
    return Reply(msg.id, msg.result, msg.error)


def recognise(msg: RpcMessage) -> str | None:
    """"cryptonote" for login/job/submit/keepalived/getjob with object params, or a reply
    carrying a job object; None otherwise."""
    if msg.method is not None:
        return "cryptonote" if msg.method in PARSERS and isinstance(msg.params, dict) else None
    r = msg.result
    job = r.get("job") if isinstance(r, dict) else None
    return "cryptonote" if isinstance(job, dict) and "blob" in job else None


def decode(msg: RpcMessage):
    """A typed record for one CryptoNote message; DecodeError when a known one is malformed."""
    if msg.method is None:
        return _reply(msg)
    parse = PARSERS.get(msg.method)
    return parse(msg.id, msg.params) if parse else Unknown(msg.id, msg.method, msg.params)


def accepted(reply: Reply) -> bool:
    """A submit reply that accepts the share: no error and status "OK" (or a bare true)."""
    r = reply.result
    return reply.error is None and (r is True or (isinstance(r, dict) and r.get("status") == "OK"))


def to_message(record) -> RpcMessage:
    if isinstance(record, LoginResult):
        return RpcMessage(id=record.id, result=record.result())
    if isinstance(record, JobReply):
        return RpcMessage(id=record.id, result=record.job.to_json())
    if isinstance(record, Reply):
        return RpcMessage(id=record.id, result=record.result, error=record.error)
    if isinstance(record, Unknown):
        return RpcMessage(id=record.id, method=record.method, params=record.params)
    return RpcMessage(id=record.id, method=record.METHOD, params=record.params(),
                      extra={"jsonrpc": "2.0"})


def encode(record) -> bytes:
    """Wire form of a record, newline-terminated (requests carry "jsonrpc": "2.0" as XMRig's)."""
    return encode_message(to_message(record))
