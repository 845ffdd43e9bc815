from suite.ai.citations import supporting, ungrounded_anchors
from suite.ai.types import Passage

TOP_UP = Passage(
    "1", "流量加油包订购：10元1GB，发送短信JYB到10086订购。", "KB-1 流量加油包订购", 0.9
)
BALANCE = Passage(
    "2", "剩余流量查询：剩余流量可以发送短信CXLL到10086查询。", "KB-2 剩余流量查询", 0.8
)
ROAMING = Passage("3", "国际漫游：出国前发送KTGJMY到10086开通。", "KB-3 国际漫游", 0.7)


def test_a_wrong_marker_is_overruled_by_the_code_the_answer_quotes():
    answer = "您可以发送短信CXLL到10086查询剩余流量[1]。"
    assert supporting(answer, [TOP_UP, BALANCE, ROAMING]) == [BALANCE]


def test_a_right_marker_stands_and_two_sources_can_both_stand():
    assert supporting("发送CXLL到10086查询[2]。", [TOP_UP, BALANCE]) == [BALANCE]
    answer = "查询剩余流量发送CXLL到10086[2]，不够用可发送JYB订购加油包[1]。"
    assert supporting(answer, [TOP_UP, BALANCE]) == [BALANCE, TOP_UP]


def test_an_answer_without_markers_is_attributed_by_what_it_quotes():
    answer = "剩余流量可以发送短信CXLL到10086查询。"
    assert supporting(answer, [TOP_UP, BALANCE, ROAMING]) == [BALANCE]
    assert supporting("您好，请问有什么可以帮您？", [TOP_UP, BALANCE]) == []
    # A marker past the last passage is no marker; the words still decide.
    assert supporting("发送JYB订购加油包[7]。", [TOP_UP, BALANCE]) == [TOP_UP]
    assert supporting("发送JYB订购[1]。", []) == []


def test_a_code_or_number_no_passage_holds_is_ungrounded():
    passages = [TOP_UP, BALANCE]
    assert ungrounded_anchors("发送短信CXLL到10086查询[2]。", passages) == set()
    assert ungrounded_anchors("流量加油包10元1GB，发送JYB订购。", passages) == set()
    # Echoed from the question or made up: neither comes from a passage.
    assert ungrounded_anchors("宽带能装IPTV，每月15元。[1]", passages) == {"IPTV", "15"}
    assert ungrounded_anchors("发送cxll到10086。", passages) == set()  # case is not a fact
