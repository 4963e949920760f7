"""Owner type of an organisation from its name (Chinese or English), by ordered keyword rules.

The register's ``owner_type`` column may be empty; reports still need to say whether a mining IP
belongs to a government body, a school, a hospital, a data centre, an internet café, a home line
or a company, because the follow-up differs (§6 of docs/measurement.md).

Precedence, first match wins, and why:

1. **Internet café** words (网吧, 网咖, 网络会所, 上网服务, 电竞酒店/宾馆 in any wording,
   PC bang/PC방, ネットカフェ, LAN centre, gaming/e-sports café, wangka): a café is usually
   registered as a company ("某某网络会所有限公司"), and the café is what matters for the follow-up.
2. **Government, compound words** that contain another type's word: 教育局/教育厅 (not
   education), 卫生健康委员会/卫健委/卫生监督 (not hospital), 公安局, 人民法院, 党委, 街道办事处,
   委员会, 政务, 共青团, 工会 and the other mass organisations (妇联, 科协, 侨联...), People's
   Bank of China, 行政服务中心, a province's or city's 大数据(管理)中心 (not a data centre),
   Japanese ministries and agencies (総務省, 警察庁) and Korean ones (행정안전부, 경찰청)...
   A city's education bureau is a government office, not a school.
3. **Hospital** before education: "某某大学附属医院" is a hospital. Affiliated hospitals run their
   own networks under the health system, and a miner there touches medical systems; the
   university owns the name, not the network. 医科大学 / 医学院 stay education (no 医院).
   Health-care providers (疾控中心, 妇幼保健院, 卫生院, 社区卫生服务中心/社区健康服务中心,
   精神卫生中心, 门诊部, 诊所, 卫生所/室, 血液中心, 急救站, 体检中心, 眼科中心, 医学/医疗中心,
   防治中心/所/院, blood centre, Klinik, hôpital, 病院, 병원, NHS trusts) are hospital; health
   administration and enforcement (rule 2) are government.
4. **A school's company** ("南京大学出版社有限公司": 大学/学院/学校 ... 有限公司) is enterprise.
5. **Education**: 大学, 学院, 学校, 中学, 小学, 幼儿园, 职业技术/职业教育, CERNET/教育网, polytechnic,
   Universität/université/universidade/universiteit/universitet/uniwersytet/университет/
   högskola, 大學 and 대학 in their own scripts, and other countries' research networks
   (Internet2, GÉANT), and a 教师发展/培训 centre. Academies of sciences (科学院 contains 学院)
   count as education: research networks sit with CERNET/CSTNET.
6. **IDC / cloud** before enterprise: "某某云计算有限公司" is a data centre, so is 云 + a company
   form word (云信息, 云技术, 云股份). A bare 云 counts only after place names containing it
   (云南, 连云港, 云龙区, 白云区...) are masked. 智算/算力, 超算/超级计算/supercomputing and
   人工智能计算 centres (they sell compute from their machine rooms), an ISP's 信息园/数据基地/
   国际信息中心 (its data-centre campus), colo... and host... words count too.
   A small brand table (`_IDC_BRANDS`) names well-known operators whose names carry no generic
   word at all (帝联, 光环新网, Equinix, Akamai, OVH). Words ending in host(s) (DreamHost,
   Fasthosts) and "servers" are hosting words. The hyphenated netname / AS name of a cloud or
   content giant ("ALIBABA-CN-NET", "CNNIC-BAIDU-AP", "MICROSOFT-CORP-MSN-AS-BLOCK") names its
   data-centre servers and is idc; its legal name ("Alibaba Group Holding Limited") is not.
7. **Residential, strong**: 家庭宽带 and access-type markers (ADSL, FTTH, 拨号, 动态IP, 地址池,
   dynamic IP pool) before enterprise: an ISP's name with one of them is a home line, not the ISP
   ("中国电信股份有限公司南京分公司家庭宽带", "江苏省南京市 电信ADSL").
8. **Enterprise markers** (有限公司, 股份, 集团, 公司, 厂, 银行, 支行, 营业部, 证券, 信用社/联社,
   Co., Ltd, Inc, Incorporated, Limited but not "Limited Broadcast" (RFC 919), AG, A/S, AB, Oy,
   S.p.A., Pty, Holdings, Enterprise) before the weak words: "中国铁路上海局集团有限公司" and
   "中建八局" are companies despite 局, "长城宽带网络服务有限公司" is the ISP despite 宽带.
9. **Residential, medium** (宽带, 光纤, broadband users): "江苏省常州市 电信宽带".
10. **Research, weak** (研究院, 研究所, 实验室, institute/institut, research, recherche,
    Forschung): education unless a company word matched first ("华为技术有限公司南京研究所" is
    enterprise).
11. **Government, weak** single characters and words (局, 厅, 办公室, 政府, 部 but not 东部/西部,
    街道, 军区, 海关, 信息中心, 档案馆/图书馆/博物馆, 应急, ministry, administration, defense,
    Bundes-/Ministerium, informatics centre, revenue service, taxation, "City/State/County of"...)
    and public institutions and detention (不动产登记, 公共资源交易, 公积金, 社会保险, 边防检查,
    看守所, 戒毒所, 城市运行/城市大脑/数字治理/指挥中心, border inspection, exit-entry) after the
    company words, so "杭州城市大脑有限公司" stays a company.
12. **Enterprise, weak**: a bare ISP or utility name (电信, 联通, 移动, 有线, 电网, ChinaNet,
    CNCGROUP, China169, backbone, Unicom, …telecom/…telekom, Communications), and then any AS-name
    handle no rule placed ("COMCAST-7922", "ROSTELECOM-AS": a network operator is a company).
    "江苏省苏州市 联通" names the ISP, with no access type, so the ISP it is.
13. **Residential, weak** (小区, 居民, 公寓, 家园, 新村, 苑, a numbered block "望京西园三区",
    "莲花五村") and a bare 电竞 (café-like) last.

Confidence: the rule's own weight (0.95 for unambiguous compounds, down to 0.6 for weak words),
times 0.85 when rules of another type also matched (the name is genuinely mixed). Unmatched names
are ("unknown", 0.0).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

OWNER_TYPES = (
    "government",
    "education",
    "enterprise",
    "hospital",
    "idc",
    "internet_cafe",
    "residential",
    "unknown",
)
MIXED_NAME_FACTOR = 0.85


@dataclass(frozen=True, slots=True)
class OwnerRule:
    """Names matching `pattern` (regex on the NFKC, lower-cased name) are `owner_type`."""

    owner_type: str
    confidence: float
    pattern: re.Pattern[str]


def _rule(owner_type: str, confidence: float, zh: str, en: str = "") -> OwnerRule:
    """A rule from space-separated Chinese fragments and ';'-separated English words.

    English words get ASCII word boundaries written out, because next to Chinese characters
    (which are word characters too) ``\\b`` would not fire: '南京idc机房'.
    """
    words = [f"(?<![a-z0-9]){w}(?![a-z0-9])" for w in en.split(";") if w]
    return OwnerRule(owner_type, confidence, re.compile("|".join(zh.split() + words)))


# Place names with 云 that are not clouds (Yunnan, Lianyungang, Yunlong district, Baiyun...).
_CLOUDLESS_PLACES = re.compile(
    "云南|连云港|云龙|白云|云阳|云浮|云岩|云梦|云和|云县|云霄|密云|云城|彩云|青云谱|云台"
)

# Brand table: well-known cloud, IDC, CDN and hosting operators (the main Chinese IDC and CDN
# operators in public market reports, and the networks that dominate hosting/CDN AS lists), whose
# names carry no generic word: "帝联科技", "Equinix, Inc.", "AKAMAI-AS". Kept to operators whose
# main business is hosting; an ISP or a conglomerate (China Telecom, Alibaba Group) is not here.
_IDC_BRANDS = _rule(
    "idc", 0.9,
    "阿里云 腾讯云 华为云 天翼云 移动云 联通云 沃云 京东云 金山云 百度智能云 亚马逊云 微软云 谷歌云 "
    "火山引擎 优刻得 青云 七牛 又拍云 网宿 蓝汛 帝联 白山云 世纪互联 万国数据 秦淮数据 光环新网 "
    "数据港 首都在线 优帆 奥飞数据 润泽科技 中金数据 景安网络 西部数码 西维数码 中国万网 有孚网络 互联港湾 "
    "睿江 新网数码 三五互联 35互联 高升控股 德利迅达 铜牛信息 甲骨文云",
    r"ucloud;qingcloud;aliyun;azure;amazon (?:web|data) services;amazon-(?:0\d|aes);"
    r"digitalocean;linode;ovh(?:cloud)?;hetzner;vultr;choopa;leaseweb;contabo;scaleway;softlayer;"
    r"rackspace;equinix;digital realty;interxion;coresite;zenlayer;akamai;fastly;limelight;edgio;"
    r"stackpath;cdn77;bunny ?(?:way|cdn);chinacache;wangsu;21vianet;godaddy;m247;psychz;"
    r"quadranet;hivelocity;edgecast;cdnetworks;cachefly;g-?core(?: labs)?;zen-ecn;ionos;strato;"
    r"netcup;unifiedlayer;liquid ?web;phoenixnap;worldstream;selectel;kamatera;racknerd;"
    r"frantech;ponynet;sharktech;sakura internet;upcloud;aruba s\.?p\.?a\.?;host europe",
)

# A hyphenated handle (netname, AS name) of a cloud or content giant, not a legal name.
_CLOUD_GIANT_HANDLE = OwnerRule("idc", 0.85, re.compile(
    r"(?<![a-z0-9])(?:[a-z0-9]+-)*(?:alibaba|aliyun|tencent|baidu|microsoft|oracle|amazon|google|"
    r"huawei|hwclouds?|bytedance)(?![a-z0-9-]*fiber)(?:-[a-z0-9]+)+"))

# An AS-name handle ("COMCAST-7922", "ROSTELECOM-AS", "CHINA169-BACKBONE") that no other rule
# placed is a network operator's, and an operator is a company (an ISP's backbone is the ISP).
_AS_HANDLE = OwnerRule("enterprise", 0.6, re.compile(
    r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-(?:as(?:n|\d+)?|ap|\d{2,}|backbone|[a-z]+\d)"
    r"(?:-(?:\d+|[a-z]{2}))?(?=\s|$)"))

RULES: tuple[OwnerRule, ...] = (
    # 上网服务(营业场所) is the statutory name of a café licence: "某某互联网上网服务有限公司".
    _rule("internet_cafe", 0.95,
          "网吧 网咖 网络会所 电竞馆 电竞[^ ]{0,3}(?:酒店|宾馆) 电竞网 上网服务 "
          "pc\\s?방 피시방 ネットカフェ 漫画喫茶 マンガ喫茶",
          r"internet ?caf[eé];cyber ?caf[eé];net ?bar;e-?sports? (?:hotel|arena);pc ?bang;"
          r"lan (?:gaming )?cent(?:er|re);gaming cent(?:er|re);(?:e-?sports?|gaming) caf[eé];"
          r"wang ?(?:ka|ba)"),
    _rule("government", 0.95,
          "人民政府 教育局 教育厅 教育委员会 卫生健康委 卫健委 卫生健康局 卫生局 卫生监督 公安局 "
          "公安厅 公安分局 公安部 派出所 法院 检察院 税务局 税务总局 街道办事处 委员会 党委 纪委 "
          "中共 党校 人民银行 人大常委 政协 政务 行政服务中心 [省市县区]大数据(?:管理|发展)?中心 "
          "共青团 (?<!加)工会 妇女联合会 妇联 残疾人联合会 残联 归国华侨联合会 侨联 科学技术协会 科协 文学艺术界联合会 文联 工商业联合会 工商联 "
          # Japanese ministries (総務省) and agencies (警察庁); Korean ministries (행정안전부) and
          # agencies (경찰청), not a company's division (사업부, 본부).
          "(?:総務|法務|外務|財務|文部科学|厚生労働|農林水産|経済産業|国土交通|環境|防衛)省 庁 "
          "정부 [가-힣]{2,}(?<![본업])부$ [가-힣]+청$",
          r"ministry;bureau;government;police;court;procuratorate;commission;committee;"
          r"people'?s congress;people'?s bank of china"),
    _rule("hospital", 0.95,
          "医院 卫生院 卫生服务中心 卫生服务站 (?<!环境)卫生中心 疾病预防控制 疾控 妇幼保健 保健院 急救中心 "
          "血液中心 中心血站 卫生健康 门诊部 (?<!环境)卫生[所室] 病院 병원 健康服务中心 健康服务站 "
          "(?<!污染)防治(?:中心|院|所|站) 诊所 急救站 体检中心 眼科中心 医学中心 医疗中心",
          r"hospital;clinic;medical cent(?:er|re);cdc;disease control;health cent(?:er|re);"
          r"blood (?:cent(?:er|re)|bank|station);(?:ophthalmic|eye) cent(?:er|re);"
          r"[a-zäöü]*klinik(?:um)?;universit(?:ä|ae)tsmedizin;h[oô]pita(?:l|ux);ospedale;"
          r"krankenhaus;nhs (?:foundation )?trust"),
    # A company owned by a school (大学出版社有限公司, 大学科技园发展有限公司) is a company.
    _rule("enterprise", 0.85, "(?:大学|学院|学校).*有限(?:责任)?公司"),
    _rule("education", 0.95,
          "大学 学院 学校 中学 小学 幼儿园 职业技术 职业教育 教育中心 教育网 教育和科研 中国科技网 "
          "研究生院 大學 學院 學校 中學 小學 대학 과학기술원 教师发展 教师培训",
          r"university;college;school;academy;cernet2?;cstnet;institute of technology;kindergarten;"
          r"(?:education|research|science and technology) network;polytechnic;polytechnique;"
          r"politecnico;universit(?:é|à|ät|aet);universidad[ea]?;universiteit;universitet[a-z]*;"
          r"uniwersytet;univerzit[a-z]*;университет;[a-z]*h[oö]gskola[n]?;hogeschool;"
          r"[a-z]*hochschule;"
          # National research and education networks, the CERNET of other countries.
          r"internet2;g[eé]ant;surfnet;renater;aarnet;canarie;rediris;forschungsnetz[a-z]*"),
    # 智算/算力 (中心) are the AI-era name of data centres; colo... and host... words in English
    # (colocation, ColoCrossing, Hostinger) name colocation and hosting firms.
    _rule("idc", 0.9,
          "数据中心 云计算 云服务 云科技 云网络 云数据 云平台 云主机 云端 云信息 云技术 云股份 "
          "云存储 机房 主机托管 智算 算力 超级计算 超算 人工智能计算 信息园 数据基地 "
          "(?:电信|联通|移动).{0,12}国际信息(?:中心|港)",
          r"idc;cloud[a-z]*;hosting;data ?cent(?:er|re)s?;colo(?![rmngs])[a-z]*;supercomput[a-z]*;"
          r"host(?!el|ess|ile|age)[a-z]+;(?!localhost)[a-z]+(?<!g)hosts?;servers;cdn;vps"),
    # The netname / AS name of a cloud or content giant ("ALIBABA-CN-NET", "CNNIC-BAIDU-AP") names
    # its data-centre servers; its legal name ("Alibaba Group Holding Limited") stays a company.
    _CLOUD_GIANT_HANDLE,
    _IDC_BRANDS,
    # An access-type marker makes an ISP's name a home line: "江苏省南京市 电信ADSL".
    _rule("residential", 0.9,
          "家庭宽带 家庭用户 住宅宽带 居民宽带 个人宽带 个人用户 adsl ftth fttx 拨号 动态ip "
          "地址池 pppoe",
          r"residential;home broadband;household;adsl;v?dsl;ftt[hxb];dial-?up;pppoe;"
          r"dynamic (?:ip|pool|address)(?:es)?;(?:ip|address) pool"),
    _rule("enterprise", 0.85,
          "有限公司 有限责任公司 股份 集团 公司 厂 银行 商行 事务所 酒店 宾馆 商场 超市 书店 "
          "工作室 合作社 联社 信用社 邮局 书局 营业厅 营业部 支行 分行 证券",
          r"co\.;ltd;inc;corp;corporation;company;llc;gmbh;plc;bank;group;limited(?! broadcast);"
          r"holdings?;"
          r"ag;s\.?a\.?;b\.v\.;n\.v\.;se;securities;enterprises?;incorporated;a/s;asa;oyj?;ab;"
          r"s\.?p\.?a\.?;s\.?r\.?l\.?;sarl;pty;pte;k\.?k\.?;kg"),
    # Weaker access words once companies are out ("长城宽带网络服务有限公司" is the ISP).
    _rule("residential", 0.75, "宽带 光纤", r"broadband(?: users?| subscribers?)?"),
    # Research institutes and laboratories not named as part of a company are education
    # (中国林业科学研究院…研究所, 之江实验室); a company's institute matched enterprise above.
    _rule("education", 0.75, "研究院 研究所 研究中心 实验室",
          r"research institute;institute;institut;laborator(?:y|ies);research;recherche;"
          r"forschung[a-z]*"),
    # Weak single characters, with their common false friends excluded: 邮局/书局 (companies,
    # China Post's branches and bookshops: enterprise above), 局域网 (a LAN), 餐厅/营业厅/大厅
    # (halls), 俱乐部 (clubs), 内部网 (an intranet), 营业部 (a branch office).
    # 信息中心/电子政务 and public archives, libraries and museums are state institutions.
    _rule("government", 0.7,
          "(?<![邮书])局(?!域网) (?<![餐业大歌舞])厅 办公室 政府 (?<![乐内东西南北])(?<!营业)部 署 "
          "海关 "
          "监狱 管委会 消防 市委 省委 区委 县委 社区 村委 街道 军区 部队 解放军 武警 信息中心 "
          "档案馆 图书馆 博物馆 博物院 应急 不动产登记 公共资源交易 公积金 社会保险 边防检查 看守所 "
          "戒毒所 拘留所 城市运行 城市大脑 数字治理 指挥中心",
          r"department;municipal;customs;agency;gov;informatics cent(?:er|re);revenue service;"
          r"border (?:inspection|control|police);exit-entry;registration cent(?:er|re);"
          r"public resources? trading;"
          r"taxation;city of;state of;county of;administration;army;military;dod;defen[cs]e;"
          r"bundes[a-z]*;ministeri(?:um|o);minist[eè]re;gouvernement;gobierno;regierung"),
    # A bare ISP or utility name ("江苏省苏州市 联通", "国家电网", "China Unicom ... Network").
    _rule("enterprise", 0.65, "电信 联通 移动 铁通 网通 有线 广电 电网 电力 石化 石油",
          r"chinanet;[a-z]*tele(?:com|kom)[a-z]*;unicom;china mobile;tietong;cmnet;cncgroup;"
          r"china ?169;backbone;cable;electronics;"
          r"business;(?:tele)?communications"),
    _AS_HANDLE,
    # Compounds: 家园, 新村/新邨, 苑, and numbered blocks at the end ("望京西园三区").
    _rule("residential", 0.7,
          "小区 居民 公寓 住宅 花园 宿舍 家园 新村 新邨 苑 [一二三四五六七八九十0-9][区村]$"),
    _rule("internet_cafe", 0.6, "电竞"),
)


def normalise_name(name: str) -> str:
    """NFKC (full-width to half-width), lower case, single spaces; 云 place names masked."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = " ".join(text.split())
    return _CLOUDLESS_PLACES.sub("□", text)


def matching_rules(name: str) -> list[OwnerRule]:
    """Every rule matching `name`, in precedence order."""
    text = normalise_name(name)
    return [rule for rule in RULES if rule.pattern.search(text)]


def classify(name: str) -> tuple[str, float]:
    """(owner type, confidence in [0, 1]) for an organisation name; ('unknown', 0.0) if none."""
    rules = matching_rules(name)
    if not rules:
        return "unknown", 0.0
    best = rules[0]
    mixed = any(rule.owner_type != best.owner_type for rule in rules[1:])
    return best.owner_type, round(best.confidence * (MIXED_NAME_FACTOR if mixed else 1.0), 3)
