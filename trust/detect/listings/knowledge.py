"""What a moderator knows about listings without any model or market: the replica trade's and false advertising's
wording (``data/lexicon/listing_cues.toml``), specifications no product can have at its price, and the brand
catalogue's price floors (:mod:`trust.detect.listings.brands`).

Each piece of evidence is a probability that the listing is a problem, with its kind (counterfeit or false
advertising) and a reason in words; the pieces combine by noisy-OR within a kind. :func:`with_knowledge` lays the
result over a model's kind probabilities: where the knowledge is surer than the model, it decides, and its reasons come
first. Every path that scores a listing uses it: the nightly stage, ``trust listings check`` and the API's check,
``trust listings score`` and ``trust eval listings``.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trust.detect.listings.brands import SEPARATORS, automaton_of, find_brands, judge_price
from trust.settings import SHIPPED_DATA
from trust.text import normalize_text

CUES = SHIPPED_DATA / "lexicon" / "listing_cues.toml"
KINDS = ("counterfeit", "false_advertising")
LATIN = re.compile(r"[a-z0-9 ]+")


@dataclass(frozen=True)
class CueFamily:
    name: str
    kind: str
    weight: float
    says: str
    han_terms: tuple[str, ...]  # terms with a non-Latin character, matched on the compacted text (separators removed)
    latin_terms: re.Pattern | None  # Latin-only terms, matched as whole words on the normalised text
    patterns: tuple[re.Pattern, ...] = ()  # matched on the normalised text
    unless: re.Pattern | None = None
    needs_brand: bool = False  # evidence only where the listing names a brand (a story told about a brand's goods)

    @classmethod
    def of_terms(cls, name: str, kind: str, weight: float, says: str, terms: list[str], patterns=(), unless=None,
                 needs_brand: bool = False) -> "CueFamily":
        """A family from its terms as written: normalised (simplified, half-width, lower case), split into those matched
        across separators and the Latin-only ones matched as whole words."""
        terms = [(normalize_text(t) or "").lower().strip() for t in terms]
        latin = sorted({t for t in terms if LATIN.fullmatch(t)}, key=len, reverse=True)
        # Letters and digits written with a symbol between them ("1:1") are matched as written, never inside a number:
        # compacted, "1:1" would be "11", found in "MatePad 11.5" and "双11".
        spelled = sorted({t for t in terms if t and not LATIN.fullmatch(t) and LATIN.fullmatch(SEPARATORS.sub("", t))})
        han = tuple(sorted({SEPARATORS.sub("", t) for t in terms if t and not LATIN.fullmatch(t) and t not in spelled}))
        latin_pattern = re.compile("|".join(rf"(?<![a-z]){re.escape(t)}(?![a-z])" for t in latin)) if latin else None
        patterns = tuple(patterns) + tuple(re.compile(rf"(?<![0-9a-z.]){_as_written(t)}(?![0-9a-z]|\.\d)") for t in spelled)
        return cls(name, kind, float(weight), says, han, latin_pattern, patterns, unless, needs_brand)


def _as_written(term: str) -> str:
    """A pattern for a term of letters and digits with symbols between them: each symbol as written (with any spaces
    around it), the letters and digits exactly."""
    out = []
    for piece in re.split(f"({SEPARATORS.pattern})", term):
        if not piece:
            continue
        if SEPARATORS.fullmatch(piece):
            symbols = piece.replace(" ", "")
            out.append(r"\s*" + re.escape(symbols) + r"\s*" if symbols else r"\s+")
        else:
            out.append(re.escape(piece))
    return "".join(out)


@dataclass(frozen=True)
class Evidence:
    code: str  # reason code: the cue family, impossible_specification or below_brand_floor
    kind: str  # counterfeit | false_advertising
    probability: float
    text: str  # in words


def load_cues(path: Path = CUES) -> tuple[CueFamily, ...]:
    """Read and validate the cue file; a bad family is an error naming the file, the family, the field and the value."""
    with path.open("rb") as handle:
        families = tomllib.load(handle).get("families", {})
    out = []
    for name, family in families.items():
        def bad(field: str, why: str) -> ValueError:
            return ValueError(f"{path}: family {name}, field {field}, value {family.get(field)!r}: {why}")

        if family.get("kind") not in KINDS:
            raise bad("kind", f"is not one of {', '.join(KINDS)}")
        weight = family.get("weight")
        if not isinstance(weight, (int, float)) or not 0 < weight < 1:
            raise bad("weight", "is not a probability between 0 and 1")
        if not family.get("says"):
            raise bad("says", "must say what the cue means")
        try:
            patterns = tuple(re.compile(p) for p in family.get("patterns", []))
            unless = re.compile(family["unless"]) if family.get("unless") else None
        except re.error as error:
            raise bad("patterns" if "unless" not in family else "unless", f"is not a regular expression ({error})") from None
        if not family.get("terms") and not patterns:
            raise bad("terms", "a family needs terms or patterns")
        if not isinstance(family.get("needs_brand", False), bool):
            raise bad("needs_brand", "is not true or false")
        out.append(CueFamily.of_terms(name, family["kind"], weight, family["says"], family.get("terms", []), patterns, unless,
                                      family.get("needs_brand", False)))
    return tuple(out)


@dataclass(frozen=True)
class Cues:
    """Cue families with their matchers, built once: one Aho-Corasick automaton for every family's terms across
    separators, and one pattern screening texts for the Latin terms and patterns."""

    families: tuple[CueFamily, ...]

    def __iter__(self):
        return iter(self.families)

    @functools.cached_property
    def automaton(self):
        """term → (term, the numbers of the families it belongs to)."""
        owners: dict[str, list[int]] = {}
        for number, family in enumerate(self.families):
            for term in family.han_terms:
                owners.setdefault(term, []).append(number)
        return automaton_of({term: (term, tuple(numbers)) for term, numbers in owners.items()})

    @functools.cached_property
    def story_terms(self) -> tuple[str, ...]:
        """The terms of the families that need a brand (a story only told about a brand's goods)."""
        return tuple(term for family in self.families if family.needs_brand for term in family.han_terms)

    @functools.cached_property
    def screen(self) -> re.Pattern | None:
        """A text this misses needs none of the Latin terms or patterns tried."""
        parts = [p.pattern for f in self.families for p in (f.latin_terms, *f.patterns) if p is not None]
        return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


@functools.lru_cache(maxsize=1)
def shipped_cues() -> Cues:
    """The cue file's families, and the counterfeit-slang and claim lexicons (``data/lexicon``) as two more: the
    slang with its generated pinyin spellings (gaofang, gf, gao仿), matched across spaces as well as within words."""
    from trust.detect import lexicon

    families = load_cues(CUES)
    weak = {t for f in families if f.name == "weak_slang" for t in f.han_terms}  # said in the cue file, at its own weight
    strong = [t for t in lexicon.counterfeit_terms() if lexicon.EVASION_SEPARATORS.sub("", t.lower()) not in weak]
    return Cues(families + (
        CueFamily.of_terms("counterfeit_slang", "counterfeit", 0.85, "counterfeit slang", lexicon.with_variants(strong)),
        CueFamily.of_terms("advertising_claim", "false_advertising", 0.45, "absolute or efficacy claim", lexicon.claim_terms()),
    ))


def lowered(text: str | None) -> str:
    """How every matcher here reads text: normalised (simplified, half-width, folded spaces) and lower case."""
    return (normalize_text(text or "") or "").lower()


def find_cues(text: str, cues: Cues | None = None, normal: str | None = None, branded: bool = True) -> list[Evidence]:
    """The cue families the text fires, each with the words that matched (``normal``: :func:`lowered` text, if known).
    ``branded`` False (the listing names no brand): the families that need a brand fire nothing, and their words are
    taken out of the other families' ("外贸原单" on an unbranded shirt is an export-surplus shirt, not slang)."""
    cues = cues if cues is not None else shipped_cues()
    families = cues.families
    normal = lowered(text) if normal is None else normal
    found: dict[int, list[str]] = {}
    if len(cues.automaton):
        for _, (term, numbers) in cues.automaton.iter(SEPARATORS.sub("", normal)):
            for number in numbers:
                found.setdefault(number, []).append(term)
    for number, family in enumerate(families if cues.screen is not None and cues.screen.search(normal) else ()):
        if family.latin_terms is not None:
            found.setdefault(number, []).extend(family.latin_terms.findall(normal))
        for pattern in family.patterns:
            found.setdefault(number, []).extend(m.group(0) for m in pattern.finditer(normal))
    out = []
    for number, words in sorted(found.items()):
        family = families[number]
        if not branded:
            if family.needs_brand:
                continue
            words = [w for w in words if not any(t in SEPARATORS.sub("", w) for t in cues.story_terms)]
        if not words or (family.unless is not None and family.unless.search(normal)):
            continue
        said = "、".join(dict.fromkeys(w.strip() for w in words))
        out.append(Evidence(family.name, family.kind, family.weight, f"{family.says}: {said}"))
    return out


# --- Specifications no product has at its price -------------------------------------------------------------------

NUMBER = r"(\d+(?:\.\d+)?)"
STORAGE = re.compile(NUMBER + r"\s*(tb|t|gb|g)(?![a-z])")
STORAGE_GOODS = re.compile(r"硬盘|固态|ssd|u盘|优盘|闪存|内存卡|tf卡|sd卡|存储卡|移动盘")
MAH = re.compile(NUMBER + r"\s*(?:mah|毫安)")
WATTS = re.compile(NUMBER + r"\s*(?:w|瓦)(?![a-z])")
SPEAKER = re.compile(r"音箱|音响|低音炮")
PORTABLE = re.compile(r"便携|迷你|随身|小巧|口袋|超薄")
PROJECTOR = re.compile(r"投影")
LUMENS = re.compile(NUMBER + r"\s*(?:流明|lm|ansi)")
GOLD = re.compile(r"足金|纯金|千足金|万足金|999金|24k金|黄金")
GOLD_18K = re.compile(r"18k金|18k玫瑰金|18k白金|18k黄金|au750")
NOT_SOLID_GOLD = re.compile(r"镀金|包金|仿金|合金|金色|鎏金|铜镀|镀层|金箔|沙金|k金色")
GRAMS = re.compile(NUMBER + r"\s*(?:克|g)(?![a-z])")
CASHMERE = re.compile(r"100%\s*(?:山)?羊绒|纯羊绒|100%\s*cashmere")
SILK = re.compile(r"真丝|桑蚕丝|100%\s*蚕丝")
SILK_GARMENT = re.compile(r"睡衣|衬衫|连衣裙|套装|长裙|上衣|被")
SILVER = re.compile(r"纯银|足银|999银|925银|s925|s999|银手镯|银手链|银项链")
NOT_SOLID_SILVER = re.compile(r"镀银|银色|仿银|藏银|苗银|合金")
JADE = re.compile(r"天然和田玉|和田玉籽料|冰种翡翠|玻璃种|a货翡翠|天然翡翠")
# Lowest plausible prices of a genuine item (CNY, late 2026; sources: JD/Tmall list prices of the cheapest genuine
# items, the Shanghai Gold Exchange Au9999 price less a margin for a floor)
PER_TB_STORAGE = 150.0  # the cheapest genuine 1 TB drive or card
PER_10K_MAH = 12.0  # the cheapest genuine 10,000 mAh power bank
PER_GRAM_GOLD = 400.0  # gold jewellery per gram, well under the metal's own price
PER_GRAM_SILVER = 4.0  # silver jewellery per gram, half the metal's own price
SOLID_18K_ITEM = 300.0
CASHMERE_ITEM = 200.0
SILK_GARMENT_ITEM = 120.0
SILK_SMALL_ITEM = 30.0
JADE_ITEM = 150.0
PROJECTOR_8K = 3000.0
PORTABLE_POWER_BANK_MAH = 40000  # no pocket power bank holds more


def impossible_specs(text: str, price: float | None, normal: str | None = None) -> list[Evidence]:
    """Specifications no genuine product has at the listed price (2 TB for ¥39, 100,000 mAh in a pocket, 10 g of
    solid gold for ¥399), each with the figure it was judged against."""
    if price is None or not price == price or price <= 0:
        return []
    normal = lowered(text) if normal is None else normal
    found: list[str] = []
    if STORAGE_GOODS.search(normal):
        sizes = [float(n) / (1 if u in ("tb", "t") else 1000) for n, u in STORAGE.findall(normal)]
        tb = max(sizes, default=0)
        if tb >= 0.25 and price < PER_TB_STORAGE * tb:
            found.append(f"{tb:g} TB of storage for ¥{price:g} (genuine storage costs at least ¥{PER_TB_STORAGE:.0f} per TB)")
    mah = max((float(n) for n in MAH.findall(normal)), default=0)
    if mah >= 20000 and price < PER_10K_MAH * mah / 10000:
        found.append(f"{mah:,.0f} mAh for ¥{price:g} (a genuine power bank costs at least ¥{PER_10K_MAH:.0f} per 10,000 mAh)")
    elif mah > PORTABLE_POWER_BANK_MAH and PORTABLE.search(normal):
        found.append(f"{mah:,.0f} mAh in a pocket-sized power bank (none holds more than {PORTABLE_POWER_BANK_MAH:,})")
    watts = max((float(n) for n in WATTS.findall(normal)), default=0)
    if SPEAKER.search(normal) and PORTABLE.search(normal) and watts >= 300 and price < watts / 2:
        found.append(f"a portable speaker of {watts:,.0f} W for ¥{price:g}")
    if PROJECTOR.search(normal):
        lumens = max((float(n) for n in LUMENS.findall(normal)), default=0)
        if "8k" in normal and price < PROJECTOR_8K:
            found.append(f"an 8K projector for ¥{price:g} (none sells under ¥{PROJECTOR_8K:,.0f})")
        elif lumens >= 2000 and price < lumens / 3:
            found.append(f"a {lumens:,.0f}-lumen projector for ¥{price:g}")
    if not NOT_SOLID_GOLD.search(normal):
        if GOLD.search(normal):
            grams = max((float(n) for n in GRAMS.findall(normal)), default=0)
            if grams > 0 and price / grams < PER_GRAM_GOLD:
                found.append(f"{grams:g} g of solid gold for ¥{price:g}, ¥{price / grams:,.0f} per gram "
                             f"(gold jewellery costs at least ¥{PER_GRAM_GOLD:.0f} per gram)")
            elif grams == 0 and price < PER_GRAM_GOLD / 2:
                found.append(f"solid gold for ¥{price:g}, less than half a gram's worth")
        elif GOLD_18K.search(normal) and price < SOLID_18K_ITEM:
            found.append(f"18K gold jewellery for ¥{price:g} (under ¥{SOLID_18K_ITEM:.0f})")
    if SILVER.search(normal) and not NOT_SOLID_SILVER.search(normal):
        grams = max((float(n) for n in GRAMS.findall(normal)), default=0)
        if grams >= 5 and price / grams < PER_GRAM_SILVER:
            found.append(f"{grams:g} g of solid silver for ¥{price:g}, ¥{price / grams:,.1f} per gram "
                         f"(silver jewellery costs at least ¥{PER_GRAM_SILVER:.0f} per gram)")
    if CASHMERE.search(normal) and price < CASHMERE_ITEM:
        found.append(f"100% cashmere for ¥{price:g} (under ¥{CASHMERE_ITEM:.0f})")
    if SILK.search(normal):
        floor = SILK_GARMENT_ITEM if SILK_GARMENT.search(normal) else SILK_SMALL_ITEM
        if price < floor:
            found.append(f"pure silk for ¥{price:g} (under ¥{floor:.0f} for this kind of item)")
    if JADE.search(normal) and price < JADE_ITEM:
        found.append(f"natural jade for ¥{price:g} (under ¥{JADE_ITEM:.0f})")
    return [Evidence("impossible_specification", "false_advertising", 0.85, "specification impossible at this price: " + f)
            for f in found]


# --- All of it, for a batch of listings -------------------------------------------------------------------------

# A listing that names no catalogued brand but says it is one ("大牌", "专柜"): its factory story is about a brand.
BRAND_WORDS = re.compile(r"大牌|名牌|奢侈品|专柜|品牌原单|牌子货")


def listing_evidence(title: str, description: str | None, price: float | None, category: str | None,
                     cache: dict | None = None) -> list[Evidence]:
    """Everything the knowledge says about one listing, strongest first. ``cache``: a dict kept across a batch, so
    that a text seen before (the same title in many shops) is searched once; only its price is judged again."""
    text = f"{title or ''} {description or ''}"
    if cache is not None and text in cache:
        normal, cues, mentions = cache[text]
    else:
        normal = lowered(text)
        mentions = find_brands(text, normal=normal)
        cues = find_cues(text, normal=normal, branded=bool(mentions) or BRAND_WORDS.search(normal) is not None)
        if cache is not None:
            cache[text] = (normal, cues, mentions)
    evidence = cues + impossible_specs(text, price, normal)
    judgement = judge_price(title, description, price, category or None, mentions=mentions, normal=normal)
    if judgement is not None:
        code = "below_brand_floor" if judgement.probability > 0 else "brand_named"
        evidence.append(Evidence(code, "counterfeit", judgement.probability, judgement.reason))
    return sorted(evidence, key=lambda e: -e.probability)


def batch_evidence(frame: pd.DataFrame) -> list[list[Evidence]]:
    """:func:`listing_evidence` of every row (title, price; description and category when present)."""
    columns = {c: (frame[c].tolist() if c in frame else [None] * len(frame)) for c in ("title", "description", "price", "category")}
    cache: dict = {}
    out = []
    for title, description, price, category in zip(columns["title"], columns["description"], columns["price"], columns["category"]):
        price = None if price is None or price != price else float(price)
        out.append(listing_evidence(title if isinstance(title, str) else "", description if isinstance(description, str) else None,
                                    price, category if isinstance(category, str) else None, cache))
    return out


def _noisy_or(probabilities: list[float]) -> float:
    keep = 1.0
    for p in probabilities:
        keep *= 1 - p
    return 1 - keep


def knowledge_probabilities(evidence: list[Evidence]) -> tuple[float, float]:
    """P(counterfeit), P(false advertising) from the evidence: noisy-OR within each kind."""
    return tuple(_noisy_or([e.probability for e in evidence if e.kind == kind]) for kind in KINDS)  # type: ignore[return-value]


def overlay(kinds, evidence: list[list[Evidence]]) -> np.ndarray:
    """Kind probabilities (ok, counterfeit, false advertising) with the knowledge laid over them: P(problem) becomes at
    least the knowledge's, split between the kinds in proportion to the evidence."""
    kinds = np.array(kinds, dtype=float, copy=True)
    for i, found in enumerate(evidence):
        if not found:
            continue
        counterfeit, false_ad = knowledge_probabilities(found)
        known = 1 - (1 - counterfeit) * (1 - false_ad)
        if known > 1 - kinds[i, 0]:
            share = counterfeit / max(counterfeit + false_ad, 1e-9)
            kinds[i] = [1 - known, known * share, known * (1 - share)]
    return kinds


def merged_reasons(evidence: list[Evidence], model_reasons: str) -> str:
    """The knowledge's reasons first, then the model's not already said (as a reasons JSON list)."""
    said = {e.code for e in evidence}
    items = [item for item in (json.loads(model_reasons) if model_reasons else []) if item["code"] not in said]
    return json.dumps([*({"code": e.code, "text": e.text} for e in evidence), *items], ensure_ascii=False)


def with_knowledge(frame: pd.DataFrame, kinds, reasons: list[str]):
    """A model's kind probabilities and reasons with the knowledge laid over them (:func:`overlay`,
    :func:`merged_reasons`). ``frame`` needs title and price; description and category are used when present."""
    evidence = batch_evidence(frame)
    return overlay(kinds, evidence), [merged_reasons(e, r) if e else r for e, r in zip(evidence, reasons)]


def assess_listings(model, listings: pd.DataFrame, signals: pd.DataFrame, flag_at: float, only_flagged: bool = True,
                    parts: tuple[list[list[Evidence]], np.ndarray | None] | None = None):
    """What every path shows for a batch of listings: the model's kind probabilities with the knowledge laid over
    them. Returns (kind probabilities, kind names where P(problem) >= ``flag_at`` else None, reasons: for the flagged
    listings only unless ``only_flagged`` is False). The wording model runs once; reasons are written only for the
    listings that get them. ``parts``: :func:`own_parts` of the listings when already known (the nightly stage keeps
    them per listing)."""
    from trust.detect.listings.model import _kind_names

    evidence, text_proba = parts if parts is not None else own_parts(model, listings, signals)
    kinds = overlay(model.predict_kind_proba(signals, text_proba), evidence)
    flagged = 1 - kinds[:, 0] >= flag_at
    wanted = flagged if only_flagged else np.ones(len(kinds), dtype=bool)
    model_reasons = model.reasons(signals, only=wanted, text_proba=text_proba)
    reasons = [merged_reasons(e, r) if w and e else (r if w else "[]") for e, r, w in zip(evidence, model_reasons, wanted)]
    return kinds, np.where(flagged, _kind_names(kinds), None), reasons


def own_parts(model, listings: pd.DataFrame, signals: pd.DataFrame) -> tuple[list[list[Evidence]], np.ndarray | None]:
    """What a listing's own title, description, price and category say, whatever the market: the knowledge's evidence
    and the wording model's kind probabilities (None in rules mode)."""
    return batch_evidence(listings), model.text_proba(signals)


def evidence_json(evidence: list[Evidence]) -> str:
    return json.dumps([[e.code, e.kind, e.probability, e.text] for e in evidence], ensure_ascii=False)


def evidence_of(items: list) -> list[Evidence]:
    """Evidence from :func:`evidence_json`'s lists, parsed."""
    return [Evidence(code, kind, probability, words) for code, kind, probability, words in items]


@functools.cache
def knowledge_version() -> str:
    """Fingerprint of everything the evidence is computed from: the cue file, the brand catalogue, the domain
    dictionary and the code that reads them. Stored evidence under another fingerprint is computed again."""
    from trust import text
    from trust.detect.listings import brands as brand_catalogue

    return files_fingerprint([CUES, brand_catalogue.CATALOGUE, text.DOMAIN_DICTIONARY, Path(__file__),
                              Path(brand_catalogue.__file__), Path(text.__file__)])


def files_fingerprint(paths) -> str:
    """16 hex digits of SHA-256 over the files' bytes, in order: what stored results computed from them are kept under."""
    import hashlib

    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]
