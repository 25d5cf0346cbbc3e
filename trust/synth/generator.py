"""Generate a synthetic marketplace as landing files, with ground truth kept apart.

``generate_marketplace`` writes ``<out>/landing/<entity>/<date>/part-000.<fmt>`` for every entity and day,
and ``<out>/truth/*.csv`` with what was planted. It is deterministic for a seed, and works day by day
(vectorised within a day), so time and memory grow linearly with the number of orders and reviews.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from trust.ingest.contracts import CATEGORIES, ENTITY_ORDER
from trust.synth import text as T

log = logging.getLogger(__name__)

PROFILE_SHARES = {
    "honest": 0.60,
    "honest_new_small": 0.07,
    "honest_sale_burst": 0.06,
    "review_farm": 0.08,
    "counterfeit": 0.07,
    "false_ads": 0.05,
    "complaint_heavy": 0.07,
}
SHIFTED_VOCABULARIES = ("shifted", "heldout", "heldout2", "heldout3")  # listings in shifted wording; complaints per name
BAD_PROFILES = {"review_farm", "counterfeit", "false_ads", "complaint_heavy", "pyramid"}
SHOP_TYPE_RATE = {"brand_store": 14.0, "influencer": 10.0, "individual": 4.0, "reseller": 2.0}
RATINGS = {  # P(rating = 5, 4, 3, 2, 1)
    "honest": (0.60, 0.26, 0.07, 0.035, 0.035),
    "counterfeit": (0.33, 0.20, 0.12, 0.13, 0.22),
    "complaint_heavy": (0.28, 0.22, 0.18, 0.12, 0.20),
    "false_ads": (0.42, 0.20, 0.13, 0.10, 0.15),
}
COMPLAINT_RATE = {"honest": 0.005, "counterfeit": 0.05, "complaint_heavy": 0.07, "false_ads": 0.04,
                  "review_farm": 0.012, "pyramid": 0.02, "distributor": 0.006}
COMPLAINT_MIX = {
    "honest": {"quality_defect": 0.35, "not_delivered": 0.3, "not_as_described": 0.15, "after_sales_refused": 0.05, "other": 0.15},
    "counterfeit": {"counterfeit": 0.6, "quality_defect": 0.2, "not_as_described": 0.1, "after_sales_refused": 0.1},
    "complaint_heavy": {"not_delivered": 0.35, "after_sales_refused": 0.3, "quality_defect": 0.25, "other": 0.1},
    "false_ads": {"not_as_described": 0.6, "quality_defect": 0.3, "after_sales_refused": 0.1},
    "review_farm": {"quality_defect": 0.4, "not_as_described": 0.4, "not_delivered": 0.2},
    "pyramid": {"reseller_recruitment": 0.5, "quality_defect": 0.2, "not_as_described": 0.3},
}
REFUND = {  # P(refunded), refund reason mix
    "honest": (0.015, {"changed_mind": 0.6, "quality": 0.3, "not_delivered": 0.1}),
    "counterfeit": (0.07, {"counterfeit": 0.55, "quality": 0.3, "changed_mind": 0.15}),
    "complaint_heavy": (0.09, {"not_delivered": 0.45, "quality": 0.4, "changed_mind": 0.15}),
    "false_ads": (0.05, {"not_as_described": 0.6, "quality": 0.25, "changed_mind": 0.15}),
}
LATE = {"honest": 0.03, "complaint_heavy": 0.25}
CITIES = ["广州", "深圳", "杭州", "义乌", "上海", "北京", "成都", "武汉", "厦门", "莆田", "温州", "苏州"]
ANALYSTS = ["analyst_li", "analyst_wang", "analyst_zhang", "analyst_chen"]


@dataclass
class SynthConfig:
    merchants: int = 300
    days: int = 30
    seed: int = 7
    start_date: dt.date = dt.date(2026, 10, 1)
    out: Path = Path("var/synth")
    file_format: str = "csv"  # csv | jsonl | parquet | mixed
    dirty_rate: float = 0.0  # share of extra, deliberately broken rows per file
    order_rate_scale: float = 1.0
    vocabulary: str = "standard"  # standard | shifted: slang, claims, brands and complaint wording absent from data/
    # | heldout: shifted listings with complaint wording written after the lexicon was frozen (see synth/text.py)
    # | heldout2: shifted listings with a second held-out complaint wording, written before the grammar grew again
    # | heldout3: shifted listings with a third held-out complaint wording (2026-12-01), written before that session's work


@dataclass
class SynthSummary:
    out: Path
    first_date: dt.date
    last_date: dt.date
    rows: dict[str, int] = field(default_factory=dict)
    planted: dict[str, int] = field(default_factory=dict)


class _Writer:
    def __init__(self, config: SynthConfig):
        self.config = config
        self.rows: dict[str, int] = defaultdict(int)
        self.truth_dir = config.out / "truth"
        self.truth_dir.mkdir(parents=True, exist_ok=True)
        self._truth_headers: set[str] = set()

    def fmt(self, entity: str) -> str:
        if self.config.file_format != "mixed":
            return self.config.file_format
        return {"reviews": "jsonl", "orders": "parquet"}.get(entity, "csv")

    def landing(self, entity: str, day: dt.date, frame: pd.DataFrame) -> None:
        folder = self.config.out / "landing" / entity / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        fmt = self.fmt(entity)
        path = folder / f"part-000.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
        elif fmt == "jsonl":
            frame.to_json(path, orient="records", lines=True, force_ascii=False)
        elif fmt == "parquet":
            frame.astype(object).where(frame.notna(), None).astype(str).replace("None", None).to_parquet(path, index=False)
        else:
            raise ValueError(f"unknown file format {fmt!r}: use csv, jsonl, parquet or mixed")
        self.rows[entity] += len(frame)

    def truth(self, name: str, frame: pd.DataFrame) -> None:
        path = self.truth_dir / f"{name}.csv"
        first = name not in self._truth_headers
        frame.to_csv(path, index=False, mode="w" if first else "a", header=first)
        self._truth_headers.add(name)


def _ts(day: dt.date, seconds: np.ndarray) -> pd.Series:
    stamps = pd.Timestamp(day) + pd.to_timedelta(seconds, unit="s")
    return pd.Series(stamps).dt.strftime("%Y-%m-%dT%H:%M:%S")


def _choice(rng: np.random.Generator, mix: dict[str, float], size: int) -> np.ndarray:
    keys = list(mix)
    probs = np.array([mix[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=size, p=probs / probs.sum())]


def _ids(prefix: str, start: int, count: int, width: int = 9) -> list[str]:
    return [f"{prefix}{i:0{width}d}" for i in range(start, start + count)]


def generate_marketplace(config: SynthConfig, on_day=None) -> SynthSummary:
    """Write landing files and ground truth for ``config.days`` business days starting ``config.start_date``.
    ``on_day(date)`` is called after each day is written (for progress bars)."""
    if config.merchants < 20:
        raise ValueError(f"merchants={config.merchants}: need at least 20 to plant every kind of shop")
    if config.days < 1:
        raise ValueError(f"days={config.days}: need at least one day")
    rng = np.random.default_rng(config.seed)
    writer = _Writer(config)
    brands = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "brands.csv")
    if config.vocabulary in SHIFTED_VOCABULARIES:  # brands the lexicon has never seen
        brands = pd.DataFrame(T.SHIFTED_BRANDS, columns=["brand", "name_zh", "category", "reference_price"]).assign(aliases="")
    elif config.vocabulary != "standard":
        raise ValueError(f"vocabulary must be standard, {', '.join(SHIFTED_VOCABULARIES)}, not {config.vocabulary!r}")
    m = _merchants(rng, config)
    listings = _listings(rng, m, brands, config)
    networks = _networks(rng, m, config)
    buyers = _Buyers(rng, config, m)
    offsets = _merchant_offsets(m, listings)
    rings = _farm_rings(rng, m)
    days = [config.start_date + dt.timedelta(days=i) for i in range(config.days)]
    pending: dict[int, dict[str, list[pd.DataFrame]]] = defaultdict(lambda: defaultdict(list))
    counters = {"order": 1, "review": 1, "complaint": 1, "check": 1, "label": 1}
    farm_burst = rng.random((len(m), config.days)) < 0.3
    sale_day = rng.integers(config.days // 3, max(config.days // 3 + 1, config.days), len(m))

    for d, day in enumerate(days):
        out: dict[str, list[pd.DataFrame]] = defaultdict(list)
        active = m["registered_day"].to_numpy() <= d
        merchants_today = m.loc[active, ["merchant_id", "name", "shop_type", "category", "city", "registered_at", "deposit", "verified"]]
        out["merchants"].append(merchants_today)
        new_listings = listings[(listings["listed_day"] == d)]
        out["listings"].append(new_listings[["listing_id", "merchant_id", "title", "description", "brand", "category", "price", "listed_at"]])

        orders = _orders(rng, config, m, listings, offsets, buyers, d, day, active, sale_day, counters)
        agent_orders = _agent_orders(rng, m, listings, offsets, networks, d, day, counters)
        farm_orders, farm_reviews = _farm_activity(rng, m, listings, offsets, rings, farm_burst, d, day, counters, config)
        all_orders = pd.concat([orders, agent_orders, farm_orders], ignore_index=True)
        out["orders"].append(all_orders.drop(columns=["_profile", "_rating_profile"], errors="ignore"))
        reviews = _genuine_reviews(rng, orders, buyers, d, config, counters)
        complaints = _complaints(rng, all_orders, m, d, config, counters)
        for target_day, frame in _split_by_day(reviews, "created_at", config.start_date):
            pending[target_day]["reviews"].append(frame)
        for target_day, frame in _split_by_day(complaints, "created_at", config.start_date):
            pending[target_day]["complaints"].append(frame)
        pending[d]["reviews"].append(farm_reviews)
        out["reviews"] = pending[d]["reviews"]
        out["complaints"] = pending[d]["complaints"]
        out["spot_checks"].append(_spot_checks(rng, listings, m, d, day, counters))
        links = networks[networks["joined_day"] == d] if d > 0 else networks[networks["joined_day"] <= 0]
        out["agent_links"].append(links[["link_id", "recruiter_id", "recruit_id", "entry_fee", "joined_at"]])
        reviews_today = pd.concat(out["reviews"], ignore_index=True) if out["reviews"] else pd.DataFrame()
        out["moderation_labels"].append(_labels(rng, reviews_today, listings, d, day, counters))
        del pending[d]

        for entity in ENTITY_ORDER:
            frames = [f for f in out[entity] if f is not None and len(f.columns)]
            frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
            truth_columns = [c for c in frame.columns if c.startswith("_")]
            if entity == "reviews" and len(frame):
                writer.truth("reviews", frame[["review_id", "merchant_id", "_is_fake", "_ring"]].rename(columns=lambda c: c.lstrip("_")))
            if entity == "complaints" and len(frame):
                writer.truth("complaints", frame[["complaint_id", "merchant_id", "_category"]].rename(columns=lambda c: c.lstrip("_")))
            frame = frame.drop(columns=truth_columns)
            if frame.empty:
                frame = pd.DataFrame(columns=_COLUMNS[entity])
            frame = frame[_COLUMNS[entity]]
            if config.dirty_rate > 0 and len(frame):
                frame = _add_dirty_rows(rng, entity, frame, config.dirty_rate, day)
            writer.landing(entity, day, frame)
        log.info("synth %s: %s", day, {e: writer.rows[e] for e in ("orders", "reviews")})
        if on_day is not None:
            on_day(day)

    writer.truth("merchants", m[["merchant_id", "profile", "shop_type", "category", "network_id", "network_kind", "network_role", "ring_id"]])
    writer.truth("listings", listings[["listing_id", "merchant_id", "_kind"]].rename(columns={"_kind": "kind"}))
    writer.truth("networks", networks[["link_id", "recruiter_id", "recruit_id", "network_id", "network_kind", "level"]])
    planted = m["profile"].value_counts().to_dict()
    return SynthSummary(config.out, days[0], days[-1], dict(writer.rows), {str(k): int(v) for k, v in planted.items()})


_COLUMNS = {
    "merchants": ["merchant_id", "name", "shop_type", "category", "city", "registered_at", "deposit", "verified"],
    "listings": ["listing_id", "merchant_id", "title", "description", "brand", "category", "price", "listed_at"],
    "orders": ["order_id", "merchant_id", "listing_id", "buyer_id", "amount", "quantity", "status", "refund_reason", "shipped_late", "ordered_at"],
    "reviews": ["review_id", "merchant_id", "listing_id", "order_id", "reviewer_id", "reviewer_registered_at", "rating", "text", "created_at"],
    "complaints": ["complaint_id", "merchant_id", "order_id", "listing_id", "buyer_id", "text", "status", "created_at"],
    "spot_checks": ["check_id", "listing_id", "merchant_id", "result", "notes", "checked_at"],
    "agent_links": ["link_id", "recruiter_id", "recruit_id", "entry_fee", "joined_at"],
    "moderation_labels": ["label_id", "entity_type", "entity_id", "label", "analyst", "note", "decided_at"],
}


# --- merchants, listings, networks ----------------------------------------------------------------


def _merchants(rng: np.random.Generator, config: SynthConfig) -> pd.DataFrame:
    n = config.merchants
    n_pyramid = 0 if n < 120 else max(36, int(n * 0.10))
    n_distribution = 0 if n < 120 else max(12, int(n * 0.06))
    n_regular = n - n_pyramid - n_distribution
    profiles = list(_choice(rng, PROFILE_SHARES, n_regular)) + ["pyramid"] * n_pyramid + ["distributor"] * n_distribution
    profiles = np.array(profiles, dtype=object)
    order = rng.permutation(n)
    profiles = profiles[order]
    shop_type = _choice(rng, {"individual": 0.45, "brand_store": 0.2, "influencer": 0.25, "reseller": 0.1}, n)
    shop_type[profiles == "pyramid"] = "reseller"
    shop_type[profiles == "distributor"] = "reseller"
    category = _choice(rng, {c: 1.0 for c in CATEGORIES}, n)
    false_ads = profiles == "false_ads"
    category[false_ads] = _choice(rng, {"美妆护肤": 0.5, "保健品": 0.35, "食品": 0.15}, int(false_ads.sum()))
    counterfeit = profiles == "counterfeit"
    category[counterfeit] = _choice(rng, {"箱包": 0.3, "手表": 0.2, "美妆护肤": 0.2, "女装": 0.15, "数码": 0.15}, int(counterfeit.sum()))
    network_like = np.isin(profiles, ["pyramid", "distributor"])
    category[network_like] = _choice(rng, {"美妆护肤": 0.5, "保健品": 0.3, "母婴": 0.2}, int(network_like.sum()))
    # New small shops open during the period; everyone else was established 2 months to 3 years before it.
    registered_day = np.where(profiles == "honest_new_small", rng.integers(0, max(1, config.days), n), -rng.integers(60, 1200, n))
    base_rate = np.array([SHOP_TYPE_RATE[s] for s in shop_type]) * rng.lognormal(0, 0.5, n) * config.order_rate_scale
    base_rate[profiles == "honest_new_small"] = rng.uniform(0.1, 0.6, int((profiles == "honest_new_small").sum()))
    base_rate[profiles == "pyramid"] *= 0.3
    registered_at = [
        (pd.Timestamp(config.start_date) + pd.Timedelta(days=int(rd)) + pd.Timedelta(seconds=int(s))).strftime("%Y-%m-%dT%H:%M:%S+08:00")
        for rd, s in zip(registered_day, rng.integers(8 * 3600, 20 * 3600, n))
    ]
    deposit = np.select([shop_type == "brand_store", shop_type == "influencer", shop_type == "individual"], [50000.0, 10000.0, 2000.0], 1000.0)
    deposit = np.where(rng.random(n) < 0.15, 0.0, deposit)
    ids = [f"M{i:06d}" for i in range(1, n + 1)]
    names = [f"{city}{word}{suffix}" for city, word, suffix in zip(
        _choice(rng, {c: 1 for c in CITIES}, n), _choice(rng, {w: 1 for w in ["优品", "小铺", "好物", "严选", "潮店", "精品", "生活馆", "美妆", "母婴馆", "数码城"]}, n),
        _choice(rng, {s: 1 for s in ["", "店", "旗舰店", "工作室", "专营店"]}, n))]
    return pd.DataFrame({
        "merchant_id": ids, "name": names, "shop_type": shop_type, "category": category,
        "city": _choice(rng, {c: 1 for c in CITIES}, n), "registered_at": registered_at, "deposit": deposit,
        "verified": np.where((shop_type == "brand_store") | (rng.random(n) < 0.6), "true", "false"),
        "profile": profiles, "registered_day": registered_day, "rate": base_rate,
        "network_id": "", "network_kind": "", "network_role": "", "ring_id": "",
    })


def _listings(rng: np.random.Generator, m: pd.DataFrame, brands: pd.DataFrame, config: SynthConfig) -> pd.DataFrame:
    counts = np.select([m["shop_type"] == "brand_store", m["shop_type"] == "influencer", m["shop_type"] == "reseller"],
                       [rng.integers(8, 20, len(m)), rng.integers(5, 12, len(m)), rng.integers(2, 5, len(m))],
                       rng.integers(3, 10, len(m)))
    rows = []
    counter = 1
    shifted = config.vocabulary in SHIFTED_VOCABULARIES
    for merchant, count in zip(m.itertuples(index=False), counts):
        category = merchant.category
        cat_brands = brands[brands["category"] == category]
        for _ in range(int(count)):
            product = T.PRODUCTS[category][rng.integers(len(T.PRODUCTS[category]))]
            low, high = T.PRICE_RANGE[category]
            price = float(np.round(rng.uniform(low, high), 0))
            brand = ""
            kind = "generic"
            tag = T.HONEST_TITLE_TAGS[rng.integers(len(T.HONEST_TITLE_TAGS))]
            title = f"{tag} {product}".strip()
            description = f"{product}，{category}，品质保障，支持七天无理由退换"
            if shifted:
                pool = T.SHIFTED_DESCRIPTIONS["generic"]
                description = pool[rng.integers(len(pool))].format(product=product, category=category)
            roll = rng.random()
            if merchant.profile == "counterfeit" and roll < 0.65 and len(cat_brands):
                b = cat_brands.iloc[rng.integers(len(cat_brands))]
                kind = "counterfeit"
                slang = T.SHIFTED_COUNTERFEIT_TAGS if shifted else T.COUNTERFEIT_TAGS
                tags = [slang[i] for i in rng.choice(len(slang), 2, replace=False)]
                if not shifted and rng.random() < 0.3:
                    tags[0] = T.COUNTERFEIT_EVASIONS[rng.integers(len(T.COUNTERFEIT_EVASIONS))]
                name = b["name_zh"] if rng.random() < 0.6 else b["brand"]
                brand = b["brand"] if rng.random() < 0.5 else ""
                title = f"{tags[0]}{name}{product} {tags[1]}"
                description = f"{tags[1]}品质，和专柜一样，{name}{product}，不是正品不要钱"
                if shifted:
                    pool = T.SHIFTED_DESCRIPTIONS["counterfeit"]
                    description = pool[rng.integers(len(pool))].format(name=name, product=product, tag=tags[1])
                price = float(np.round(b["reference_price"] * rng.uniform(0.03, 0.2), 0))
            elif merchant.profile == "false_ads" and roll < 0.55:
                kind = "false_claim"
                pool = T.SHIFTED_CLAIMS if shifted else T.CLAIMS
                claims = [pool[i] for i in rng.choice(len(pool), 2, replace=False)]
                title = f"{product} {claims[0]} {claims[1]}"
                description = f"{claims[0]}，{product}，{claims[1]}，无效退款"
                if shifted:
                    pool = T.SHIFTED_DESCRIPTIONS["false_claim"]
                    description = pool[rng.integers(len(pool))].format(product=product, claim0=claims[0], claim1=claims[1])
            elif len(cat_brands) and ((merchant.shop_type in ("brand_store", "influencer") and roll < 0.5) or roll < 0.12):
                b = cat_brands.iloc[rng.integers(len(cat_brands))]
                kind = "authorised_brand"
                brand = b["brand"]
                title = f"{b['name_zh']} {b['brand']} {product} {'官方授权' if rng.random() < 0.5 else '正品'}"
                price = float(np.round(b["reference_price"] * rng.uniform(0.85, 1.3), 0))
            elif category == "数码" and roll < 0.35:
                kind = "accessory"
                digital = brands[brands["category"] == "数码"]
                b = digital.iloc[rng.integers(min(3, len(digital)))]
                item = T.ACCESSORIES[rng.integers(len(T.ACCESSORIES))]
                title = T.ACCESSORY_TEMPLATES[rng.integers(len(T.ACCESSORY_TEMPLATES))].format(brand=b["brand"], item=item)
                price = float(rng.integers(9, 59))
            if rng.random() < 0.06:
                title = T.traditional(title)
            registered_day = int(merchant.registered_day)
            if registered_day < 0:  # an established shop: listed some time before the first landing day
                listed_day, offset = 0, int(rng.integers(registered_day, 0)) * 86400 + int(rng.integers(0, 86400))
            else:
                listed_day, offset = registered_day, registered_day * 86400 + int(rng.integers(72000, 86000))
            listed_at = (pd.Timestamp(config.start_date) + pd.Timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%S")
            rows.append((f"L{counter:08d}", merchant.merchant_id, title, description, brand, category, price,
                         listed_at, listed_day, kind))
            counter += 1
    frame = pd.DataFrame(rows, columns=["listing_id", "merchant_id", "title", "description", "brand", "category", "price",
                                        "listed_at", "listed_day", "_kind"])
    frame["brand"] = frame["brand"].replace("", None)
    return frame


def _networks(rng: np.random.Generator, m: pd.DataFrame, config: SynthConfig) -> pd.DataFrame:
    """Reseller forests: pyramids (deep, entry fees, stock stuffing) and legitimate distribution chains."""
    rows = []
    link = 1
    for kind, profile, fee_levels in (("pyramid", "pyramid", (0.0, 3980.0, 1980.0, 980.0)), ("distribution", "distributor", (0.0, 0.0, 0.0, 0.0))):
        members = m.index[m["profile"] == profile].to_numpy()
        if len(members) == 0:
            continue
        # Chain sizes vary: some pyramids are still below the legal line (emerging), some legitimate chains
        # are larger than it (they must still not be flagged).
        low, high = (15, 90) if kind == "pyramid" else (10, 50)
        groups, start = [], 0
        while start < len(members):
            size = int(rng.integers(low, high))
            if len(members) - start - size < low:
                size = len(members) - start
            groups.append(members[start:start + size])
            start += size
        for g, group in enumerate(groups):
            network_id = f"{kind[:3].upper()}{g + 1:03d}"
            root = group[0]
            m.loc[group, "network_id"] = network_id
            m.loc[group, "network_kind"] = kind
            m.loc[root, "network_role"] = "root"
            levels = {root: 0}
            if kind == "pyramid":
                first = group[1: 1 + max(3, len(group) // 8)]
            else:
                first = group[1: 1 + max(3, len(group) // 4)]
            rest = group[1 + len(first):]
            for member in first:
                levels[member] = 1
            second = rest[: int(len(rest) * (0.7 if kind == "pyramid" else 1.0))]
            third = rest[len(second):]
            for member in second:
                levels[member] = 2
            for member in third:
                levels[member] = 3
            for member in group[1:]:
                level = levels[member]
                if level == 1:
                    recruiter = root
                else:
                    candidates = [x for x in group if levels.get(x) == level - 1]
                    recruiter = candidates[rng.integers(len(candidates))]
                if kind == "pyramid":
                    m.loc[member, "network_role"] = "upline" if level == 1 else "downline"
                else:
                    m.loc[member, "network_role"] = "distributor"
                joined_day = int(rng.integers(-90, config.days)) if kind == "pyramid" else int(rng.integers(-400, 0))
                seconds = int(rng.integers(9 * 3600, 22 * 3600))
                joined_at = (pd.Timestamp(config.start_date) + pd.Timedelta(days=joined_day, seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
                fee = fee_levels[level] if kind == "pyramid" else (500.0 if rng.random() < 0.3 else 0.0)  # refundable deposit
                rows.append((f"A{link:08d}", m.at[recruiter, "merchant_id"], m.at[member, "merchant_id"], fee,
                             joined_at, max(joined_day, 0), network_id, kind, level))
                link += 1
    frame = pd.DataFrame(rows, columns=["link_id", "recruiter_id", "recruit_id", "entry_fee", "joined_at", "joined_day",
                                        "network_id", "network_kind", "level"])
    return frame


class _Buyers:
    """A pool of consumer accounts with registration dates."""

    def __init__(self, rng: np.random.Generator, config: SynthConfig, m: pd.DataFrame):
        expected_orders = float(m["rate"].sum()) * config.days
        self.size = int(max(2000, expected_orders / 2.5))
        self.registered = pd.Timestamp(config.start_date) - pd.to_timedelta(rng.integers(20, 2500, self.size), unit="D")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # Zipf-like activity: some buyers order often.
        return (rng.pareto(1.2, n) * self.size / 40).astype(int) % self.size


# --- daily activity --------------------------------------------------------------------------------


def _merchant_offsets(m: pd.DataFrame, listings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    position = pd.Series(np.arange(len(m)), index=m["merchant_id"])
    merchant_pos = position[listings["merchant_id"]].to_numpy()
    counts = np.bincount(merchant_pos, minlength=len(m))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return starts, counts


def _pick_listings(rng, offsets, merchant_pos: np.ndarray) -> np.ndarray:
    starts, counts = offsets
    return starts[merchant_pos] + (rng.random(len(merchant_pos)) * counts[merchant_pos]).astype(int)


def _orders(rng, config, m, listings, offsets, buyers, d, day, active, sale_day, counters) -> pd.DataFrame:
    weekday = day.weekday()
    factor = 1.15 if weekday >= 5 else 1.0
    rate = m["rate"].to_numpy() * factor * active
    profiles = m["profile"].to_numpy()
    burst = (profiles == "honest_sale_burst") & (sale_day == d)
    rate = np.where(burst, rate * 6.0, rate)
    counts = rng.poisson(rate)
    merchant_pos = np.repeat(np.arange(len(m)), counts)
    n = len(merchant_pos)
    if n == 0:
        return pd.DataFrame(columns=_COLUMNS["orders"] + ["_profile"])
    listing_pos = _pick_listings(rng, offsets, merchant_pos)
    quantity = np.where(rng.random(n) < 0.88, 1, rng.integers(2, 4, n))
    price = listings["price"].to_numpy()[listing_pos]
    profile = profiles[merchant_pos]
    refund_p = np.array([REFUND.get(p, REFUND["honest"])[0] for p in profile])
    roll = rng.random(n)
    status = np.where(roll < refund_p, "refunded", np.where(roll < refund_p + 0.03, "cancelled", "completed"))
    reason = np.full(n, None, dtype=object)
    refunded = status == "refunded"
    for p in np.unique(profile[refunded]):
        mask = refunded & (profile == p)
        reason[mask] = _choice(rng, REFUND.get(p, REFUND["honest"])[1], int(mask.sum()))
    late = rng.random(n) < np.array([LATE.get(p, 0.06) for p in profile])
    seconds = np.clip(rng.normal(15 * 3600, 4 * 3600, n), 0, 86399).astype(int)
    ids = _ids("O", counters["order"], n)
    counters["order"] += n
    return pd.DataFrame({
        "order_id": ids, "merchant_id": m["merchant_id"].to_numpy()[merchant_pos],
        "listing_id": listings["listing_id"].to_numpy()[listing_pos],
        "buyer_id": [f"U{b:08d}" for b in buyers.sample(rng, n)],
        "amount": np.round(price * quantity * rng.uniform(0.9, 1.0, n), 2), "quantity": quantity,
        "status": status, "refund_reason": reason, "shipped_late": np.where(late & (status != "cancelled"), "true", "false"),
        "ordered_at": _ts(day, seconds).to_numpy(), "_profile": profile,
    })


def _agent_orders(rng, m, listings, offsets, networks, d, day, counters) -> pd.DataFrame:
    """Agents buying stock from their recruiter: heavy and frequent in pyramids (stuffing), modest in distribution."""
    if networks.empty:
        return pd.DataFrame(columns=_COLUMNS["orders"])
    joined = networks[networks["joined_day"] <= d]
    p = np.where(joined["network_kind"].to_numpy() == "pyramid", 0.2, 0.05)
    buying = joined[rng.random(len(joined)) < p]
    n = len(buying)
    if n == 0:
        return pd.DataFrame(columns=_COLUMNS["orders"])
    position = pd.Series(np.arange(len(m)), index=m["merchant_id"])
    upline_pos = position[buying["recruiter_id"]].to_numpy()
    listing_pos = _pick_listings(rng, offsets, upline_pos)
    pyramid = buying["network_kind"].to_numpy() == "pyramid"
    quantity = np.where(pyramid, rng.integers(30, 120, n), rng.integers(5, 20, n))  # distributors restock what they sell
    unit = listings["price"].to_numpy()[listing_pos] * np.where(pyramid, 0.9, 0.6)
    ids = _ids("O", counters["order"], n)
    counters["order"] += n
    seconds = rng.integers(9 * 3600, 21 * 3600, n)
    return pd.DataFrame({
        "order_id": ids, "merchant_id": buying["recruiter_id"].to_numpy(), "listing_id": listings["listing_id"].to_numpy()[listing_pos],
        "buyer_id": buying["recruit_id"].to_numpy(), "amount": np.round(unit * quantity, 2), "quantity": quantity,
        "status": "completed", "refund_reason": None, "shipped_late": "false", "ordered_at": _ts(day, seconds).to_numpy(),
    })


def _farm_rings(rng, m: pd.DataFrame) -> dict[str, dict]:
    farms = m.index[m["profile"] == "review_farm"].to_numpy()
    rings = {}
    for r, group in enumerate(np.array_split(farms, max(1, len(farms) // 4)) if len(farms) else []):
        ring_id = f"RING{r + 1:03d}"
        m.loc[group, "ring_id"] = ring_id
        pool = int(rng.integers(25, 70))
        rings[ring_id] = {
            "members": group,
            "accounts": [f"U{v:08d}" for v in rng.integers(50_000_000, 99_999_999, pool)],
            "offset_days": rng.integers(0, 15, pool),
            "seed": int(rng.integers(1 << 30)),
        }
    return rings


def _farm_activity(rng, m, listings, offsets, rings, farm_burst, d, day, counters, config) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bursts of bought five-star reviews from a ring's shared, fresh accounts (some with tiny fake orders)."""
    order_frames, review_frames = [], []
    for ring_id, ring in rings.items():
        for pos in ring["members"]:
            if not farm_burst[pos, d] or m.at[pos, "registered_day"] > d:
                continue
            n = int(rng.integers(8, 35))
            accounts = rng.choice(len(ring["accounts"]), size=min(n, len(ring["accounts"])), replace=False)
            n = len(accounts)
            start = int(rng.integers(9 * 3600, 20 * 3600))
            seconds = np.clip(start + rng.integers(0, 3 * 3600, n), 0, 86399)
            listing_pos = _pick_listings(rng, offsets, np.full(n, pos))
            with_order = rng.random(n) < 0.4
            order_ids = np.full(n, None, dtype=object)
            k = int(with_order.sum())
            if k:
                ids = _ids("O", counters["order"], k)
                counters["order"] += k
                order_ids[with_order] = ids
                order_frames.append(pd.DataFrame({
                    "order_id": ids, "merchant_id": m.at[pos, "merchant_id"], "listing_id": listings["listing_id"].to_numpy()[listing_pos[with_order]],
                    "buyer_id": np.array(ring["accounts"], dtype=object)[accounts[with_order]], "amount": np.round(rng.uniform(1, 9.9, k), 2),
                    "quantity": 1, "status": "completed", "refund_reason": None, "shipped_late": "false",
                    "ordered_at": _ts(day, np.maximum(seconds[with_order] - 600, 0)).to_numpy(),
                }))
            registered = pd.Timestamp(config.start_date) + pd.to_timedelta(ring["offset_days"][accounts] - 15, unit="D")
            ids = _ids("R", counters["review"], n)
            counters["review"] += n
            review_frames.append(pd.DataFrame({
                "review_id": ids, "merchant_id": m.at[pos, "merchant_id"], "listing_id": listings["listing_id"].to_numpy()[listing_pos],
                "order_id": order_ids, "reviewer_id": np.array(ring["accounts"], dtype=object)[accounts],
                "reviewer_registered_at": pd.Series(registered).dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(),
                "rating": np.where(rng.random(n) < 0.95, 5, 4), "text": T.farm_reviews(rng, n, ring["seed"]),
                "created_at": _ts(day, seconds).to_numpy(), "_is_fake": 1, "_ring": ring_id,
            }))
    orders = pd.concat(order_frames, ignore_index=True) if order_frames else pd.DataFrame(columns=_COLUMNS["orders"])
    reviews = pd.concat(review_frames, ignore_index=True) if review_frames else pd.DataFrame(columns=_COLUMNS["reviews"] + ["_is_fake", "_ring"])
    return orders, reviews


def _genuine_reviews(rng, orders: pd.DataFrame, buyers, d, config, counters) -> pd.DataFrame:
    if orders.empty:
        return pd.DataFrame(columns=_COLUMNS["reviews"] + ["_is_fake", "_ring"])
    completed = orders[(orders["status"] == "completed")]
    completed = completed[rng.random(len(completed)) < 0.55]
    n = len(completed)
    profile = completed["_profile"].to_numpy()
    ratings = np.empty(n, dtype=int)
    for p in np.unique(profile):
        mask = profile == p
        probs = RATINGS.get(p, RATINGS["honest"])
        ratings[mask] = rng.choice([5, 4, 3, 2, 1], size=int(mask.sum()), p=probs)
    lag = rng.geometric(0.45, n) - 1
    ordered = pd.to_datetime(completed["ordered_at"]).to_numpy()
    created = ordered + pd.to_timedelta(lag, unit="D").to_numpy() + pd.to_timedelta(rng.integers(3600, 12 * 3600, n), unit="s").to_numpy()
    buyer_index = completed["buyer_id"].str.slice(1).astype(int).to_numpy()
    registered = buyers.registered[buyer_index]
    ids = _ids("R", counters["review"], n)
    counters["review"] += n
    order_ids = np.where(rng.random(n) < 0.98, completed["order_id"].to_numpy(), None)
    return pd.DataFrame({
        "review_id": ids, "merchant_id": completed["merchant_id"].to_numpy(), "listing_id": completed["listing_id"].to_numpy(),
        "order_id": order_ids, "reviewer_id": completed["buyer_id"].to_numpy(),
        "reviewer_registered_at": pd.Series(registered).dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(),
        "rating": ratings, "text": T.genuine_reviews(rng, ratings), "created_at": pd.Series(created).dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(),
        "_is_fake": 0, "_ring": "",
    })


def _complaints(rng, orders: pd.DataFrame, m: pd.DataFrame, d, config, counters) -> pd.DataFrame:
    if orders.empty:
        return pd.DataFrame(columns=_COLUMNS["complaints"] + ["_category"])
    profile_of = dict(zip(m["merchant_id"], m["profile"]))
    profile = orders["merchant_id"].map(profile_of).to_numpy()
    rate = np.array([COMPLAINT_RATE.get(p, COMPLAINT_RATE["honest"]) for p in profile])
    rate = np.where(orders["status"].to_numpy() == "refunded", rate * 4, rate)
    chosen = orders[rng.random(len(orders)) < rate]
    n = len(chosen)
    if n == 0:
        return pd.DataFrame(columns=_COLUMNS["complaints"] + ["_category"])
    chosen_profile = chosen["merchant_id"].map(profile_of).to_numpy()
    categories = np.empty(n, dtype=object)
    for p in np.unique(chosen_profile):
        mask = chosen_profile == p
        categories[mask] = _choice(rng, COMPLAINT_MIX.get(p, COMPLAINT_MIX["honest"]), int(mask.sum()))
    bad = np.isin(chosen_profile, list(BAD_PROFILES))
    status = np.where(bad, _choice(rng, {"resolved_for_buyer": 0.55, "open": 0.3, "resolved_for_merchant": 0.1, "withdrawn": 0.05}, n),
                      _choice(rng, {"resolved_for_buyer": 0.3, "open": 0.2, "resolved_for_merchant": 0.35, "withdrawn": 0.15}, n))
    ordered = pd.to_datetime(chosen["ordered_at"]).to_numpy()
    created = ordered + pd.to_timedelta(rng.integers(1, 9, n), unit="D").to_numpy() + pd.to_timedelta(rng.integers(0, 8 * 3600, n), unit="s").to_numpy()
    ids = _ids("C", counters["complaint"], n)
    counters["complaint"] += n
    return pd.DataFrame({
        "complaint_id": ids, "merchant_id": chosen["merchant_id"].to_numpy(), "order_id": chosen["order_id"].to_numpy(),
        "listing_id": chosen["listing_id"].to_numpy(), "buyer_id": chosen["buyer_id"].to_numpy(),
        "text": T.complaint_texts(rng, list(categories), vocabulary=config.vocabulary), "status": status,
        "created_at": pd.Series(created).dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(), "_category": categories,
    })


def _split_by_day(frame: pd.DataFrame, column: str, start: dt.date):
    if frame.empty:
        return []
    day_index = (pd.to_datetime(frame[column]).dt.normalize() - pd.Timestamp(start)).dt.days.to_numpy()
    return [(int(k), frame[day_index == k]) for k in np.unique(day_index)]


def _spot_checks(rng, listings, m, d, day, counters) -> pd.DataFrame:
    available = listings[listings["listed_day"] <= d]
    n = max(1, int(round(len(available) * 0.004)))
    chosen = available.iloc[rng.choice(len(available), size=min(n, len(available)), replace=False)]
    kind = chosen["_kind"].to_numpy()
    profile = chosen["merchant_id"].map(dict(zip(m["merchant_id"], m["profile"]))).to_numpy()
    roll = rng.random(len(chosen))
    result = np.where((kind == "counterfeit") & (roll < 0.85), "counterfeit",
              np.where((kind == "false_claim") & (roll < 0.45), "not_as_described",
               np.where((profile == "complaint_heavy") & (roll < 0.2), "quality_defect",
                np.where(roll < 0.02, "quality_defect", "pass"))))
    notes = np.select([result == "counterfeit", result == "not_as_described", result == "quality_defect"],
                      ["送检结果：非品牌正品，防伪码无效", "成分与宣传不符", "做工瑕疵，质检不合格"], "抽检合格")
    ids = _ids("S", counters["check"], len(chosen), 7)
    counters["check"] += len(chosen)
    return pd.DataFrame({"check_id": ids, "listing_id": chosen["listing_id"].to_numpy(), "merchant_id": chosen["merchant_id"].to_numpy(),
                         "result": result, "notes": notes, "checked_at": _ts(day, rng.integers(10 * 3600, 18 * 3600, len(chosen))).to_numpy()})


def _labels(rng, reviews: pd.DataFrame, listings: pd.DataFrame, d, day, counters) -> pd.DataFrame:
    """Analysts' decisions on a small daily sample: the ground truth for training, with a little noise."""
    rows = []
    if len(reviews):
        sample = reviews.iloc[rng.choice(len(reviews), size=min(15, len(reviews)), replace=False)]
        rows += [("review", rid, bool(fake)) for rid, fake in zip(sample["review_id"], sample["_is_fake"])]
    available = listings[listings["listed_day"] <= d]
    sample = available.iloc[rng.choice(len(available), size=min(5, len(available)), replace=False)]
    rows += [("listing", lid, kind) for lid, kind in zip(sample["listing_id"], sample["_kind"])]
    n = len(rows)
    ids = _ids("Q", counters["label"], n, 7)
    counters["label"] += n
    labels = []
    for entity_type, _, truth in rows:
        flip = rng.random() < 0.03
        if entity_type == "review":
            labels.append("fake_review" if truth != flip else "genuine")
        else:
            bad = truth in ("counterfeit", "false_claim")
            labels.append(("counterfeit" if truth == "counterfeit" else "false_advertising") if bad != flip else "ok")
    return pd.DataFrame({"label_id": ids, "entity_type": [r[0] for r in rows], "entity_id": [r[1] for r in rows], "label": labels,
                         "analyst": _choice(rng, {a: 1 for a in ANALYSTS}, n), "note": None,
                         "decided_at": _ts(day, rng.integers(20 * 3600, 23 * 3600, n)).to_numpy()})


def _broken_links(rng, broken: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Recruitment links that would corrupt the forest: self-links, cycles, repeated pairs."""
    for i, row in enumerate(broken.index):
        broken.at[row, "link_id"] = f"BAD{day:%m%d}{i:05d}"
        defect = rng.integers(3)
        if defect == 0:
            broken.at[row, "recruit_id"] = broken.at[row, "recruiter_id"]
        elif defect == 1:
            broken.at[row, "recruiter_id"], broken.at[row, "recruit_id"] = broken.at[row, "recruit_id"], broken.at[row, "recruiter_id"]
        # defect 2: the same recruiter and recruit again under a new link id
    return broken


def _add_dirty_rows(rng, entity: str, frame: pd.DataFrame, rate: float, day: dt.date) -> pd.DataFrame:
    """Append broken copies of some rows, each with one kind of defect, for quarantine demos and tests."""
    k = rng.binomial(len(frame), rate)
    if k == 0:
        return frame
    broken = frame.iloc[rng.choice(len(frame), size=k)].copy().astype(object)
    key = _COLUMNS[entity][0]
    if entity == "agent_links":
        return pd.concat([frame.astype(object), _broken_links(rng, broken, day)], ignore_index=True)
    for i in range(k):
        defect = rng.integers(5)
        row = broken.index[i]
        broken.at[row, key] = f"BAD{day:%m%d}{i:05d}"
        if defect == 0:
            broken.at[row, _COLUMNS[entity][1]] = None  # a required value missing
        elif defect == 1:
            time_column = _COLUMNS[entity][-1]
            broken.at[row, time_column] = (pd.Timestamp(day) + pd.Timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%S")
        elif defect == 2 and "merchant_id" in broken.columns and entity != "merchants":
            broken.at[row, "merchant_id"] = "M_UNKNOWN"
        elif defect == 3:
            broken.at[row, key] = frame[key].iloc[0]  # duplicate id
        else:
            numeric = {"reviews": ("rating", "6"), "orders": ("quantity", "很多"), "listings": ("price", "-5"),
                       "merchants": ("deposit", "abc"), "agent_links": ("entry_fee", "-1")}.get(entity)
            if numeric:
                broken.at[row, numeric[0]] = numeric[1]
            else:
                broken.at[row, _COLUMNS[entity][-1]] = "not-a-date"
    return pd.concat([frame.astype(object), broken], ignore_index=True)
