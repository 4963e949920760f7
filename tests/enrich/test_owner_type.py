"""The owner-type rules on labelled lists of real organisation names.

tests/data/org_names.tsv was written together with the rules; tests/data/org_names_holdout.tsv
was labelled by hand before the rules were run on it (see its header); the rules were later fixed
after reading its misses. tests/data/org_names_holdout2.tsv is a second such list, labelled blind;
it scored 0.912 on first contact. tests/data/org_names_holdout3.tsv is a third, labelled blind
(whois netnames and AS names, county and township bodies, foreign names in their own scripts,
hosting operators); it scored 0.860 on first contact. tests/data/org_names_holdout4.tsv is a
fourth, labelled blind (what a provincial IP register holds: companies with misleading words,
管委会/村委会/不动产登记中心/看守所, clinics, 急救站, 体检中心, 超算中心, provincial IDC strings); it
scored 0.896 on first contact. tests/data/org_names_holdout5.tsv is a fifth, labelled before the
rules were run on it (but written after reading them, to probe what they lacked: bare brands and
acronyms of research institutes, carriers, companies and data-centre operators, university and ISP
netnames, traditional characters, short school and hospital names, foreign city and state
governments); it scored 0.374 on first contact. That figure measures the probe, not the register's
everyday mix: lists 2-4 (0.912, 0.860, 0.896) remain the honest estimate for that, and list 5 says
how far bare names fell below it. Its fixes came half by cause (0.374 -> 0.668 without the brand
tables) and half through brand tables that name many of its entries (-> 0.984), so it is a
regression guard now, not an unseen-data figure. tests/data/org_names_holdout6.tsv is a sixth,
written and labelled blind by someone who read neither the rules nor list 5, while list 5's fixes
were made by someone who never saw list 6 (the 53 names both chose were dropped from list 6): the
rules of commit e4ffae6 scored 0.954 on it on first contact (0.924 before list 5's fixes).
Lists 7 and 8 were then written blind at the same time, by two people who read neither the rules
nor each other's list: list 7, the everyday names of a Chinese register and the qqwry owner field
across all provinces, scored 0.989; list 8, whois and AS names and institutions worldwide in
their own languages, scored 0.742. The rules generalised on Chinese names and failed on foreign
ones without words of the language; list 8's fixes added those words. List 9, written blind
while they were made (56 % Chinese, 44 % foreign, like the names a Chinese province's miners
resolve to), then scored 0.890: about 0.96 on its Chinese names and 0.80 on its foreign ones,
most of the misses being brands with no type word. Lists 10 (70 % foreign, regions the others
had few of) and 11 (half Chinese) were then written blind at the same time; list 10 scored 0.830
and was fixed by cause; list 11, which those fixes never saw, then scored 0.895 (about 0.95 on
its Chinese names and 0.83 on its foreign ones). List 12, written last and blind (75 % Chinese,
the everyday mix a Chinese province's sweep attributes), scored 0.957: 0.989 on its Chinese
names and 0.859 on its foreign ones. After a brand inventory (carriers country by country, the
largest companies, hosting operators), list 13, half Chinese and half foreign and written blind
to all of it, scored 0.937: 0.986 on its Chinese names, 0.885 on its foreign ones. Those two
are the current honest estimates: about 0.96 for a Chinese province's everyday mix, about 0.94
for a half-foreign one.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from minewatch.enrich.owner_type import (FALLBACK_CONFIDENCE, OWNER_TYPES, classify,
                                         matching_rules, normalise_name, placed_type)

DATA = Path(__file__).resolve().parents[1] / "data"
LABELLED = DATA / "org_names.tsv"
HOLDOUT = DATA / "org_names_holdout.tsv"
HOLDOUT2 = DATA / "org_names_holdout2.tsv"
HOLDOUT3 = DATA / "org_names_holdout3.tsv"
HOLDOUT4 = DATA / "org_names_holdout4.tsv"
HOLDOUT5 = DATA / "org_names_holdout5.tsv"
HOLDOUT6 = DATA / "org_names_holdout6.tsv"
HOLDOUT7 = DATA / "org_names_holdout7.tsv"
HOLDOUT8 = DATA / "org_names_holdout8.tsv"
HOLDOUT9 = DATA / "org_names_holdout9.tsv"
HOLDOUT10 = DATA / "org_names_holdout10.tsv"
HOLDOUT11 = DATA / "org_names_holdout11.tsv"
HOLDOUT12 = DATA / "org_names_holdout12.tsv"
HOLDOUT13 = DATA / "org_names_holdout13.tsv"
HOLDOUT14 = DATA / "org_names_holdout14.tsv"
HOLDOUT15 = DATA / "org_names_holdout15.tsv"
HOLDOUT16 = DATA / "org_names_holdout16.tsv"
HOLDOUT17 = DATA / "org_names_holdout17.tsv"
HOLDOUT18 = DATA / "org_names_holdout18.tsv"
HOLDOUT19 = DATA / "org_names_holdout19.tsv"
HOLDOUT20 = DATA / "org_names_holdout20.tsv"
HOLDOUT21 = DATA / "org_names_holdout21.tsv"
HOLDOUT22 = DATA / "org_names_holdout22.tsv"
HOLDOUT23 = DATA / "org_names_holdout23.tsv"
ALL_BEFORE_7 = (LABELLED, HOLDOUT, HOLDOUT2, HOLDOUT3, HOLDOUT4, HOLDOUT5, HOLDOUT6)


def labelled_names(path: Path = LABELLED) -> list[tuple[str, str]]:
    """(name, type) pairs, skipping '#' comment lines."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, owner_type = line.split("\t")
            rows.append((name, owner_type))
    return rows


def test_labelled_list_is_large_and_well_formed():
    rows = labelled_names()
    assert len(rows) >= 150
    assert {t for _, t in rows} <= set(OWNER_TYPES)
    assert len({n for n, _ in rows}) == len(rows), "duplicate names"


def _accuracy(rows: list[tuple[str, str]], label: str) -> float:
    """Share of names classified as labelled; prints the misses."""
    misses = [(name, want, classify(name)[0]) for name, want in rows if classify(name)[0] != want]
    accuracy = 1 - len(misses) / len(rows)
    per_type = Counter(want for _, want, _ in misses)
    print(f"\n{label} accuracy: {accuracy:.3f} on {len(rows)} names; misses {dict(per_type)}")
    for name, want, got in misses:
        print(f"  miss: {name!r} labelled {want}, classified {got}")
    return accuracy


def test_accuracy_on_labelled_names():
    assert _accuracy(labelled_names(), "owner-type") >= 0.95


def test_holdout_list_is_large_new_and_covers_every_type():
    rows = labelled_names(HOLDOUT)
    assert len(rows) >= 300
    assert {t for _, t in rows} == set(OWNER_TYPES)
    assert len({n for n, _ in rows}) == len(rows), "duplicate names"
    seen = {n for n, _ in labelled_names()}
    assert not [n for n, _ in rows if n in seen], "hold-out names must be new"
    assert any(n.isascii() for n, _ in rows) and not all(n.isascii() for n, _ in rows)


def test_accuracy_on_holdout_names():
    assert _accuracy(labelled_names(HOLDOUT), "hold-out owner-type") >= 0.95


def _assert_new_list(path: Path, earlier: tuple[Path, ...], size: int, ascii_names: int) -> None:
    """A further hold-out: at least `size` names, none repeated or in an earlier list (after
    normalise_name), every type with at least 20 names, at least `ascii_names` ASCII ones."""
    rows = labelled_names(path)
    assert len(rows) >= size
    assert {t for _, t in rows} == set(OWNER_TYPES)
    assert len({normalise_name(n) for n, _ in rows}) == len(rows), "duplicate names"
    seen = {normalise_name(n) for p in earlier for n, _ in labelled_names(p)}
    assert not [n for n, _ in rows if normalise_name(n) in seen], "names must be new"
    per_type = Counter(t for _, t in rows)
    assert min(per_type.values()) >= 20, per_type
    ascii_rows = sum(n.isascii() for n, _ in rows)
    assert ascii_names <= ascii_rows < len(rows)


def test_second_holdout_list_is_large_new_and_covers_every_type():
    _assert_new_list(HOLDOUT2, (LABELLED, HOLDOUT), 400, 100)


def test_accuracy_on_second_holdout_names():
    """Blind, before any rule was changed for it: 0.912 (567/622; idc 48/80, internet café 22/25,
    residential 42/46). After fixing the causes of its misses (brand table, 上网服务, 防治中心,
    foreign university and government words...): 0.992, so this is a regression guard now."""
    assert _accuracy(labelled_names(HOLDOUT2), "second hold-out owner-type") >= 0.98


def test_third_holdout_list_is_large_new_and_covers_every_type():
    _assert_new_list(HOLDOUT3, (LABELLED, HOLDOUT, HOLDOUT2), 450, 100)


def test_accuracy_on_third_holdout_names():
    """Blind, before any rule was changed for it: 0.860 (522/607; government 109/118, education
    102/114, hospital 64/67, idc 40/78, internet café 25/30, residential 44/45, enterprise 108/125,
    unknown 30/30). After fixing the causes of its misses (netnames and AS names, words of other
    languages and scripts, 电竞宾馆, 卫生所, 行政服务中心, company forms, and 27 of them through new
    entries of the hosting brand table): 0.988, so this is a regression guard now."""
    assert _accuracy(labelled_names(HOLDOUT3), "third hold-out owner-type") >= 0.98


def test_fourth_holdout_list_is_large_new_and_covers_every_type():
    _assert_new_list(HOLDOUT4, (LABELLED, HOLDOUT, HOLDOUT2, HOLDOUT3), 450, 50)


def test_accuracy_on_fourth_holdout_names():
    """Blind, before any rule was changed for it: 0.896 (481/537; government 84/106, education
    85/87, hospital 57/70, idc 53/68, enterprise 96/97, internet café 38/40, residential 44/44,
    unknown 24/25). After fixing the causes of its misses (public institutions and detention
    words, 诊所/急救站/体检中心/眼科中心/医学中心, blood centres, supercomputing and AI computing
    centres, an ISP's 信息园/数据基地, gaming cafés, "Limited Broadcast", and one brand entry,
    优帆 for QingCloud): 0.998, so this is a regression guard now."""
    assert _accuracy(labelled_names(HOLDOUT4), "fourth hold-out owner-type") >= 0.98


def test_fifth_holdout_list_is_large_new_and_covers_every_type():
    _assert_new_list(HOLDOUT5, (LABELLED, HOLDOUT, HOLDOUT2, HOLDOUT3, HOLDOUT4), 500, 100)


def test_accuracy_on_fifth_holdout_names():
    """Blind, before any rule was changed for it: 0.374 (239/639; government 78/115, education
    27/104, enterprise 27/183, hospital 21/63, idc 20/72, internet café 14/32, residential 22/40,
    unknown 30/30); 371 of the 400 misses were "unknown" (bare brands and acronyms). After fixing
    the causes (traditional characters simplified, short school and hospital names, embassies,
    meteorological and hydrological stations, township offices, foreign city/state government
    words, research words of other languages, 家宽/xDSL/GPON/BRAS/cable modem, café names of older
    styles, shop and project departments and old bureau names of state companies as companies,
    industry words of company names, one-word …net handles): 0.668; with the brand tables of
    research organisations, NRENs, carriers, large companies, data-centre operators and agency
    acronyms: 0.984, so this is a regression guard now."""
    assert _accuracy(labelled_names(HOLDOUT5), "fifth hold-out owner-type") >= 0.98


def test_sixth_holdout_list_is_large_new_and_covers_every_type():
    earlier = (LABELLED, HOLDOUT, HOLDOUT2, HOLDOUT3, HOLDOUT4, HOLDOUT5)
    _assert_new_list(HOLDOUT6, earlier, 500, 100)


def test_accuracy_on_sixth_holdout_names():
    """Blind on both sides (its author read neither the rules nor list 5; list 5's fixes were
    made without it): 0.954 on first contact (564/591; government 83/88, education 76/76,
    hospital 105/106, idc 69/74, enterprise 94/107, internet café 54/56, residential 55/55,
    unknown 28/29), and 0.924 with the rules before list 5. After fixing the causes of its misses
    (Japanese and Korean company forms and industry words, central banks, 气象, 智能计算中心, NHS
    boards and health services, agenzia, handles with a region or two parts, address-space
    placeholders such as MCAST-NET, and brand entries for Sakura Internet, Timeweb, Beget, DTAG,
    BBTEC, two café chains and three consumer-goods companies): 0.998, a regression guard now."""
    assert _accuracy(labelled_names(HOLDOUT6), "sixth hold-out owner-type") >= 0.98


@pytest.mark.parametrize(
    "name, expected",
    [
        ("南京市教育局", "government"),
        ("XX云计算有限公司", "idc"),
        ("江苏省人民医院", "hospital"),
        ("南京大学医学院附属鼓楼医院", "hospital"),
        ("南京医科大学", "education"),
        ("江苏省卫生健康委员会", "government"),
        ("中国铁路上海局集团有限公司", "enterprise"),
        ("连云港市人民政府", "government"),
        ("云南白药集团股份有限公司", "enterprise"),
        ("中国电信股份有限公司南京分公司家庭宽带", "residential"),
        ("某某网络会所有限公司", "internet_cafe"),
        ("XX电竞俱乐部", "internet_cafe"),
        ("南京某某餐厅", "unknown"),
        ("江苏省南京市 电信ADSL", "residential"),
        ("江苏省苏州市 联通", "enterprise"),
        ("南京大学出版社有限公司", "enterprise"),
        ("华为技术有限公司南京研究所", "enterprise"),
        ("中国林业科学研究院林产化学工业研究所", "education"),
        ("江苏省卫生监督所", "government"),
        ("对方和您在同一内部网", "unknown"),
        ("ViaBTC mining pool", "enterprise"),  # no rule: a company by the fallback
        ("臺大醫院", "hospital"),
        ("中華電信", "enterprise"),
        ("北京四中", "education"),
        ("浙大一院", "hospital"),
        ("南京珠江路宏达电子经营部", "enterprise"),
        ("中铁十四局", "enterprise"),
        ("江苏省南京市 移动家宽", "residential"),
        ("湖北省武汉市 鹏博士宽带", "residential"),
        ("SK Broadband", "enterprise"),
        ("Tencent Cloud", "idc"),
        ("中国电信天翼云南京节点", "idc"),
        ("PKU-NET", "education"),
        ("Sohu", "enterprise"),
        ("网鱼", "internet_cafe"),
        ("网鱼信息科技集团有限公司", "enterprise"),
        ("南京市医疗保险管理中心", "government"),
        ("Department of Health", "government"),
        ("Anthem Health Insurance", "enterprise"),
        ("Private-Use Networks", "unknown"),
        ("Internet", "unknown"),
    ],
)
def test_precedence_decisions(name, expected):
    assert classify(name)[0] == expected


def test_confidence_is_lower_for_mixed_names():
    pure_type, pure = classify("南京大学")
    mixed_type, mixed = classify("腾讯云计算（北京）有限责任公司")
    assert (pure_type, mixed_type) == ("education", "idc")
    assert 0 < mixed < pure <= 1


def test_unknown_and_empty_names():
    assert classify("") == ("unknown", 0.0)
    assert classify("张三") == ("unknown", 0.0)
    assert classify(None) == ("unknown", 0.0)  # type: ignore[arg-type]


def test_english_words_need_word_boundaries():
    # 'co' inside a word is no company form (Cisco is a company by its 'Systems', a weaker word)
    assert classify("Cisco Systems") == ("enterprise", 0.65)
    assert not matching_rules("Frisco Bay") and not matching_rules("Disco Bar Monaco")
    assert classify("Acme Co") == ("enterprise", 0.85)  # ...but a trailing "Co" is one
    assert classify("南京IDC机房")[0] == "idc"


def test_full_width_text_is_normalised():
    assert normalise_name("ＡＢＣ　Ｃｏ．，Ｌｔｄ．") == "abc co.,ltd."
    assert classify("ＡＢＣ　Ｃｏ．，Ｌｔｄ．")[0] == "enterprise"


def test_matching_rules_are_in_precedence_order():
    kinds = [rule.owner_type for rule in matching_rules("南京大学附属医院有限公司")]
    # hospital first; then the school-company rule, education, the general company markers
    assert kinds[:4] == ["hospital", "enterprise", "education", "enterprise"]


def test_a_lan_is_not_a_government_bureau():
    assert classify("局域网")[0] == "unknown"
    assert classify("南京市公安局")[0] == "government"


def test_seventh_holdout_list_is_large_new_and_covers_every_type():
    _assert_new_list(HOLDOUT7, ALL_BEFORE_7, 450, 60)


def test_accuracy_on_seventh_holdout_names():
    """Blind (rules of b3966bb): 0.989 (899/909; government 241/245, enterprise 182/187,
    internet café 73/74, the rest all right). Fixed by cause (融媒体中心, English industry words
    such as dairy, brewery, cement, automobile, bus; "internet bar"): 1.000."""
    assert _accuracy(labelled_names(HOLDOUT7), "seventh hold-out owner-type") >= 0.98


def test_eighth_holdout_list_is_large_new_and_covers_every_type():
    _assert_new_list(HOLDOUT8, (*ALL_BEFORE_7, HOLDOUT7), 400, 250)


def test_accuracy_on_eighth_holdout_names():
    """Blind (rules of the seventh list's fixes): 0.742 (640/863; idc 43/84, enterprise 155/190,
    government 68/111, education 135/171, hospital 72/95, residential 62/83, internet café 44/65,
    unknown 61/64): the rules had no words for most languages other than Chinese and English.
    Fixed by cause, the words of each language as classes in the existing precedence: word
    boundaries over accented Latin and Cyrillic letters ("S.A." is no company inside "Saúde");
    ministries in every language as strong government words (the Ministry of Health is not a
    hospital), Russian government, federal services and Duma, houses of representatives,
    tribunals, central banks, 市役所/役場/内閣, 한국은행; city, regional, state, police and
    military words of other languages as weak government words (ayuntamiento, generalitat,
    mairie, région, regione, Amt/…amt, AöR, urząd, pemerintah, belediye, администрация, council,
    authority, navy, headquarters); hospital words (hospices, centre hospitalier, ospedaliero,
    policlinico, IRCCS, clínica, …spital, sykehus, UMC/medisch centrum, rumah sakit, hastane,
    bệnh viện, โรงพยาบาล, больница, ГБУЗ, cancer institutes, health networks, "… Healthcare Inc.",
    Medical Corporation); university words in any Latin-script language and inside compounds
    (Rijksuniversiteit, universitas, yliopisto, egyetem, politechnika, đại học, มหาวิทยาลัย),
    school words, "public schools", институт/академия, 연구원/연구소; access words (customers of
    cable/DSL/fibre/broadband, DOCSIS, DHCP, CGNAT, dynamic pools, BROADBAND AS names, abonnés,
    residencial, particuliers, Kabelkunden, 家庭用/向け, フレッツ, 가정용, 가입자, 초고속인터넷, ШПД,
    абоненты); café words (lan house, warnet, pisonet, cibercafé, locutorio, internet point,
    icafe, İnternet kafe, kafejka, quán net, интернет-кафе, компьютерный клуб, киберклуб); company
    forms (SAS, société, compagnie, S/A, a.s., s.r.o., spółka, ООО/ПАО/АО/ОАО, банк, and those of
    Hungarian, Turkish, Malay, Indonesian, Vietnamese and Thai names) and telecom and insurance
    words (teléfonos, ittisalat, Versicherung); hosting words (server words, a bare host, dedi…,
    …datacenter, サーバー, クラウド, 클라우드, 호스팅, облако, хостинг, ЦОД); content giants' bare AS
    names (FACEBOOK, BYTEDANCE, NETFLIX-ASN); TEST-NET-n as a placeholder. These causes alone
    give 0.926 (799/863). Then 62 names through brand, acronym and name entries (hosting
    operators such as Cologix, Selectel, xTom, Aeza; carriers such as BIGLOBE, PROXAD, LGDACOM;
    NRENs such as ACOnet, ULAKBIM, SANReN, REANNZ; STANFORD, HARVARD, UCB; NICNET; two health
    systems, Houston Methodist and Narayana Hrudayalaya): 0.998 (861/863; left:
    "BACOM", an AS name of unknown owner, and "Vivantes Netzwerk für Gesundheit GmbH", a hospital
    group whose name has no hospital word). A regression guard now, not an unseen-data figure.
    The fallback that calls an unplaced Latin-script name a company (session 6) costs this
    written list 17 names it labels unknown (people and places: "Maria Garcia", "Los Angeles")
    for one it gains: 0.979."""
    assert _accuracy(labelled_names(HOLDOUT8), "eighth hold-out owner-type") >= 0.975


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Ministério da Saúde", "government"),  # "S.A." is no company form inside "Saúde"
        ("Bundesministerium für Gesundheit", "government"),
        ("Universitätsklinikum Freiburg", "hospital"),
        ("Kantonsspital Aarau", "hospital"),
        ("Rijksuniversiteit Leiden", "education"),
        ("Boston Public Schools", "education"),
        ("HCA Healthcare, Inc.", "hospital"),
        ("ООО «Облачные технологии»", "idc"),
        ("ПАО «Северсталь»", "enterprise"),
        ("Центральный банк Российской Федерации", "government"),
        ("Cable customers, dynamic pool", "residential"),
        ("Warnet Yogyakarta", "internet_cafe"),
        ("TEST-NET-2", "unknown"),
    ],
)
def test_words_of_other_languages(name, expected):
    assert classify(name)[0] == expected


def test_words_inside_other_words_do_not_match():
    assert classify("Observer Research Foundation")[0] != "idc"  # 'server' inside observer
    assert classify("Shostakovich Hall")[0] != "idc"  # 'host' inside a word, but no brand
    assert classify("Onehostplanet")[0] == "idc"  # ...where a brand joins it to other words
    assert classify("Судоходная компания")[0] != "government"  # суд (court) only as a word
    assert classify("Gesamtschule Köln")[0] == "education"  # 'amt' inside gesamt is no office


def test_ninth_holdout_list_is_large_new_and_covers_every_type():
    _assert_new_list(HOLDOUT9, (*ALL_BEFORE_7, HOLDOUT7, HOLDOUT8), 600, 200)


def test_accuracy_on_ninth_holdout_names():
    """Blind on both sides (written while list 8's fixes were made, by someone who read neither
    the rules nor list 8; one of its lines was seen by accident, RIPE-NCC-HM-MNT): 0.807 with
    the rules before list 8's fixes and 0.890 after them (860/966; government 149/168,
    education 114/122, hospital 80/94, enterprise 207/233, idc 64/89, internet café 79/83,
    residential 132/142, unknown 35/35). Fixed by cause only, no brand entries (边境检查,
    入境事务, 兵团, 计算中心, 大数据产业园, 宽频, 家居用户, 轮胎 and …业 industry words,
    municipal corporation, United Nations, medical city, hospitalar, Polish, Finnish and
    Ukrainian health and café words, veri merkezi, …hoster, home fibre, Kabelmodem, two
    research networks): 0.920. What is left is brands with no type word (哔哩哔哩, Petrobras,
    Omantel, ConoHa, SERPRO). The brand inventory added after list 12 (carriers and ISPs country
    by country, the largest companies, hosting operators; never fitted to a list) took it to
    0.951."""
    assert _accuracy(labelled_names(HOLDOUT9), "ninth hold-out owner-type") >= 0.94


def test_tenth_holdout_list_is_large_new_and_covers_every_type():
    _assert_new_list(HOLDOUT10, (*ALL_BEFORE_7, HOLDOUT7, HOLDOUT8, HOLDOUT9), 600, 250)


def test_accuracy_on_tenth_holdout_names():
    """Blind (rules of f707d79): 0.830 (938/1130; government 150/194, education 169/189,
    hospital 102/130, enterprise 214/254, idc 48/98, residential 117/119, internet café 56/64,
    unknown 82/82). Fixed by cause only, no brand entries (South Asian city corporations, central
    banks of more languages, CERTs, presidencies and parliaments, agencies and departments in
    Romanian, Czech, Vietnamese, Malay and Turkish, Hungarian compounds, Indian school words,
    academies and academic networks, medical-science institutes, hospital groups and oncology,
    Berhad/JSC/LLP/d.o.o./Tbk company forms, banco and ngân hàng, accented Télécom, café words of
    eight more languages): 0.909. What is left is mostly hosting firms known by brand and a
    company form only ("Atman Sp. z o.o.", "Rackforest Zrt."). The brand inventory added after
    list 12 took it to 0.941."""
    assert _accuracy(labelled_names(HOLDOUT10), "tenth hold-out owner-type") >= 0.93


def test_eleventh_holdout_list_is_large_new_and_covers_every_type():
    _assert_new_list(HOLDOUT11, (*ALL_BEFORE_7, HOLDOUT7, HOLDOUT8, HOLDOUT9, HOLDOUT10), 600, 220)


def test_accuracy_on_eleventh_holdout_names():
    """Blind on both sides (written with list 10, whose fixes never saw it): 0.895 on first
    contact (1040/1162; government 124/138, education 112/115, hospital 202/226, enterprise
    191/211, idc 56/81, internet café 129/132, residential 186/217, unknown 40/42): about 0.95
    on its Chinese names and 0.83 on its foreign ones; 0.817 with the rules of 8402de2. Fixed
    by cause (理政, 警务, 临床中心, a community or compound at the end of a qqwry string, 大学路
    as a street, names that are a brand and 云, Japanese and Korean hosting words without Latin
    word boundaries, 光ユーザー/光世代, one-word …Health systems, health authorities, boards and
    trusts, UZ/UMC, Medicine, brands' "… Home" access products, a few more government, school,
    café and access words) and five Chinese hosting brands (美橙, 群英网络, 中资源, 恒创科技,
    新意网): 0.944; the brand inventory added after list 12: 0.960."""
    assert _accuracy(labelled_names(HOLDOUT11), "eleventh hold-out owner-type") >= 0.95


def test_twelfth_holdout_list_is_large_new_and_covers_every_type():
    earlier = (*ALL_BEFORE_7, HOLDOUT7, HOLDOUT8, HOLDOUT9, HOLDOUT10, HOLDOUT11)
    _assert_new_list(HOLDOUT12, earlier, 500, 100)


def test_accuracy_on_twelfth_holdout_names():
    """Blind (rules of 2bd4c55): 0.957 (931/973; government 150/152, education 154/156,
    hospital 139/140, enterprise 213/220, idc 70/97, internet café 76/78, residential 86/87,
    unknown 43/43); Chinese names 0.989, foreign 0.859. Fixed by cause (中专, 饭店, 信息港,
    city hall, metropolitan city, coffee net, fibre home) and with 25 hosting and CDN brands
    from abuse and hosting AS lists (Clouvider, combahton, IT7, STT GDC, 天下数据...): 0.992."""
    assert _accuracy(labelled_names(HOLDOUT12), "twelfth hold-out owner-type") >= 0.98


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Carriers, ISPs, large companies and hosting operators known by brand alone.
        ("Vodacom Tanzania", "enterprise"),
        ("Mobily", "enterprise"),
        ("Ucell", "enterprise"),
        ("CANTV", "enterprise"),
        ("TE Data", "enterprise"),
        ("Petrobras", "enterprise"),
        ("Johnson & Johnson", "enterprise"),
        ("Grupo Bimbo", "enterprise"),
        ("KingHost", "idc"),
        ("Register.it", "idc"),
        ("SUNeVision", "idc"),
        # Short or common-word brands only as the whole name, a handle or with a country.
        ("Smart-AS", "enterprise"),
        ("Digi Romania", "enterprise"),
        ("eir", "enterprise"),
        ("Zain Iraq", "enterprise"),
        ("Smart Technologies", "enterprise"),
        ("Sunrise Nursing Home", "hospital"),
        ("Personal Care Clinic", "hospital"),
        ("Play School", "education"),
        ("Free University", "education"),
        ("Prefeitura de Suzano", "government"),
    ],
)
def test_brands_of_carriers_companies_and_hosts(name, expected):
    assert classify(name)[0] == expected


@pytest.mark.parametrize("name", ["Globe Inn", "Sky Bar", "Atman Yoga", "Jean Dupont"])
def test_a_short_brand_word_alone_places_no_name(name):
    """Globe, Sky and Atman are carriers' brands only as the whole name or with a country; no
    rule places these, so the fallback makes them companies at its low confidence. (A person's
    name is one too: see owner_type.FALLBACK_CONFIDENCE for why no given-name list.)"""
    assert not matching_rules(name)
    assert classify(name) == ("enterprise", FALLBACK_CONFIDENCE)


@pytest.mark.parametrize("name", [
    "张三", "Private Customer", "Not Disclosed", "AS402602", "United States", "Hong Kong",
    "Frankfurt am Main, Germany", "YICHANG, Hubei Province, P.R.China.", "IANA-RESERVED",
    "Ivanov Vitaliy Sergeevich", "José da Silva", "Reserved for future use", "Internet"])
def test_what_is_no_organisation_stays_unknown(name):
    """Placeholders, AS numbers, countries and places, patronymic and particle names, and every
    unplaced name in another script are no guess for the fallback."""
    assert classify(name) == ("unknown", 0.0)


def test_public_sources_take_only_what_a_rule_placed():
    assert placed_type("Vistabeam") == "unknown" and classify("Vistabeam") == (
        "enterprise", FALLBACK_CONFIDENCE)
    assert placed_type("Cisco Systems") == "enterprise"


def test_a_common_word_brand_beside_a_trade_word_is_that_trade_not_the_carrier():
    # the hotel word (0.65), not the carrier Globe Telecom (a brand, 0.8)
    assert classify("Globe Hotel") == ("enterprise", 0.65)


def test_thirteenth_holdout_list_is_large_new_and_covers_every_type():
    earlier = (*ALL_BEFORE_7, HOLDOUT7, HOLDOUT8, HOLDOUT9, HOLDOUT10, HOLDOUT11, HOLDOUT12)
    _assert_new_list(HOLDOUT13, earlier, 600, 280)


def test_accuracy_on_thirteenth_holdout_names():
    """Blind (rules of 69ce0fe, after the brand inventory): 0.937 (1009/1077; government
    181/195, education 170/178, hospital 107/117, enterprise 252/279, idc 87/96, residential,
    internet café and unknown all right); Chinese names 0.986, foreign 0.885. Fixed by cause
    (高中, 热线, 预报中心, 急救指挥, 体检, towns, geological surveys and weather services,
    credit unions, building societies, savings and co-operative banks, …bank as one word,
    Norwegian and Dutch hospital words, local health districts, regional research networks and
    TAFE): 0.970."""
    assert _accuracy(labelled_names(HOLDOUT13), "thirteenth hold-out owner-type") >= 0.96


def test_fourteenth_holdout_list_is_large_new_and_covers_every_type():
    earlier = (*ALL_BEFORE_7, HOLDOUT7, HOLDOUT8, HOLDOUT9, HOLDOUT10, HOLDOUT11, HOLDOUT12,
               HOLDOUT13)
    _assert_new_list(HOLDOUT14, earlier, 800, 400)


def test_accuracy_on_fourteenth_holdout_names():
    """Blind (rules of b2bd484; 59 % foreign, from whois and AS names in their own scripts):
    0.906 (1164/1285; government 289/319, education 132/149, hospital 94/102, enterprise
    302/341, idc 118/143, residential 129/130, internet café 68/68, unknown 32/33); names in
    Chinese characters 0.984, the others 0.845. Most misses were whole languages with no
    words in the rules (Arabic and Persian ministries, municipalities, universities, hospitals,
    banks and companies; Thai banks, whose จำกัด never matched because NFKC splits its ำ and the
    patterns were not normalised like the names), then Vietnamese, Filipino, Galician, German
    and Kazakh government words, social security, 'group' and banque words, research networks
    of states and provinces, EC2 regions. Fixed by cause to 0.971; the misses left are brands
    with no type word (Trendyol, Sicredi, Aramex) and Japanese city names, which the list
    labels government where a bare Chinese or Korean place is unknown."""
    assert _accuracy(labelled_names(HOLDOUT14), "fourteenth hold-out owner-type") >= 0.96


def test_fifteenth_holdout_list_is_large_new_and_covers_every_type():
    earlier = (*ALL_BEFORE_7, HOLDOUT7, HOLDOUT8, HOLDOUT9, HOLDOUT10, HOLDOUT11, HOLDOUT12,
               HOLDOUT13, HOLDOUT14)
    _assert_new_list(HOLDOUT15, earlier, 800, 300)


def test_accuracy_on_fifteenth_holdout_names():
    """Blind (rules of 4b00dab, after list 14's fixes; 35 % Chinese from the western and
    border provinces, 65 % foreign from the Balkans, the Caucasus, Central Asia, the Middle
    East, Africa, South and Southeast Asia, Latin America and Oceania): 0.831 (691/832;
    government 137/188, education 106/114, hospital 69/92, enterprise 192/238, idc 45/53,
    residential 62/63, internet café 39/43, unknown 41/41); Chinese names 1.000 (290/290),
    the others 0.740. The misses were scripts and languages with no words in the rules
    (Serbian and Macedonian Cyrillic, Greek, Hebrew, Armenian, Georgian, Bengali, Hindi,
    Urdu; vlada, grad, banka, d.d.) and central banks by other names ("National Bank of
    Ethiopia", Narodna banka, Markaziy bank). Fixed by cause to 0.948; what is left is brands
    with no type word (Eskom, Sasol, Gorenje, ParsPack)."""
    assert _accuracy(labelled_names(HOLDOUT15), "fifteenth hold-out owner-type") >= 0.94


@pytest.mark.parametrize("path", [HOLDOUT16, HOLDOUT17, HOLDOUT18, HOLDOUT19, HOLDOUT20,
                                  HOLDOUT21, HOLDOUT23])
def test_real_samples_are_new(path):
    """Real strings, not written ones: random samples of the AS names and 纯真 owner fields the
    product itself reads (public_owner), so their types come in their real proportions."""
    rows = labelled_names(path)
    assert len(rows) >= 750 and {t for _, t in rows} <= set(OWNER_TYPES)
    assert len({normalise_name(n) for n, _ in rows}) == len(rows), "duplicate names"
    earlier = (*ALL_BEFORE_7, HOLDOUT7, HOLDOUT8, HOLDOUT9, HOLDOUT10, HOLDOUT11, HOLDOUT12,
               HOLDOUT13, HOLDOUT14, HOLDOUT15, HOLDOUT16, HOLDOUT17, HOLDOUT18, HOLDOUT19,
               HOLDOUT20, HOLDOUT21, HOLDOUT22, HOLDOUT23)
    seen = {normalise_name(n) for p in earlier if p != path for n, _ in labelled_names(p)}
    assert not [n for n, _ in rows if normalise_name(n) in seen], "names must be new"


def test_accuracy_on_sixteenth_holdout_names():
    """Blind (rules of 3eb7804): 0.879 (711/809; government 16/20, education 46/50, hospital
    6/6, enterprise 316/376, idc 9/20, residential 2/3, internet café 302/320, unknown 14/14);
    AS names 0.826 (338/409), 纯真 owner fields 0.932 (373/400). The closest figure to a real
    sweep's: most AS names are small companies, and the misses were company forms as AS names
    write them (BV and Co without dots, E.U., UAB, CJSC, TOV, "- ME", UG, hf, GbR, Lda, P/S,
    a "Private entrepreneur" or "IE" person, "trading as"), and most 纯真 misses internet
    cafés as it writes them (网苑 with an address after it, 网友俱乐部, 网络广场, 东方网点).
    Fixed by cause to 0.974; brands with no type word remain (Sonangol, KKR, DriveTime)."""
    assert _accuracy(labelled_names(HOLDOUT16), "sixteenth hold-out owner-type") >= 0.96


def test_accuracy_on_seventeenth_holdout_names():
    """A second real sample (another seed, none of list 16's strings), labelled blind and scored
    with list 16's fixes in place (rules of de007c2): 0.925 (753/814; government 17/23,
    education 54/58, hospital 3/3, enterprise 348/384, idc 8/15, internet café 307/315,
    unknown 16/16); AS names 0.892 (363/407), 纯真 owner fields 0.958 (390/407). The honest
    estimate, for names from these sources, of rules that have met one real sample. Misses:
    more company forms (OOO, SIA, PE, PP, OÜ, SASU, SL, NV, a bare ME), 纯真's 网络家园, 网络城,
    网园, fire services and park districts. Fixed by cause to 0.972."""
    assert _accuracy(labelled_names(HOLDOUT17), "seventeenth hold-out owner-type") >= 0.96


def test_accuracy_on_eighteenth_holdout_names():
    """A third real sample (another seed, none of lists 16 and 17's strings), labelled blind
    and scored with both lists' fixes in place (rules of 187aba3): 0.921 (712/773; government
    23/30, education 52/60, hospital 4/5, enterprise 305/337, idc 8/17, internet café
    309/313, unknown 11/11); AS names 0.863 (327/379), 纯真 owner fields 0.977 (385/394). Two
    rounds of real samples left the blind figure near 0.92: 纯真's strings are learnt (0.93,
    0.96, 0.98), AS names are a long tail (0.83, 0.89, 0.86). Fixed by cause (LP, SAC, PBC,
    Sh.p.k., m.b.H., …gesellschaft, TOO, Anonim Şirketi; internet and fibre as trades; IDC1,
    VPS and host inside brands; electoral councils, tribes, 教委; educational, campus, STMIK;
    网络会社, 网络吧) to 0.972."""
    assert _accuracy(labelled_names(HOLDOUT18), "eighteenth hold-out owner-type") >= 0.96


def test_accuracy_on_nineteenth_holdout_names():
    """A fourth real sample, drawn in proportion to the addresses each owner holds (what a
    sweep of random addresses meets: carriers, clouds, universities and 教育网), labelled
    blind, scored after three rounds of fixes (rules of ee7eb8c): 0.933 (775/831;
    government 19/29, education 328/338, hospital 1/1, enterprise 349/372, idc 47/59,
    residential 8/9, internet café 13/13, unknown 10/10); AS names 0.897 (374/417), 纯真
    owner fields 0.969 (401/414). Fixed by cause (CERNET's Chinese names and 教育城域网,
    电化教育馆, 考试中心, 行政学院, boroughs, public libraries, boards of regents, K-12, content
    delivery networks, WCDMA) to 0.968."""
    assert _accuracy(labelled_names(HOLDOUT19), "nineteenth hold-out owner-type") >= 0.96


def test_accuracy_on_twentieth_holdout_names():
    """A fifth real sample, two thirds AS names (seed 20261202), labelled blind and scored after
    four rounds of fixes (rules of 79a52c1): 0.905 (737/814; government 20/30, education
    58/64, hospital 5/8, enterprise 426/478, idc 16/21, residential 2/2, internet café
    196/197, unknown 14/14); AS names 0.864 (472/546), 纯真 owner fields 0.989
    (265/268). The 纯真 strings are learnt; the AS names stay a long tail near 0.86-0.90.
    Fixed by cause (L.L.C., C.A, SAL, GIE, MCHJ, FZCO, (E)OOD, PLLC, individual
    entrepreneurs; insurers, lotteries, hotels; BOCES and ISDs; Swedish county councils;
    初中; 工行) to 0.953."""
    assert _accuracy(labelled_names(HOLDOUT20), "twentieth hold-out owner-type") >= 0.95


def test_accuracy_on_twenty_first_holdout_names():
    """A sixth real sample, uniform over names (seed 20261203), labelled blind. With the rules
    of af0e08a: 0.933 (754/808; government 14/17, education 55/58, hospital 2/5, enterprise
    342/376, idc 8/14, residential 1/1, internet café 315/320, unknown 17/17); AS names 0.893
    (349/391), 纯真 owner fields 0.971 (405/417). With the fallback that makes an unplaced
    Latin-script name a company (written on lists 1-20, before this list was drawn): 0.953
    (770/808), AS names 0.934; 0.962 leaving out the 17 names labelled unknown, 8 of which are
    people's names it calls companies. Fixed by cause (网栈, 网馆, 网事沙龙, 电竞中心, a 网城
    branch shop; 校区; 油田, 影楼; Lehranstalt; FOP; Dishubkominfo; colo… not in Coloplast) to
    0.968."""
    assert _accuracy(labelled_names(HOLDOUT21), "twenty-first hold-out owner-type") >= 0.96


def test_accuracy_on_twenty_third_holdout_names():
    """A seventh real sample (seed 20261204), drawn and labelled blind after the unplaced-name
    fallback, to measure it a second time. With the rules of af0e08a: 0.931 (756/812); AS
    names 0.894 (364/407), 纯真 owner fields 0.968 (392/405). With this session's rules before
    its fixes: 0.952 (773/812; government 22/24, education 65/73, hospital 4/8, enterprise
    371/376, idc 14/17, residential 2/3, internet café 291/293, unknown 4/18); AS names 0.934
    (380/407); 0.969 leaving out the names labelled unknown, 14 of which are people's names
    the fallback calls companies. A list of given names (Faker's, MIT) would win them back on
    the real samples (+0.5 to +1 point) and lose real organisations on lists 13 and 15: not
    adopted, since the goal is measured on organisations. Fixed by cause (倶 for 俱, GPRS,
    旅行社, 度假村, 商务会馆) to 0.958."""
    assert _accuracy(labelled_names(HOLDOUT23), "twenty-third hold-out owner-type") >= 0.955


def test_accuracy_on_twenty_second_holdout_names():
    """Real organisations only (no placeholders, people or places), written blind from public
    knowledge, half Chinese, in the style of a register's or whois names. Of the 910 written,
    692 were already in earlier lists: the long tail a writer recalls is largely covered. The
    218 new ones, blind: 0.986 (215/218; Chinese 142/142, foreign 73/76), with and without the
    unplaced-name fallback. Fixed by cause (Kentucky's cabinets, Russian medical research
    centres, the Arabic مصرف for a bank) to 1.000."""
    rows = labelled_names(HOLDOUT22)
    earlier = {normalise_name(n) for p in DATA.glob("org_names*.tsv") if p != HOLDOUT22
               for n, _ in labelled_names(p)}
    assert len(rows) >= 200 and not [n for n, _ in rows if normalise_name(n) in earlier]
    assert "unknown" not in {t for _, t in rows}
    assert _accuracy(rows, "twenty-second hold-out owner-type") >= 0.99
