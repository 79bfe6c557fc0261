import pytest

from gopay_support.core import language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("充值失败了怎么办", "zh"),
        ("gopay 充值失败", "zh"),
        ("我的OTP一直没收到", "zh"),
        ("refund 还没到账", "zh"),
        ("how do I sign up", "en"),
        ("my withdrawl is pending pls help", "en"),
        ("my 验证码 never came", "en"),
        ("GP-7K3D9Q2X", None),
        ("😀😀", None),
        ("", None),
        ("   ", None),
        ("/open_ticket", None),
        ("/faq/register", None),
        ("12345", None),
    ],
)
def test_detect(text: str, expected: str | None) -> None:
    assert language.detect(text) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-CN", "zh"),
        ("zh_Hans", "zh"),
        ("en-US", "en"),
        ("EN", "en"),
        ("fr", None),
        (None, None),
        ("", None),
    ],
)
def test_normalize(code: str | None, expected: str | None) -> None:
    assert language.normalize(code) == expected


def test_resolve_prefers_message_then_fallbacks() -> None:
    assert language.resolve("hello", "zh") == "en"
    assert language.resolve("😀", None, "en-GB") == "en"
    assert language.resolve("😀") == language.DEFAULT


def test_conversation_language_keeps_last_known_language() -> None:
    events = [
        {"event": "user", "parse_data": {"language": "en"}},
        {"event": "bot", "text": "hi"},
        {"event": "user", "parse_data": {}},  # emoji or a button press
    ]
    assert language.of_events(events) == "en"
    events.append({"event": "user", "parse_data": {"language": "zh"}})
    assert language.of_events(events) == "zh"
    assert language.of_events([]) == language.DEFAULT


def test_client_hint_counts_only_until_the_user_writes_something() -> None:
    button = {"event": "user", "parse_data": {}, "metadata": {"language": "en-US"}}
    assert language.of_events([button]) == "en"
    typed_chinese = {"event": "user", "parse_data": {"language": "zh"}, "metadata": {}}
    assert language.of_events([typed_chinese, button]) == "zh"


# Values typed into the ticket form carry no language: a Chinese conversation stays
# Chinese when the user gives an e-mail address or a transaction ID.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("li.ming@example.com", None),
        ("abc@", None),
        ("TX20261124001", None),
        ("https://www.gopay.example/help", None),
        ("我的邮箱是 li@example.com", "zh"),
        ("交易号TX20261124001", "zh"),
        ("my email is li@example.com", "en"),
        ("order 12345 failed", "en"),
    ],
)
def test_form_values_are_not_a_language_signal(text: str, expected: str | None) -> None:
    assert language.detect(text) == expected


def test_conversation_keeps_chinese_after_an_email() -> None:
    turns = [{"language": language.detect("li@example.com")}, {"language": "zh"}]
    assert language.of_conversation(turns) == "zh"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请用中文", "zh"),
        ("請用中文回覆", "zh"),
        ("can you answer in chinese", "zh"),
        ("Chinese please", "zh"),
        ("用英文回答", "en"),
        ("你能说英语吗", "en"),
        ("in English please", "en"),
        ("answer in english pls", "en"),
        ("english", "en"),
        ("my english is bad", None),
        ("中文和英文都可以", None),
        ("充值失败了", None),
    ],
)
def test_a_language_request_names_the_language(text: str, expected: str | None) -> None:
    assert language.requested(text) == expected


def test_a_language_request_decides_the_detected_language() -> None:
    assert language.detect("请用英文回答") == "en"
    assert language.detect("speak chinese please") == "zh"


def _turn(text: str) -> dict:
    return {"event": "user", "parse_data": {"text": text, "language": language.detect(text)}}


def test_one_latin_word_does_not_switch_an_established_language() -> None:
    events = [_turn("我要提交工单"), _turn("abc")]
    assert language.of_events(events) == "zh"
    events.append(_turn("the refund never arrived"))
    assert language.of_events(events) == "en"
    events.append(_turn("请用中文"))
    assert language.of_events(events) == "zh"


def test_one_latin_word_counts_when_nothing_stronger_was_said() -> None:
    assert language.of_events([_turn("hello")]) == "en"
    assert language.is_weak_signal("abc") and not language.is_weak_signal("top up failed")


def test_the_written_language_ignores_the_request() -> None:
    assert language.written("請改用英文回答") == "zh" and language.detect("請改用英文回答") == "en"
    assert language.written("answer in chinese please") == "en"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("could you reply in english", True),
        ("english only please", True),
        ("麻烦请说中文", True),
        ("请用中文回答 充值失败了怎么办", False),
        ("in english please: my top up failed yesterday", False),
        ("充值失败了", False),
    ],
)
def test_a_message_that_only_asks_for_a_language(text: str, expected: bool) -> None:
    assert language.only_requests_language(text) is expected
