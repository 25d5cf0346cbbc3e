"""Fake reviews (刷单 / 刷好评): bought or templated reviews, and the rings of accounts that write them.

``stage`` is the nightly stage, ``signals`` the behaviour, graph and hand-made text signals, ``text`` the learnt text
model, ``model`` the stacked estimator with its reasons, ``history`` the lifetime history of reviewers, products and
merchants, ``rings`` the lockstep rings, ``files`` the CSV commands (``trust reviews train/score``), ``vispam`` and
``yelpchi`` the evaluations on real labelled data, ``evaluation`` the one on generated data and the training of the
shipped model, ``outputs`` its metrics, queues and report sections.
"""

from __future__ import annotations

from trust.detect.base import BaseDetector, Metric, Queue, StageContext


class Reviews(BaseDetector):
    name = "reviews"
    entity = "review"
    model_loader = ("trust.detect.reviews.model", "load_model")
    shardable = False  # rings and suspicion spread across shops read every merchant's reviews
    metrics = (
        Metric("reviews", "reviews in the window", "评价数"),
        Metric("suspected_fake_reviews", "reviews flagged as likely fake", "疑似虚假评价数"),
        Metric("fake_review_share", "share of reviews flagged as likely fake", "疑似虚假评价占比"),
        Metric("average_rating", "average rating", "平均评分", missing=float("nan")),
        Metric("adjusted_rating", "average rating without reviews flagged as likely fake", "剔除疑似虚假评价后的平均评分",
               missing=float("nan")),
    )

    @property
    def rules_version(self) -> str:
        from trust.detect.reviews.stage import VERSION

        return VERSION

    @property
    def queues(self) -> tuple[Queue, ...]:
        from trust.detect.reviews import outputs

        return (Queue("reviews", "review", "fake_review", "genuine"),
                Queue("rings", "network", "review_ring", "ok", items=outputs.ring_items, find=outputs.find_ring))

    def inputs(self, session, window_start, window_end):
        from trust.detect.reviews.stage import load_reviews

        return load_reviews(session, window_start, window_end)

    def run(self, session, context: StageContext):
        from trust.detect.reviews.stage import run

        return run(session, context.business_date, context.window_start, context.window_end, model=context.model)

    def metric_inputs(self, session, business_date, starts, window_end, shard):
        from trust.detect.reviews.outputs import review_stats

        return review_stats(session, business_date, starts, window_end, shard)

    def merchant_metrics(self, window):
        from trust.detect.reviews.outputs import merchant_metrics

        return merchant_metrics(window)

    def report_sections(self, session, business_date):
        from trust.detect.reviews.outputs import report_sections

        return report_sections(session, business_date)


DETECTOR = Reviews()
