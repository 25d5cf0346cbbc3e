"""Keyword complaint classification."""

import pandas as pd
import pytest

from trust.detect.complaints import KeywordComplaintClassifier


@pytest.mark.parametrize("text,category", [
    ("收到的是假货，找人鉴定了不是正品", "counterfeit"),
    ("衣服开线而且掉色，质量太差", "quality_defect"),
    ("宣传说三天美白，根本没效果，虚假宣传", "not_as_described"),
    ("下单十天了还没发货，物流不更新", "not_delivered"),
    ("申请退款商家拒绝退款还拉黑我", "after_sales_refused"),
    ("交了入门费让我拉人头发展下线", "reseller_recruitment"),
    ("发票一直没开", "other"),
])
def test_complaints_fall_into_their_category(text, category):
    model = KeywordComplaintClassifier().fit(pd.Series([text]))
    assert model.predict(pd.Series([text]))[0] == category


def test_severity_follows_the_strongest_keyword():
    model = KeywordComplaintClassifier().fit(pd.Series(["x"]))
    assert list(model.severity(pd.Series(["假货", "有点色差", "发票"]))) == [3.0, 1.0, 1.0]
