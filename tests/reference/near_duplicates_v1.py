"""The near-duplicate count as it was before issue 21 (pandas drop_duplicates, groupby and MultiIndex reindex per
band and day): the integer-code version in ``trust.detect.reviews.signals`` must equal it."""

import numpy as np
import pandas as pd


def _near_duplicates_from_bands(bands: np.ndarray, accounts: np.ndarray, day: np.ndarray | None, window_days: int = 2) -> np.ndarray:
    n = len(bands)
    result = np.zeros(n)
    index = np.flatnonzero(~np.isnan(bands[:, 0])) if n else np.zeros(0, dtype=int)
    if not len(index):
        return result
    days = np.zeros(len(index), dtype=np.int64) if day is None else day[index]
    spans = [0] if day is None else range(-window_days, window_days + 1)
    for band in range(bands.shape[1]):
        bucket = bands[index, band].astype(np.int64)
        posts = pd.DataFrame({"bucket": bucket, "day": days, "account": accounts[index]}).drop_duplicates()
        per_day = posts.groupby(["bucket", "day"]).size()
        total = np.zeros(len(index))
        for shift in spans:  # distinct accounts per bucket-day, summed over the window (an account posting on two
            # days of the window counts twice: a small overcount that only strengthens a true copy ring)
            looked_up = pd.MultiIndex.from_arrays([bucket, days + shift])
            total += per_day.reindex(looked_up).fillna(0).to_numpy()
        result[index] = np.maximum(result[index], total - 1)
    return result
