"""The brand catalogue (``data/brand_catalogue.csv``): brands counterfeited or mis-sold in Chinese social commerce and
protected regional products, with the names sellers use and the lowest plausible price of a genuine new item.

Loaded once and validated: every alias belongs to one brand (after normalisation: traditional → simplified,
full-width → half-width, lower case, spaces removed), every floor is a positive number, every category is known, every
row says where its figure comes from. A bad file is an error naming the row, the column and the value.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trust.settings import SHIPPED_DATA
from trust.text import normalize_text

CATALOGUE = SHIPPED_DATA / "brand_catalogue.csv"
CATEGORIES = ("美妆护肤", "箱包", "手表", "服饰", "鞋靴", "母婴", "保健品", "数码", "食品", "酒水", "地理标志")
UNITS = ("item", "kg", "g", "each")
COLUMNS = ("brand", "line", "name_en", "name_zh", "pinyin", "aliases", "category", "price_floor_cny", "floor_unit", "source")


def alias_key(name: str) -> str:
    """How an alias is compared: normalised script and width, lower case, no spaces."""
    return "".join((normalize_text(name) or "").lower().split())


@dataclass(frozen=True)
class Catalogue:
    rows: pd.DataFrame  # one row per brand and line
    aliases: dict[str, int]  # alias key → row index

    @property
    def brands(self) -> int:
        return int(self.rows["brand"].nunique())

    @functools.cached_property
    def records(self) -> tuple[dict, ...]:
        """Row index → the row as a plain dict (read per listing, so without pandas' per-access cost)."""
        return tuple(self.rows.to_dict("records"))

    @functools.cached_property
    def lines_of(self) -> dict[str, tuple[int, ...]]:
        """Brand → its rows (one per line)."""
        out: dict[str, list[int]] = {}
        for number, record in enumerate(self.records):
            out.setdefault(record["brand"], []).append(number)
        return {brand: tuple(rows) for brand, rows in out.items()}

    @functools.cached_property
    def index(self) -> _Index:
        """What the mention finder looks names up in, built once per catalogue."""
        return _build_index(self)


def _problem(path: Path, row: int, column: str, value, why: str) -> ValueError:
    return ValueError(f"{path}: row {row}, column {column}, value {value!r}: {why}")


def load_catalogue(path: Path = CATALOGUE) -> Catalogue:
    """Read and validate the catalogue (``#`` lines are comments); the error names file, row, column and value."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    aliases: dict[str, int] = {}
    owner: dict[str, tuple[str, int]] = {}
    for index, row in frame.iterrows():
        line_number = int(index) + 2  # the header is row 1 (comment lines not counted)
        for column in ("brand", "line", "name_zh", "source"):
            if not row[column].strip():
                raise _problem(path, line_number, column, row[column], "must not be empty")
        if row["category"] not in CATEGORIES:
            raise _problem(path, line_number, "category", row["category"], f"is not one of {', '.join(CATEGORIES)}")
        if row["floor_unit"] not in UNITS:
            raise _problem(path, line_number, "floor_unit", row["floor_unit"], f"is not one of {', '.join(UNITS)}")
        try:
            floor = float(row["price_floor_cny"])
        except ValueError:
            floor = float("nan")
        if not floor > 0:
            raise _problem(path, line_number, "price_floor_cny", row["price_floor_cny"], "is not a positive number")
        names = [row["name_zh"], row["name_en"], row["pinyin"], *row["aliases"].split(";")]
        for name in names:
            key = alias_key(name)
            if not key:
                continue
            if key in owner and owner[key][0] != (row["brand"], row["line"]):
                other_brand, other_row = owner[key]
                if other_brand[0] != row["brand"]:
                    raise _problem(path, line_number, "aliases", name,
                                   f"already names {other_brand[0]} (row {other_row}); an alias belongs to one brand")
                continue  # a brand's own name shared by its lines: the first line listed is the default
            owner.setdefault(key, ((row["brand"], row["line"]), line_number))
            aliases.setdefault(key, int(index))
    out = frame.copy()
    out["price_floor_cny"] = out["price_floor_cny"].astype(float)
    return Catalogue(out, aliases)


@functools.lru_cache(maxsize=1)
def shipped_catalogue() -> Catalogue:
    """The shipped catalogue, loaded and validated once per process."""
    return load_catalogue(CATALOGUE)


# --- Finding brand mentions the way sellers hide them -------------------------------------------------------------

SEPARATORS = re.compile(r"[\s·•・.*_\-/|\\~,，。、!！?？:：;；'\"“”‘’()（）【】\[\]+#@]+")
LATIN_TOKEN = re.compile(r"[a-z][a-z']{2,}")
HAN = re.compile(r"[\u4e00-\u9fff]")
# Catalogue names that are also everyday words: never matched on their own (the longer names that contain them are).
NOT_ON_THEIR_OWN = {"后", "响", "博士", "雷达", "富士", "好奇", "吉田", "苹果", "mi", "on", "gg", "cd", "el", "gs", "ns", "ap", "rm",
                    "ow", "tb", "ks", "hr", "ct", "pp", "vc", "dw", "nb", "cl", "tf", "lulu", "nan", "fog", "jbl", "mac", "ami"}
# "X家" is how sellers nickname a brand (驴家, 鹅家); these X make ordinary words (商家, 厂家, 大家 ...).
NOT_A_NICKNAME = set("商厂卖店国大专自老买东作农玩酒人全管行画名本娘婆亲住世回到在我你他她它们这那各每万千百一两几店客")
# Latin initials sellers give the luxury houses ("C家 CF", "H家 铂金包"): each letter stands for one house in the trade's
# usage (an alias key of the catalogue); the house's every line is named, and the listing's category picks the line.
LATIN_NICKNAMES = {"c": "chanel", "d": "dior", "g": "gucci", "h": "hermes", "p": "prada", "f": "fendi", "y": "ysl"}
# Categories a catalogue row can be judged in: a regional product is sold as food, health food or liquor.
COMPATIBLE = {"地理标志": {"食品", "保健品", "酒水", "地理标志"}}


@dataclass(frozen=True)
class BrandMention:
    row: int  # catalogue row index
    brand: str
    line: str
    matched: str  # the text that matched
    how: str  # in words: how it was found


def _levenshtein(a: str, b: str, limit: int) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class _Index:
    keys: dict[str, tuple[int, str, set[str]]]  # alias key → (row, kind: brand name | pinyin | nickname..., forms as written)
    latin: dict[str, dict[int, list[tuple[str, int]]]]  # first letter → length → (latin key of 5+ letters, row): misspellings
    by_prefix: dict[str, list[int]]  # first one or two Han characters → rows whose Chinese names start so, for "X家"
    homophones: object  # automaton over names spelt as readings (see _sounds) → (row, name): sound-alikes
    masked: dict[str, tuple[int, str]]  # a Chinese name with one character as "\0" → (row, name): an emoji in its place
    keys_automaton: object  # Aho-Corasick automaton of the keys
    misspelt: dict[str, tuple[int, str] | None]  # Latin word → (row, key) it misspells, or None: each word judged once
    brand_line: tuple[tuple[str, str], ...]  # row → (brand, line), read without pandas
    words: dict[str, tuple[re.Pattern, tuple[re.Pattern, ...]]]  # Latin key → whole-word patterns (key, forms as written)


def _whole_word(term: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z]){re.escape(term)}(?![a-z])")


@functools.lru_cache(maxsize=1)
def _sounds() -> dict[int, str]:
    """A translation table: every Han character → one private-use character standing for its most common reading
    (pypinyin's dictionary, tones dropped). Text spelt so, one C call per text, shows homophones as equal strings."""
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.style import convert

    symbols: dict[str, str] = {}
    table = {}
    for code, readings in PINYIN_DICT.items():
        reading = convert(readings.split(",")[0], style=0, strict=True)
        table[code] = symbols.setdefault(reading, chr(0xF0000 + len(symbols)))
    return table


def automaton_of(words: dict[str, object]):
    """An Aho-Corasick automaton (pyahocorasick) of ``words`` → value; empty if there are none (check ``len``)."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for word, value in words.items():
        automaton.add_word(word, value)
    if words:
        automaton.make_automaton()
    return automaton


def _build_index(catalogue: Catalogue) -> _Index:
    keys: dict[str, tuple[int, str, set[str]]] = {}
    latin: dict[str, dict[int, list[tuple[str, int]]]] = {}
    by_prefix: dict[str, list[int]] = {}
    homophones: dict[str, tuple[int, str]] = {}
    masked: dict[str, tuple[int, str]] = {}
    for index, row in catalogue.rows.iterrows():
        named = [(row["name_zh"], "brand name"), (row["name_en"], "brand name"), (row["pinyin"], "pinyin")]
        named += [(alias, "nickname, abbreviation or line name") for alias in row["aliases"].split(";")]
        for name, kind in named:
            key = alias_key(name)
            if len(key) < 2 or key in NOT_ON_THEIR_OWN or catalogue.aliases.get(key) != index:
                continue
            keys.setdefault(key, (int(index), kind, set()))[2].add(name.strip().lower())
            if re.fullmatch(r"[a-z']+", key) and len(key) >= 5:
                latin.setdefault(key[0], {}).setdefault(len(key), []).append((key, int(index)))
            if HAN.match(key) and row["category"] != "地理标志":  # 驴牌 → 驴家, 卡地亚 → 卡家, 巴黎世家 → 巴黎家
                by_prefix.setdefault(key[0], []).append(int(index))
                if len(key) >= 4:
                    by_prefix.setdefault(key[:2], []).append(int(index))
            if kind == "brand name" and re.fullmatch(r"[\u4e00-\u9fff]{3,}", key):
                homophones.setdefault(key.translate(_sounds()), (int(index), key))
                for position in range(len(key)):
                    masked.setdefault(key[:position] + "\0" + key[position + 1:], (int(index), key))
    words = {key: (_whole_word(key), tuple(_whole_word(form) for form in forms))
             for key, (_, _, forms) in keys.items() if re.fullmatch(r"[a-z0-9']+", key)}
    brand_line = tuple(zip(catalogue.rows["brand"].tolist(), catalogue.rows["line"].tolist()))
    return _Index(keys, latin, by_prefix, automaton_of(homophones), masked, automaton_of({k: k for k in keys}), {},
                  brand_line, words)


EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]\ufe0f?")
LEETS = (str.maketrans("0134579@$", "oieastgas"), str.maketrans("0134579@$", "oleastgas"))  # 1 for i, or for l
MIXED_TOKEN = re.compile(r"[a-z0-9@$]*[a-z][a-z0-9@$]*")


def _keys_present(text: str, automaton) -> dict[str, int]:
    """Every catalogue key in the text → its first position (one pass of the Aho-Corasick automaton)."""
    out: dict[str, int] = {}
    if len(automaton):
        for end, key in automaton.iter(text):
            out.setdefault(key, end - len(key) + 1)
    return out


def _misspelt(word: str, index: "_Index") -> tuple[int, str] | None:
    """The Latin catalogue name a word misspells (edit distance 1, or 2 for names of 8+ letters), remembered per word."""
    if word in index.misspelt:
        return index.misspelt[word]
    hit = None
    for length in range(len(word) - 2, len(word) + 3):
        for key, row in index.latin.get(word[0], {}).get(length, []):
            limit = 1 if len(key) < 8 else 2
            if abs(len(key) - len(word)) <= limit and _levenshtein(word, key, limit) <= limit:
                hit = (row, key)
                break
        if hit:
            break
    if len(index.misspelt) < 200_000:
        index.misspelt[word] = hit
    return hit


def find_brands(text: str, catalogue: Catalogue | None = None, normal: str | None = None) -> list[BrandMention]:
    """Every catalogue brand the text names, each with how it was found: as written, across spaces and symbols,
    in traditional script or full-width letters, misspelt or with digits for letters (edit distance), with an emoji
    in place of a character, as an "X家" nickname, or by homophones."""
    catalogue = catalogue or shipped_catalogue()
    index = catalogue.index
    raw = (text or "").lower()
    normal = (normalize_text(text or "") or "").lower() if normal is None else normal  # given: already normalised
    collapsed = SEPARATORS.sub("", normal)
    found: dict[int, BrandMention] = {}
    spans: list[tuple[int, int]] = []

    def add(row: int, matched: str, how: str) -> None:
        # A brand named outright is reported as such, even where its line name (Beta AR) was found first.
        if row not in found or (how == "its brand name" and found[row].how != how):
            found[row] = BrandMention(row, *index.brand_line[row], matched, how)

    present = _keys_present(collapsed, index.keys_automaton)
    for key in sorted(present, key=lambda k: (-len(k), present[k])):
        start = present[key]
        if key in index.words:  # Latin: whole words only (lv is not inside "lvl", ap not in "apple")
            pattern, forms = index.words[key]
            hit = pattern.search(collapsed)
            if hit is None and not any(form.search(normal) for form in forms):
                continue
            start = hit.start() if hit is not None else start
        end = start + len(key)
        if any(s <= start and end <= e for s, e in spans):
            continue  # inside a longer brand name already found
        spans.append((start, end))
        row, kind, written = index.keys[key]
        if any(form in normal for form in written):
            if any(form in raw for form in written):
                how = f"its {kind}"
            elif re.search(r"[\uff01-\uff5e]", text or ""):
                how = "full-width letters"
            else:
                how = "traditional characters"
        else:
            how = "spaces or symbols between its characters"
        add(row, key, how)
    words = LATIN_TOKEN.findall(normal)
    candidates = [(w, w) for w in words + [a + b for a, b in zip(words, words[1:])]]
    candidates += [(t, t.translate(leet)) for t in MIXED_TOKEN.findall(normal) if re.search(r"[0-9@$]", t) for leet in LEETS]
    for written, word in candidates:
        if len(word) < 4 or (word in index.keys and written == word):
            continue
        if word in index.keys and index.keys[word][0] not in found:
            add(index.keys[word][0], written, f"digits or symbols for letters ({written!r} for {word!r})")
            continue
        hit = _misspelt(word, index)
        if hit is not None and hit[0] not in found:
            add(hit[0], written, f"a misspelt Latin name ({written!r} for {hit[1]!r})")
    for match in re.finditer(r"([\u4e00-\u9fff]{1,2})家", normal):
        prefix = match.group(1)
        for nickname in ([prefix] if len(prefix) == 1 else [prefix, prefix[1]]):
            rows = sorted(set(index.by_prefix.get(nickname, [])))
            if (len(nickname) == 1 and nickname in NOT_A_NICKNAME) or not rows or any(r in found for r in rows):
                continue
            brands = sorted({catalogue.records[r]["brand"] for r in rows})
            row = min(rows, key=lambda r: catalogue.records[r]["price_floor_cny"])  # several brands: the cheapest floor
            add(row, nickname + "家", f"an “X家” nickname ({nickname}家: {', '.join(brands)})")
            break
    for match in re.finditer(r"(?<![a-z0-9])([a-z])家", normal):
        hit = index.keys.get(LATIN_NICKNAMES.get(match.group(1), ""))
        if hit is None:
            continue
        brand = catalogue.records[hit[0]]["brand"]
        for row in catalogue.lines_of[brand]:
            if row not in found:
                add(row, match.group(0), f"an “X家” nickname ({match.group(0)}: {brand})")
    if EMOJI.search(normal):
        masked_text = EMOJI.sub("\0", SEPARATORS.sub("", normal))
        pieces = {masked_text[i:i + n] for n in (3, 4, 5) for i in range(len(masked_text) - n + 1)}
        for piece in pieces:
            if "\0" in piece and piece in index.masked and index.masked[piece][0] not in found:
                row, name = index.masked[piece]
                add(row, piece.replace("\0", "?"), f"an emoji in place of a character ({name})")
    if len(index.homophones) and HAN.search(normal):
        for end, (row, name) in index.homophones.iter(normal.translate(_sounds())):
            written = normal[end - len(name) + 1:end + 1]
            if row not in found and written != name:
                add(row, written, f"a homophone ({written} sounds like {catalogue.records[row]['name_zh']})")
    return list(found.values())


# --- Price sense without a market ---------------------------------------------------------------------------------

ACCESSORY = re.compile(r"适用于|适用|兼容|适配|配件(?!\s*(?:齐全|全|齐|都在|完整))|不含|仅为|替换|收纳|保护套|保护壳|手机壳|钢化膜|表带|鞋带|内胆|防尘罩|清洁剂|"
                       r"(?<![a-z])for(?![a-z])|compatible")
# The brand is named as what the goods replace ("戴森平替", "AirPods 平替"): a look-alike is not the brand's goods. A copy
# that carries the brand's marks is found by the cues (logo, 一模一样), not by the price.
SUBSTITUTE = re.compile(r"平替|替代品|代替款")
SECOND_HAND = re.compile(r"二手|闲置|中古|vintage|[5-9]成新|九[五五]?成?新|95新|自用|used|穿过|用过")
SAMPLE = re.compile(r"小样|中样|试用装|分装|旅行装|sample|\d+\s*ml\s*小样")
EMPTY = re.compile(r"空瓶|空盒|包装盒|礼盒空|仅盒")
WEIGHT = re.compile(r"(\d+(?:\.\d+)?)\s*(kg|公斤|千克|斤|g|克)(?![a-z])")
COUNT = re.compile(r"(\d+)\s*(只|个|枚|粒|瓶|盒|件|支|双|袋|罐)装?")
PACK = re.compile(r"(\d+)\s*(件|支|瓶|双|盒|只|罐)装|[x×*]\s*(\d+)(?!\d)|(?:整箱|一箱|共)\s*(\d+)\s*(?:瓶|支|罐|盒)|(?<![\d.])(\d{1,2})\s*(?:瓶|罐|听|桶)(?!\s*[/每])")
# Lower-priced products of electronics brands whose floor is set by their flagship (phones, consoles, cameras).
PERIPHERAL = re.compile(r"充电宝|移动电源|充电器|充电头|快充头|数据线|耳机|耳塞|手环|鼠标|键盘|支架|钢化膜|手机壳|保护壳|"
                        r"保护套|表带|贴膜|u盘|内存卡|tf卡|sd卡|读卡器|插线板|插座|适配器|滤网|滤芯|刷头|替换头|挂绳|电池|"
                        r"镜头盖|遥控器|手柄|音箱|路由器|摄像头|台灯|电动牙刷|剃须刀|体脂秤|充电线")
# A box, tag or manual said to come with the item ("鞋盒配件全", "吊牌在", "附说明书") is not a part sold on its own.
PART = re.compile(r"单只|单个耳机|左耳|右耳|单耳|充电仓|耳机仓|单仓|表扣|表冠|表盘面|五金件|拉链头|"
                  r"(?<![带有附含配原])(?:鞋盒|吊牌|说明书)(?!\s*(?:配件|齐全|全|都在|在|未拆|没拆|完整))")
TO_KG = {"kg": 1.0, "公斤": 1.0, "千克": 1.0, "斤": 0.5, "g": 0.001, "克": 0.001}


@dataclass(frozen=True)
class PriceJudgement:
    probability: float  # that the listing is a counterfeit or mis-sold, from price against the floor alone
    reason: str  # in words
    brand: str
    ratio: float | None  # price per unit / floor (None: not judged)


def _quantity(text: str, unit: str) -> tuple[float, str]:
    """How many units of the floor the listing sells (kg, g, each or items) and how it was read."""
    if unit in ("kg", "g"):
        weights = [float(n) * TO_KG[u] for n, u in WEIGHT.findall(text)]
        if weights:
            kg = max(weights)
            return (kg if unit == "kg" else kg * 1000), f"{kg:g} kg read from the text"
        return 1.0, f"no weight in the text: judged as 1 {unit}"
    counts = [int(n) for n, _ in COUNT.findall(text)] if unit == "each" else \
        [int(a or b or c or d) for a, _, b, c, d in PACK.findall(text)]
    counts = [c for c in counts if 0 < c <= 200]
    if counts:
        return float(max(counts)), f"{max(counts)} read from the text"
    return 1.0, ""


# A fashion house sells across these categories; a brand whose cheapest line floors at LUXURY_FLOOR or more is
# judged outside its own category at OTHER_CATEGORY_SHARE of that floor.
LUXURY_SPILL = {"箱包", "服饰", "鞋靴", "手表"}
LUXURY_FLOOR = 3000.0
OTHER_CATEGORY = "(another category)"
OTHER_CATEGORY_SHARE = 1 / 3


def _in_category(mention: BrandMention, category: str, catalogue: Catalogue) -> BrandMention | None:
    """The mention as the brand's line sold in ``category`` (迪奥 in 美妆护肤 is Dior beauty, not Dior bags). A luxury
    brand with no line in the category (Balenciaga shoes, a bag house's scarf) keeps its cheapest line, judged at a
    third of that floor (see :data:`OTHER_CATEGORY_SHARE`); other brands named outside their category are not judged."""
    records = catalogue.records

    def fits(row: int) -> bool:
        own = records[row]["category"]
        return category in COMPATIBLE.get(own, {own})

    if fits(mention.row):
        return mention
    same = catalogue.lines_of[mention.brand]
    fitting = [r for r in same if fits(r)]
    if fitting:
        row = min(fitting, key=lambda r: records[r]["price_floor_cny"])
        return BrandMention(row, mention.brand, records[row]["line"], mention.matched, mention.how)
    fashion = [r for r in same if records[r]["category"] in LUXURY_SPILL]  # a house's beauty line does not count
    if category in LUXURY_SPILL and fashion and min(records[r]["price_floor_cny"] for r in fashion) >= LUXURY_FLOOR:
        row = min(fashion, key=lambda r: records[r]["price_floor_cny"])
        return BrandMention(row, mention.brand, OTHER_CATEGORY, mention.matched, mention.how)
    return None


def judge_price(title: str, description: str | None, price: float | None, category: str | None = None,
                catalogue: Catalogue | None = None, mentions: list[BrandMention] | None = None,
                normal: str | None = None) -> PriceJudgement | None:
    """The listing's price against the catalogue floor of the brand it names, with no market needed. None when it
    names no catalogued brand (or no price). Compatible accessories, empty packaging and samples are not judged
    against the brand's floor; second-hand goods against a third of it; multi-packs and weights per unit.
    ``mentions``: :func:`find_brands` of the title and description, and ``normal`` that text normalised and lower
    case, if already known."""
    catalogue = catalogue or shipped_catalogue()
    text = f"{title or ''} {description or ''}"
    if price is None or not price == price:
        return None
    mentions = find_brands(text, catalogue, normal) if mentions is None else mentions  # given: already found in this text
    if category:
        mentions = [m for m in (_in_category(m, category, catalogue) for m in mentions) if m is not None]
    if not mentions:
        return None
    lowered = (normalize_text(text) or "").lower() if normal is None else normal
    # A product line named (茅台王子酒, FreeBuds) is what is sold: the brand's default line (飞天, phones) is not.
    specific = {m.brand for m in mentions if m.row != catalogue.lines_of[m.brand][0] and m.line != OTHER_CATEGORY}
    mentions = [m for m in mentions if m.brand not in specific or m.row != catalogue.lines_of[m.brand][0]]
    mention = max(mentions, key=lambda m: catalogue.records[m.row]["price_floor_cny"] * (OTHER_CATEGORY_SHARE if m.line == OTHER_CATEGORY else 1))
    row = catalogue.records[mention.row]
    named = f"{row['name_zh']} ({mention.how})"
    peripheral = PERIPHERAL.search(lowered)
    if peripheral and mention.brand not in specific and row["category"] == "数码":
        return PriceJudgement(0.0, f"names {named} for a {peripheral.group(0)}, a lower-priced product than the line its "
                                   "floor is for: not judged against it", row["brand"], None)
    if PART.search(lowered):
        return PriceJudgement(0.0, f"names {named} for a part or a single piece of it, not judged against the brand's "
                                   "price", row["brand"], None)
    if re.search(r"(?:非|不是|并非)\s*" + re.escape(mention.matched), lowered):
        return PriceJudgement(0.0, f"says it is not {named}: not judged against its price", row["brand"], None)
    if SUBSTITUTE.search(lowered) or re.search(re.escape(mention.matched) + r"\s*风(?![衣险扇])", lowered):
        return PriceJudgement(0.0, f"names {named} as what it replaces or is styled after (平替, X风): an unbranded "
                                   "look-alike, not judged against the brand's price", row["brand"], None)
    if ACCESSORY.search(lowered):
        return PriceJudgement(0.0, f"names {named} as what it fits: a compatible accessory, not judged against the "
                                   "brand's price", row["brand"], None)
    if EMPTY.search(lowered):
        return PriceJudgement(0.0, f"names {named} for empty packaging, not judged against the brand's price", row["brand"], None)
    if SAMPLE.search(lowered) and row["category"] == "美妆护肤":
        return PriceJudgement(0.0, f"names {named} for a sample size, not judged against the full-size price",
                              row["brand"], None)
    floor = float(row["price_floor_cny"]) * (OTHER_CATEGORY_SHARE if mention.line == OTHER_CATEGORY else 1)
    quantity, read = _quantity(lowered, row["floor_unit"])
    second_hand = bool(SECOND_HAND.search(lowered))
    if second_hand:
        floor /= 3
    unit_price = float(price) / quantity
    ratio = unit_price / floor
    unit = {"item": "", "each": " each"}.get(row["floor_unit"], f" per {row['floor_unit']}")
    line = {"*": "", OTHER_CATEGORY: " outside its own category (a third of its cheapest line's floor)"}.get(mention.line, f" ({mention.line})")
    basis = (f"¥{floor:,.0f}{unit}, the lowest plausible price of {'a second-hand' if second_hand else 'a genuine new'} "
             f"{row['name_zh']}{line} (brand catalogue{', a third of the new floor' if second_hand else ''}"
             f"{'; ' + read if read else ''})")
    if ratio >= 1:
        return PriceJudgement(0.0, f"names {named}; price ¥{unit_price:,.2f}{unit} is at or above {basis}", row["brand"], round(ratio, 4))
    # Far below the floor is near-certain; just under it is a weak signal (floors are estimates, sales happen).
    probability = 0.95 if ratio < 0.3 else 0.85 if ratio < 0.5 else 0.6 if ratio < 0.75 else 0.3
    return PriceJudgement(probability, f"names {named}; price ¥{unit_price:,.2f}{unit} is {ratio:.0%} of {basis}",
                          row["brand"], round(ratio, 4))
