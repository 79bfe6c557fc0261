"""The custom Rasa graph components, run on real Rasa messages (no trained model needed)."""

from rasa.shared.nlu.training_data.message import Message

from gopay_support.adapters.rasa.nlu.entities import LanguageExtractor, TrackingNumberExtractor
from gopay_support.adapters.rasa.nlu.faq_payload import RetrievalPayloadResolver
from gopay_support.adapters.rasa.nlu.tokenizer import BilingualTokenizer


def _tokens(text: str) -> list[str]:
    tokenizer = BilingualTokenizer(BilingualTokenizer.get_default_config())
    return [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")]


def test_tokenizer_splits_chinese_keeps_english_words_and_tracking_numbers() -> None:
    assert _tokens("我的Gopay充值失败了GP-7K3D9Q2X，咋办？") == [
        "我",
        "的",
        "Gopay",
        "充",
        "值",
        "失",
        "败",
        "了",
        "GP-7K3D9Q2X",
        "咋",
        "办",
    ]
    assert _tokens("top-up didn't work") == ["top", "up", "did", "n't", "work"]


def test_tokenizer_offsets_point_into_the_text() -> None:
    text = "提现 pending 三天"
    tokenizer = BilingualTokenizer(BilingualTokenizer.get_default_config())
    for token in tokenizer.tokenize(Message(data={"text": text}), "text"):
        assert text[token.start : token.end] == token.text


def test_tokenizer_never_returns_nothing_for_text() -> None:
    assert _tokens("？？？") == ["？？？"]


def test_tracking_number_extractor_canonical_value() -> None:
    message = Message(data={"text": "查一下gp-7k3d 9q2x的进度"})
    TrackingNumberExtractor().process([message])
    (entity,) = message.get("entities")
    assert entity["entity"] == "ticket_id" and entity["value"] == "GP-7K3D9Q2X"
    assert message.get("text")[entity["start"] : entity["end"]] == "gp-7k3d 9q2x"


def test_language_extractor_reads_the_text_only() -> None:
    english = Message(data={"text": "refund failed"})
    button = Message(data={"text": "/open_ticket", "metadata": {"language": "en-US"}})
    emoji = Message(data={"text": "😀"})
    LanguageExtractor().process([english, button, emoji])
    assert english.get("language") == "en"
    assert button.get("language") is None  # the client's hint is weighed by the NLG
    assert emoji.get("language") is None
    assert not english.get("entities")


def test_payload_resolver_selects_known_topic_only() -> None:
    ranking = [{"intent_response_key": "faq/account_security"}, {"intent_response_key": "faq/register"}]
    selector = {"faq": {"ranking": ranking, "response": {"intent_response_key": "faq/register"}}}
    known = Message(
        data={
            "text": "/faq/account_security",
            "response_selector": selector,
            "intent": {"name": "greet", "confidence": 0.3},
        }
    )
    unknown = Message(
        data={
            "text": "/faq/not_a_topic",
            "response_selector": selector,
            "intent": {"name": "greet", "confidence": 0.3},
        }
    )
    RetrievalPayloadResolver().process([known, unknown])
    assert known.get("intent") == {"name": "faq", "confidence": 1.0}
    assert known.get("response_selector")["faq"]["response"]["utter_action"] == "utter_faq/account_security"
    assert unknown.get("intent")["name"] == "greet"
