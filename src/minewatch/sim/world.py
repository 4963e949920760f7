"""The simulated province: cities, ISPs, real address blocks, owner organisations and hosts.

Address blocks are drawn from the ip2region database itself (the segments whose region is
one of the province's cities and one of the big ISPs), so geolocating a simulated address
gives back the city and ISP the simulator drew it from.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import numpy as np

from minewatch.enrich.geo import GeoDB

PROVINCE = "江苏省"
CITIES = ("南京市", "无锡市", "徐州市", "常州市", "苏州市", "南通市", "连云港市",
          "淮安市", "盐城市", "扬州市", "镇江市", "泰州市", "宿迁市")
ISPS = ("电信", "联通", "移动", "教育网")
# Relative population weight of each city (roughly the 2020 census, in millions).
CITY_WEIGHT = (9.3, 7.5, 9.1, 5.3, 12.7, 7.7, 4.6, 4.6, 6.7, 4.6, 3.2, 4.5, 5.0)

OWNER_TYPES = ("government", "education", "enterprise", "hospital", "idc",
               "internet_cafe", "residential")

# Universities and colleges by city (public facts), so register names read like the real thing.
UNIVERSITIES = {
    "南京市": ["南京大学", "东南大学", "南京航空航天大学", "南京理工大学", "河海大学", "南京师范大学",
             "南京农业大学", "中国药科大学", "南京邮电大学", "南京信息工程大学", "南京工业大学",
             "南京林业大学", "南京医科大学", "南京财经大学", "南京审计大学"],
    "无锡市": ["江南大学", "无锡职业技术学院", "无锡商业职业技术学院"],
    "徐州市": ["中国矿业大学", "江苏师范大学", "徐州医科大学", "徐州工程学院"],
    "常州市": ["常州大学", "河海大学常州校区", "江苏理工学院", "常州工学院"],
    "苏州市": ["苏州大学", "苏州科技大学", "西交利物浦大学", "常熟理工学院", "苏州职业大学"],
    "南通市": ["南通大学", "南通职业大学", "江苏工程职业技术学院"],
    "连云港市": ["江苏海洋大学", "连云港职业技术学院"],
    "淮安市": ["淮阴师范学院", "淮阴工学院", "江苏食品药品职业技术学院"],
    "盐城市": ["盐城师范学院", "盐城工学院"],
    "扬州市": ["扬州大学", "扬州市职业大学"],
    "镇江市": ["江苏大学", "江苏科技大学"],
    "泰州市": ["泰州学院", "泰州职业技术学院"],
    "宿迁市": ["宿迁学院", "宿迁职业技术学院"],
}
GOV_BODIES = ("人民政府办公室", "公安局", "税务局", "市场监督管理局", "财政局", "教育局",
              "自然资源和规划局", "人力资源和社会保障局", "住房和城乡建设局", "交通运输局",
              "生态环境局", "统计局", "中级人民法院", "人民检察院", "行政审批局", "大数据管理局")
HOSPITALS = ("第一人民医院", "第二人民医院", "中医院", "妇幼保健院", "疾病预防控制中心",
             "第三人民医院", "儿童医院", "肿瘤医院")
FIRM_WORDS = ("华信", "恒瑞", "金陵", "远景", "天合", "协鑫", "亨通", "永鼎", "润和", "苏宁",
              "徐工", "海澜", "阳光", "双良", "中天", "鱼跃", "常发", "通富", "林洋", "扬子")
FIRM_KINDS = ("科技有限公司", "电子有限公司", "机械制造有限公司", "化工股份有限公司",
              "物流有限公司", "信息技术有限公司", "纺织集团有限公司", "软件有限公司")
CAFE_WORDS = ("极速", "星际", "网鱼", "天天", "蓝海", "英雄", "巅峰", "电竞")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂"


@dataclass(slots=True)
class Org:
    name: str
    owner_type: str
    city: str
    isp: str
    contact: str
    blocks: list[tuple[int, int]] = field(default_factory=list)  # inclusive uint32 ranges


@dataclass(slots=True)
class Host:
    ip: str
    org: int  # index into World.orgs
    city: str
    isp: str
    owner_type: str


@dataclass(slots=True)
class World:
    orgs: list[Org]
    hosts: list[Host]


def _segments(geo: GeoDB) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """Province segments of at least a /24, keyed by (city, isp)."""
    seg = geo.segments(province=PROVINCE)
    out: dict[tuple[str, str], list[tuple[int, int]]] = {}
    cols = (seg[c].to_pylist() for c in ("start", "end", "city", "isp"))
    for s, e, city, isp in zip(*cols):
        if city in CITIES and isp in ISPS and int(e) - int(s) >= 255:
            out.setdefault((city, isp), []).append((int(s), int(e)))
    return out


def _contact(rng: np.random.Generator, org_no: int) -> str:
    name = rng.choice(list(SURNAMES)) + "".join(rng.choice(list(GIVEN), size=2))
    phone = "1" + str(rng.choice([39, 38, 37, 58, 88, 89])) + f"{rng.integers(0, 10**8):08d}"
    return f"{name} {phone} noc{org_no}@example.cn"


def _org_name(rng: np.random.Generator, kind: str, city: str, used: set[str]) -> str:
    short = city.removesuffix("市")
    for _ in range(50):
        if kind == "government":
            name = short + "市" + str(rng.choice(GOV_BODIES))
        elif kind == "education":
            pool = UNIVERSITIES[city] + [f"{short}市第{rng.integers(1, 40)}中学",
                                         f"{short}市实验小学", f"{short}开放大学"]
            name = str(rng.choice(pool))
        elif kind == "hospital":
            name = short + "市" + str(rng.choice(HOSPITALS))
        elif kind == "enterprise":
            name = f"{short}{rng.choice(FIRM_WORDS)}{rng.choice(FIRM_KINDS)}"
        elif kind == "idc":
            name = str(rng.choice([f"中国电信{short}互联网数据中心", f"{short}云计算中心",
                                   f"{short}{rng.choice(FIRM_WORDS)}云数据有限公司 IDC机房"]))
        elif kind == "internet_cafe":
            name = f"{short}市{rng.choice(CAFE_WORDS)}网咖{rng.integers(1, 99)}号店"
        else:
            raise ValueError(kind)
        if name not in used:
            used.add(name)
            return name
    return f"{name}（{len(used)}）"


# Share of organisations by type, and the ISP each type sits on.
ORG_MIX = (("government", 0.14), ("education", 0.16), ("enterprise", 0.40), ("hospital", 0.08),
           ("idc", 0.07), ("internet_cafe", 0.15))
TYPE_ISPS = {"education": ("教育网",), "government": ("电信", "联通"),
             "hospital": ("电信", "联通", "移动"), "enterprise": ("电信", "联通", "移动"),
             "idc": ("电信", "联通"), "internet_cafe": ("电信", "联通", "移动")}
# Fraction of hosts on residential broadband (the rest are in organisations).
RESIDENTIAL_SHARE = 0.55


class Allocator:
    """Hands out disjoint sub-blocks of the real segments, city and ISP preserved."""

    def __init__(self, segments: dict[tuple[str, str], list[tuple[int, int]]],
                 rng: np.random.Generator):
        self._free = {k: list(v) for k, v in segments.items()}
        for v in self._free.values():
            rng.shuffle(v)

    def has(self, city: str, isp: str) -> bool:
        return bool(self._free.get((city, isp)))

    def take(self, city: str, isp: str, size: int) -> tuple[int, int]:
        """A block of `size` addresses (a power of two, aligned) inside one segment."""
        blocks = self._free[(city, isp)]
        for i, (s, e) in enumerate(blocks):
            start = (s + size - 1) // size * size
            if start + size - 1 <= e:
                blocks[i] = (start + size, e)
                if start + size > e:
                    blocks.pop(i)
                return start, start + size - 1
        raise RuntimeError(f"address space for {city} {isp} exhausted")


def _pick_city(rng: np.random.Generator) -> str:
    w = np.asarray(CITY_WEIGHT) / sum(CITY_WEIGHT)
    return str(rng.choice(CITIES, p=w))


def _hosts_in(block: tuple[int, int], n: int, rng: np.random.Generator) -> list[str]:
    s, e = block
    picks = rng.choice(np.arange(s + 1, e), size=min(n, e - s - 1), replace=False)
    return [str(ipaddress.IPv4Address(int(p))) for p in picks]


def build_world(n_hosts: int, rng: np.random.Generator, geo: GeoDB) -> World:
    """Organisations with address blocks and `n_hosts` hosts spread over them."""
    alloc = Allocator(_segments(geo), rng)
    orgs: list[Org] = []
    hosts: list[Host] = []
    used: set[str] = set()
    n_org_hosts = int(n_hosts * (1 - RESIDENTIAL_SHARE))
    kinds = [k for k, _ in ORG_MIX]
    probs = np.asarray([p for _, p in ORG_MIX])
    while len(hosts) < n_org_hosts:
        kind = str(rng.choice(kinds, p=probs / probs.sum()))
        city = _pick_city(rng)
        n = int(min(120, max(2, rng.geometric(1 / 12))))
        size = max(16, 1 << (2 * n + 2).bit_length())  # room to grow, as real blocks have
        placed = _place(alloc, city, TYPE_ISPS[kind], size, rng)
        if placed is None:
            continue  # this city's blocks of that ISP are used up: draw again
        isp, block = placed
        org = Org(_org_name(rng, kind, city, used), kind, city, isp,
                  _contact(rng, len(orgs)), [block])
        hosts += [Host(ip, len(orgs), city, isp, kind) for ip in _hosts_in(block, n, rng)]
        orgs.append(org)
    _add_residential(n_hosts - len(hosts), rng, alloc, orgs, hosts)
    return World(orgs, hosts)


def _place(alloc: Allocator, city: str, isps: tuple[str, ...], size: int,
           rng: np.random.Generator) -> tuple[str, tuple[int, int]] | None:
    for isp in rng.permutation(list(isps)):
        if alloc.has(city, str(isp)):
            try:
                return str(isp), alloc.take(city, str(isp), size)
            except RuntimeError:
                continue
    return None


def _add_residential(n: int, rng: np.random.Generator, alloc: Allocator,
                     orgs: list[Org], hosts: list[Host]) -> None:
    """Residential broadband: one register row set per city and ISP, hosts in big pools."""
    wanted: dict[tuple[str, str], int] = {}
    for _ in range(max(n, 0)):
        city = _pick_city(rng)
        isp = str(rng.choice(("电信", "联通", "移动"), p=(0.5, 0.2, 0.3)))
        key = (city, isp if alloc.has(city, isp) else "电信")
        wanted[key] = wanted.get(key, 0) + 1
    for (city, isp), count in sorted(wanted.items()):
        org = Org(f"中国{isp}{city.removesuffix('市')}分公司家庭宽带", "residential", city, isp,
                  _contact(rng, len(orgs)))
        while sum(e - s - 1 for s, e in org.blocks) < count * 2:
            org.blocks.append(alloc.take(city, isp, 4096))
        pool = np.concatenate([np.arange(s + 1, e) for s, e in org.blocks])
        for p in rng.choice(pool, size=count, replace=False):
            hosts.append(Host(str(ipaddress.IPv4Address(int(p))), len(orgs), city, isp,
                              "residential"))
        orgs.append(org)


def registry_rows(world: World) -> list[dict]:
    """The operator's register: one row per organisation block (CIDR text)."""
    rows = []
    for org in world.orgs:
        for s, e in org.blocks:
            for net in ipaddress.summarize_address_range(ipaddress.IPv4Address(s),
                                                         ipaddress.IPv4Address(e)):
                rows.append({"prefix": str(net), "organisation": org.name,
                             "owner_type": org.owner_type, "city": org.city,
                             "contact": org.contact})
    return rows
