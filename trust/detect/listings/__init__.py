"""Fake goods and false advertising on listings: counterfeit cues, brand mentions found the way sellers hide them,
prices against the brand's floor and the night's market, and false claims.

``stage`` is the nightly stage (with the market context kept in the warehouse for listing-time checks), ``model`` the
estimator and market context, ``knowledge`` the brand and cue evidence, ``brands`` the brand catalogue, ``files`` the
CSV commands (``trust listings train/score/eval``), ``evaluation`` the evaluation on generated data and the training
of the shipped listing and complaint models, ``outputs`` its metrics and report section.
"""

from __future__ import annotations

from trust.detect.base import BaseDetector, Metric, StageContext


class Listings(BaseDetector):
    name = "listings"
    entity = "listing"
    model_loader = ("trust.detect.listings.model", "load_listing_model")
    shardable = False  # the market context (price index, token prices) is built from every merchant's listings
    queue_labels = ("counterfeit", "ok")
    metrics = (
        Metric("listings", "listings on sale", "在售商品数"),
        Metric("risky_listing_share", "listings flagged for counterfeit or false-advertising risk", "疑似假冒或虚假宣传商品占比"),
    )

    @property
    def rules_version(self) -> str:
        from trust.detect.listings.stage import VERSION

        return VERSION

    def inputs(self, session, window_start, window_end):
        from trust.detect.listings.stage import load_listings

        return load_listings(session, window_end)

    def run(self, session, context: StageContext):
        from trust.detect.listings.stage import run

        complaint_model = context.pinned("complaints")  # sellers' complaints not categorised yet: the night's model
        if complaint_model is None:  # complaints run on their rules tonight: the keywords, as the complaint stage does
            from trust.detect.complaints.model import ComplaintClassifier

            complaint_model = ComplaintClassifier().fit([])
        return run(session, context.business_date, context.window_start, context.window_end, model=context.model,
                   complaint_model=complaint_model, model_version=context.model_version)

    def merchant_metrics(self, window):
        from trust.detect.listings.outputs import merchant_metrics

        return merchant_metrics(window)

    def report_sections(self, session, business_date):
        from trust.detect.listings.outputs import report_sections

        return report_sections(session, business_date)


DETECTOR = Listings()
