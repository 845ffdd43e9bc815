from suite.ai.sentences import split_sentences


def test_chinese_sentences_keep_their_punctuation():
    text = "您好，欢迎致电客服热线。请问有什么可以帮您？我们会尽快处理！"
    assert split_sentences(text) == [
        "您好，欢迎致电客服热线。",
        "请问有什么可以帮您？",
        "我们会尽快处理！",
    ]


def test_english_and_newlines():
    text = "Hello there, how are you today? I am fine.\nSecond paragraph starts here"
    assert split_sentences(text) == [
        "Hello there, how are you today?",
        "I am fine.",
        "Second paragraph starts here",
    ]


def test_decimal_points_do_not_end_a_sentence():
    assert split_sentences("The fee is 3.5 yuan per month. Thanks a lot.") == [
        "The fee is 3.5 yuan per month.",
        "Thanks a lot.",
    ]


def test_tiny_fragments_are_merged():
    assert split_sentences("好。我们马上为您办理业务。") == ["好。我们马上为您办理业务。"]
    assert split_sentences("OK. Thanks for calling us today.") == [
        "OK. Thanks for calling us today."
    ]


def test_semicolons_split():
    assert split_sentences("第一项已经办理完毕；第二项正在处理中") == [
        "第一项已经办理完毕；",
        "第二项正在处理中",
    ]


def test_long_runs_split_at_commas_then_hard():
    clause = "这是一个比较长的分句内容"
    text = "，".join([clause] * 10) + "。"
    pieces = split_sentences(text, max_chars=40)
    assert all(len(p) <= 40 for p in pieces)
    assert len(pieces) > 1
    assert "".join(pieces) == text
    assert all(p.endswith(("，", "。")) for p in pieces)

    run = "啊" * 250
    hard = split_sentences(run, max_chars=100)
    assert [len(p) for p in hard] == [100, 100, 50]


def test_empty_and_whitespace():
    assert split_sentences("") == []
    assert split_sentences("  \n\n ") == []


def test_a_short_first_piece_is_cut_at_an_early_clause_mark_only():
    text = (
        "出国前可以开通国际漫游功能，开通后在境外可以拨打和接听电话、收发短信和上网。请问还有吗？"
    )
    assert split_sentences(text, first_max_chars=16) == [
        "出国前可以开通国际漫游功能，",
        "开通后在境外可以拨打和接听电话、收发短信和上网。",
        "请问还有吗？",
    ]
    # The first clause mark leaves too short a head ("好，"): the next one is used.
    assert split_sentences("好，您的宽带已经恢复，请重启光猫试试。", first_max_chars=12) == [
        "好，您的宽带已经恢复，",
        "请重启光猫试试。",
    ]
    # No clause mark early enough: the first sentence is not cut mid-word.
    whole = "能再具体说说您遇到的是什么问题吗？"
    assert split_sentences(whole, first_max_chars=8) == [whole]
    # Only the first piece: later sentences keep their length.
    assert split_sentences(text, first_max_chars=16)[2:] == split_sentences(text)[1:]
    assert split_sentences("短句。", first_max_chars=16) == ["短句。"]
