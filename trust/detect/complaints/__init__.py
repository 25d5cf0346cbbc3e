"""After-sales complaints: each complaint's category (counterfeit, quality, not as described, not delivered,
after-sales refused, reseller recruitment, other) and severity, in buyers' own words.

``stage`` is the nightly stage, ``model`` the classifier, ``files`` the CSV commands (``trust complaints
train/score/eval``), ``evaluation`` the evaluation on real buyers' words, ``outputs`` its metrics and report section.
"""

from __future__ import annotations

from trust.detect import COMPLAINT_CATEGORIES
from trust.detect.base import BaseDetector, Metric, StageContext

_ZH = {"counterfeit": "假冒", "quality_defect": "质量问题", "not_as_described": "描述不符/虚假宣传", "not_delivered": "未发货/延迟",
       "after_sales_refused": "拒绝售后", "reseller_recruitment": "拉人头/入门费", "other": "其他"}


class Complaints(BaseDetector):
    name = "complaints"
    entity = "complaint"
    model_loader = ("trust.detect.complaints.model", "load_complaint_model")
    shardable = True  # a complaint is categorised from its own text
    labels_are_flags = False  # every complaint gets a category
    metrics = (
        *(Metric(f"complaint_rate_{c}", f"{c.replace('_', ' ')} complaints per consumer order", f"{_ZH[c]}投诉率")
          for c in COMPLAINT_CATEGORIES),
        Metric("counterfeit_complaint_count", "complaints classified as counterfeit", "假货投诉数"),
    )

    @property
    def rules_version(self) -> str:
        from trust.detect.complaints.stage import VERSION

        return VERSION

    def inputs(self, session, window_start, window_end):
        from trust.detect.complaints.stage import load_complaints

        return load_complaints(session, window_start, window_end)

    def run(self, session, context: StageContext):
        from trust.detect.complaints.stage import run

        return run(session, context.business_date, context.window_start, context.window_end, model=context.model,
                   shard=context.shard)

    def merchant_metrics(self, window):
        from trust.detect.complaints.outputs import merchant_metrics

        return merchant_metrics(window)

    def report_sections(self, session, business_date):
        from trust.detect.complaints.outputs import report_sections

        return report_sections(session, business_date)


DETECTOR = Complaints()
