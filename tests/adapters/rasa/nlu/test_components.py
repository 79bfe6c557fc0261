"""The custom Rasa graph components, run on real Rasa messages (no trained model needed)."""

from rasa.shared.nlu.training_data.message import Message

from gopay_support.adapters.rasa.nlu.calibration import (
    FaqTopicGate,
    LanguageRequest,
    TrackingNumberIntent,
    TypedRating,
)
from gopay_support.adapters.rasa.nlu.entities import LanguageExtractor, TrackingNumberExtractor
from gopay_support.adapters.rasa.nlu.faq_payload import RetrievalPayloadResolver
from gopay_support.adapters.rasa.nlu.response_selector import drop_answer_texts
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


def test_tokenizer_reads_traditional_characters_as_simplified() -> None:
    assert _tokens("儲值失敗 帳戶") == _tokens("储值失败 帐户")
    text = "我的帳戶被凍結了"
    tokenizer = BilingualTokenizer(BilingualTokenizer.get_default_config())
    tokens = tokenizer.tokenize(Message(data={"text": text}), "text")
    assert [t.text for t in tokens][2:5] == ["帐", "户", "被"]
    assert [text[t.start : t.end] for t in tokens][2:5] == ["帳", "戶", "被"]


def test_tokenizer_reads_a_contrast_from_its_point_on() -> None:
    assert _tokens("不是提现 是充值没到账") == ["是", "充", "值", "没", "到", "账"]
    assert _tokens("this isnt about a refund, my top up failed") == ["my", "top", "up", "failed"]
    assert _tokens("我没有收到验证码 注册不了")[:3] == ["我", "没", "有"]  # two facts, no contrast
    text = "not a refund, my top up failed"
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


def test_the_selected_answer_keeps_its_action_and_topic_but_not_its_texts() -> None:
    response = {
        "responses": [{"text": "answer " * 200}],
        "confidence": 0.9,
        "intent_response_key": "faq/register",
        "utter_action": "utter_faq/register",
    }
    ranking = [{"intent_response_key": "faq/register", "confidence": 0.9}]
    message = Message(
        data={
            "text": "how do i register",
            "response_selector": {"faq": {"response": response, "ranking": ranking}},
        }
    )
    drop_answer_texts(message)
    kept = message.get("response_selector")["faq"]
    assert kept["response"] == {
        "responses": None,
        "confidence": 0.9,
        "intent_response_key": "faq/register",
        "utter_action": "utter_faq/register",
    }
    assert kept["ranking"] == ranking


def _faq_message(topic_confidence: float, text: str = "how do i use paypal") -> Message:
    return Message(
        data={
            "text": text,
            "intent": {"name": "faq", "confidence": 0.99},
            "intent_ranking": [{"name": "faq", "confidence": 0.99}, {"name": "greet", "confidence": 0.01}],
            "response_selector": {
                "faq": {
                    "response": {"intent_response_key": "faq/register", "confidence": topic_confidence},
                    "ranking": [{"intent_response_key": "faq/register", "confidence": topic_confidence}],
                }
            },
        }
    )


def test_faq_topic_gate_turns_an_unsure_topic_into_a_fallback() -> None:
    unsure, sure = _faq_message(0.31), _faq_message(0.93)
    FaqTopicGate(threshold=0.5).process([unsure, sure])
    assert unsure.get("intent") == {"name": "nlu_fallback", "confidence": 0.31}
    assert [r["name"] for r in unsure.get("intent_ranking")] == ["nlu_fallback", "faq", "greet"]
    assert unsure.get("faq_gate") == {"topic": "faq/register", "confidence": 0.31, "threshold": 0.5}
    assert unsure.get("response_selector")["faq"]["ranking"]  # the clarification offers it
    assert sure.get("intent")["name"] == "faq" and sure.get("faq_gate") is None


def test_faq_topic_gate_leaves_other_intents_alone() -> None:
    greeting = Message(data={"text": "hi", "intent": {"name": "greet", "confidence": 0.9}})
    FaqTopicGate(threshold=0.5).process([greeting])
    assert greeting.get("intent")["name"] == "greet"


def _with_number(text: str, intent: str) -> Message:
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.6}})
    TrackingNumberExtractor().process([message])
    return message


def test_a_tracking_number_not_otherwise_understood_is_a_status_request() -> None:
    bare = _with_number("GP-ABCDEFGH", "out_of_scope")
    unsure = _with_number("查一下gp zzzz zzzz", "nlu_fallback")
    handoff = _with_number("GP-ABCDEFGH 我要转人工", "human_handoff")
    process = _with_number("GP-7K3D9Q2X 的处理流程到哪一步了", "faq")
    process.set("response_selector", {"faq": {"response": {"intent_response_key": "faq/ticket_process"}}})
    malformed = _with_number("GP-ABCDEFG", "out_of_scope")  # 7 characters: explained by the form
    no_number = _with_number("my gps is off", "out_of_scope")
    TrackingNumberIntent().process([bare, unsure, handoff, process, malformed, no_number])
    assert process.get("intent")["name"] == "ticket_status"
    assert bare.get("intent") == {"name": "ticket_status", "confidence": 1.0}
    assert unsure.get("intent")["name"] == "ticket_status"
    assert handoff.get("intent")["name"] == "human_handoff"
    assert malformed.get("intent")["name"] == "ticket_status" and not malformed.get("entities")
    assert no_number.get("intent")["name"] == "out_of_scope"


def test_a_typed_rating_is_the_csat_intent_with_its_entity() -> None:
    typed = Message(data={"text": "4分", "intent": {"name": "out_of_scope", "confidence": 0.7}})
    other = Message(data={"text": "我给客服打4分 不过还有问题", "intent": {"name": "faq", "confidence": 0.7}})
    six = Message(data={"text": "6", "intent": {"name": "out_of_scope", "confidence": 0.7}})
    TypedRating().process([typed, other, six])
    assert typed.get("intent") == {"name": "csat_rate", "confidence": 1.0}
    assert [(e["entity"], e["value"]) for e in typed.get("entities")] == [("csat_rating", "4")]
    assert other.get("intent")["name"] == "faq" and six.get("intent")["name"] == "out_of_scope"


def test_a_message_that_only_asks_for_a_language_is_switch_language() -> None:
    only = Message(
        data={"text": "could you reply in english", "intent": {"name": "out_of_scope", "confidence": 0.5}}
    )
    more = Message(
        data={"text": "请用英文回答 充值失败了怎么办", "intent": {"name": "faq", "confidence": 0.9}}
    )
    LanguageRequest().process([only, more])
    assert only.get("intent") == {"name": "switch_language", "confidence": 1.0}
    assert more.get("intent")["name"] == "faq"
