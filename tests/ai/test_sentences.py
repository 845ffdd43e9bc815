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
