"""Reseller pyramids (传销化): the reseller forest from recruitment links and the orders between agents, each chain
tested against the legal line for pyramid selling. Rules only (a legal test), no trained model.

``stage`` is the nightly stage, ``evaluation`` the evaluation on generated chains, ``outputs`` its metrics, queue and
report section.
"""

from __future__ import annotations

from trust.detect.base import BaseDetector, Metric, Queue, StageContext


class Agents(BaseDetector):
    name = "agents"
    entity = "merchant"
    shardable = False  # a chain spans merchants
    metrics = (
        Metric("pyramid_risk", "risk score of the merchant's reseller chain (0–1)", "所在代理链的传销风险分（0–1）"),
        Metric("pyramid_flagged", "1 if the merchant's reseller chain meets the pyramid-selling test", "所在代理链符合传销认定标准"),
    )

    @property
    def rules_version(self) -> str:
        from trust.detect.agents.stage import VERSION

        return VERSION

    @property
    def queues(self) -> tuple[Queue, ...]:
        from trust.detect.agents import outputs

        return (Queue("networks", "network", "pyramid", "ok", items=outputs.network_items, find=outputs.find_network),)

    def inputs(self, session, window_start, window_end):
        from trust.detect.agents.stage import load_links

        return load_links(session, window_end)

    def run(self, session, context: StageContext):
        from trust.detect.agents.stage import run

        return run(session, context.business_date, context.window_start, context.window_end)

    def merchant_metrics(self, window):
        from trust.detect.agents.outputs import merchant_metrics

        return merchant_metrics(window)

    def report_sections(self, session, business_date):
        from trust.detect.agents.outputs import report_sections

        return report_sections(session, business_date)


DETECTOR = Agents()
