"""connectors.gate in process: what every channel's messages go through, with Rasa's own channel classes.

The end-to-end behaviour on a real server is in tests/connectors/test_channels.py; these pin the rules of the
gate itself (limits on messenger channels, sender namespaces, button rendering) without a model.
"""
from __future__ import annotations

from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.gate import ChannelGate, GatedOutput, numbered_text, reserved_sender
from connectors.messengers import BotTelegramInput, BotTwilioInput
from bots.server import limits as rate_limit


class Recorder:
    """The bot's side: keeps the messages the gate hands on."""

    def __init__(self) -> None:
        self.messages: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)


class Store:
    """A tracker store holding one conversation (Rasa's tracker, real events)."""

    def __init__(self, sender: str, events: list[Any]) -> None:
        self.tracker = DialogueStateTracker.from_events(sender, events)

    async def retrieve(self, sender: str) -> Any:
        return self.tracker if sender == self.tracker.sender_id else None


def twilio_channel() -> BotTwilioInput:
    return BotTwilioInput.from_credentials({"bot": "gatebot", "account_sid": "AC" + "1" * 32, "auth_token": "t", "twilio_number": "+85200000000", "webhook_url": "https://chat.example.gov.hk/bots/gatebot/webhooks/whatsapp/webhook"})


@pytest.fixture
def tight_limits(monkeypatch):
    limits = rate_limit.MessageLimits(rate_limit.Limits(sender_rate=1, sender_burst=2, max_message_chars=50))
    monkeypatch.setattr(rate_limit, "_shared", limits)
    return limits


async def test_a_messenger_sender_past_its_bucket_is_told_in_their_language_and_not_passed_on(tight_limits):
    bot = Recorder()
    gate = ChannelGate("gatebot", "sms", twilio_channel(), bot)
    out = CollectingOutputChannel()
    for _ in range(3):
        await gate.on_new_message(UserMessage("狗牌幾錢呀", out, "+85291234567", input_channel="twilio"))
    assert len(bot.messages) == 2
    assert out.messages[-1]["recipient_id"] == "+85291234567"  # the provider's own id back
    assert out.messages[-1]["text"].startswith("你傳送訊息太快了")
    await gate.on_new_message(UserMessage("x" * 51, out, "+85290000000", input_channel="twilio"))
    assert "too long" in out.messages[-1]["text"] and len(bot.messages) == 2


async def test_a_messenger_message_one_over_the_one_limit_is_refused_as_rest_refuses_it(monkeypatch):
    monkeypatch.setenv("HKBOT_MAX_MESSAGE_CHARS", "120")
    monkeypatch.setattr(rate_limit, "_shared", None)  # the process-wide limits, read again from the one setting
    bot = Recorder()
    gate = ChannelGate("gatebot", "sms", twilio_channel(), bot)
    out = CollectingOutputChannel()
    await gate.on_new_message(UserMessage("a" * 121, out, "+85290000001", input_channel="twilio", metadata={"language": "en"}))
    assert bot.messages == [] and out.messages[-1]["text"] == rate_limit.Refusal(413, "message_too_long", limit=120).body("en")["error"]
    await gate.on_new_message(UserMessage("a" * 120, out, "+85290000001", input_channel="twilio", metadata={"language": "en"}))
    assert len(bot.messages) == 1


async def test_senders_are_kept_per_channel_and_only_allowed_metadata_passes():
    bot = Recorder()
    gate = ChannelGate("gatebot", "whatsapp", twilio_channel(), bot)
    await gate.on_new_message(UserMessage("hello", CollectingOutputChannel(), "whatsapp:+85291234567", input_channel="twilio",
                                          metadata={"language": "en", "secret": "dropped", "display_text": "x"}))
    message = bot.messages[0]
    assert message.sender_id == "whatsapp:whatsapp:+85291234567" and message.input_channel == "whatsapp"
    assert message.metadata == {"language": "en"}
    assert reserved_sender("gatebot", "whatsapp:+85291234567") and not reserved_sender("gatebot", "app-user:1")


async def test_a_rasa_channel_class_gets_the_same_gate():
    bot = Recorder()
    gate = ChannelGate("gatebot", "twilio", TwilioInput("AC1", "t", "+852"), bot)  # Rasa's own class, no hkbot attributes
    await gate.on_new_message(UserMessage("hello", CollectingOutputChannel(), "+852912", input_channel="twilio", metadata={"x": 1}))
    assert bot.messages[0].sender_id == "twilio:+852912" and bot.messages[0].metadata == {}


def test_numbered_choices_replace_buttons_without_showing_payloads():
    out = CollectingOutputChannel()
    gated = GatedOutput(out, "sms:", numbered=True)
    shaped = gated.shaped({"text": "牌照費用為 $80。", "buttons": [{"title": "有幫助", "payload": "/feedback{\"helpful\": \"yes\"}"},
                                                                {"title": "轉駁職員", "payload": "/ask_human"}], "language": "yue"})
    assert "buttons" not in shaped
    assert shaped["text"] == "牌照費用為 $80。\n1. 有幫助\n2. 轉駁職員\n請回覆選項的號碼。"
    assert numbered_text("", [{"title": "Yes"}], "en") == "1. Yes\nReply with the number of your choice."


async def test_a_number_on_sms_and_a_short_code_on_telegram_stand_for_the_last_buttons():
    buttons = [{"title": "有幫助", "payload": '/feedback{"topic": "dog_licence.validity_renewal", "helpful": "yes"}'},
               {"title": "轉駁職員", "payload": "/ask_human"}]
    events = [UserUttered("狗牌幾耐續一次"), BotUttered("每年續期。", {"buttons": buttons})]
    bot = Recorder()
    sms = ChannelGate("gatebot", "sms", twilio_channel(), bot, Store("sms:+85291234567", events))
    await sms.on_new_message(UserMessage(" 2 ", CollectingOutputChannel(), "+85291234567", input_channel="twilio"))
    assert bot.messages[-1].text == "/ask_human" and bot.messages[-1].metadata["display_text"] == "轉駁職員"
    await sms.on_new_message(UserMessage("3", CollectingOutputChannel(), "+85291234567", input_channel="twilio"))
    assert bot.messages[-1].text == "3"  # no third choice: the text as typed

    telegram = BotTelegramInput.from_credentials({"bot": "gatebot", "access_token": "1:abc", "verify": "gate_bot", "secret_token": "s" * 32})
    gate = ChannelGate("gatebot", "telegram", telegram, bot, Store("telegram:42", events))
    shaped = gate.output(CollectingOutputChannel()).shaped({"text": "每年續期。", "buttons": buttons})
    code = shaped["buttons"][0]["payload"]
    assert code.startswith("#") and shaped["buttons"][1]["payload"] == "/ask_human"  # 69 bytes is over Telegram's 64
    await gate.on_new_message(UserMessage(code, CollectingOutputChannel(), 42, input_channel="telegram"))
    assert bot.messages[-1].text == buttons[0]["payload"] and bot.messages[-1].sender_id == "telegram:42"
    await gate.on_new_message(UserMessage("1", CollectingOutputChannel(), 42, input_channel="telegram"))
    assert bot.messages[-1].text == "1"  # Telegram has buttons: a typed number is just text


@pytest.mark.parametrize("sender", ["x" * 129, "", "  ", "line\nbreak", None])  # None: Rasa's "default"
async def test_a_channel_sender_id_that_is_not_short_printable_text_is_dropped(sender):
    """Rasa's callback channel takes any JSON value as the sender (none at all becomes "default", shared by every
    such client); a conversation key must be plain text of its own."""
    bot = Recorder()
    gate = ChannelGate("gatebot", "callback", TwilioInput("AC" + "1" * 32, "t", "+85200000000"), bot)
    await gate.on_new_message(UserMessage("hello", CollectingOutputChannel(), sender, input_channel="callback"))
    assert bot.messages == []
    await gate.on_new_message(UserMessage("hello", CollectingOutputChannel(), "citizen-1", input_channel="callback"))
    assert [m.sender_id for m in bot.messages] == ["callback:citizen-1"]


def test_telegram_without_a_secret_token_and_twilio_without_its_public_url_do_not_start():
    with pytest.raises(ValueError, match="secret_token_env"):
        BotTelegramInput.from_credentials({"bot": "gatebot", "access_token": "1:abc", "verify": "gate_bot"})
    with pytest.raises(ValueError, match="webhook_url"):
        BotTwilioInput.from_credentials({"bot": "gatebot", "account_sid": "AC" + "1" * 32, "auth_token": "t", "twilio_number": "+85200000000"})
    # A local trial may say so explicitly; a gateway that checks signatures may switch the check off.
    assert BotTelegramInput.from_credentials({"bot": "gatebot", "access_token": "1:abc", "verify": "gate_bot", "allow_unauthenticated": True})
    assert BotTwilioInput.from_credentials({"bot": "gatebot", "account_sid": "AC" + "1" * 32, "auth_token": "t",
                                            "twilio_number": "+85200000000", "validate_signature": False})


async def test_a_push_the_provider_refuses_is_not_counted_as_delivered():
    """An officer must not be told a reply reached a WhatsApp citizen when Twilio's API refused or was unreachable."""
    from connectors.gate import Delivery

    channel = BotTwilioInput.from_credentials({"bot": "gatebot", "account_sid": "AC" + "1" * 32, "auth_token": "t",
                                               "twilio_number": "whatsapp:+85200000000", "validate_signature": False,
                                               "api_base_url": "http://127.0.0.1:9"})  # nothing listens on the discard port
    delivery = Delivery()
    delivery.add(ChannelGate("gatebot", "whatsapp", channel, Recorder()))
    assert await delivery.send("whatsapp:whatsapp:+85291234567", "whatsapp", {"text": "你好，我是1823的職員。"}) == 0


async def test_a_telegram_button_under_an_older_message_still_means_its_own_choice():
    """Telegram keeps old keyboards in the chat: pressing "helpful" under the first answer after a second answer
    must record feedback on the first topic, not on whatever the newest message's first button is."""
    first = [{"title": "有幫助", "payload": '/feedback{"topic": "dog_licence.validity_renewal", "helpful": "yes"}'}]
    second = [{"title": "有幫助", "payload": '/feedback{"topic": "dog_licence.fee_concessions", "helpful": "yes"}'}]
    events = [UserUttered("狗牌幾耐續一次"), BotUttered("每年續期。", {"buttons": first}),
              UserUttered("狗牌有冇優惠"), BotUttered("絕育犬隻有優惠。", {"buttons": second})]
    bot = Recorder()
    telegram = BotTelegramInput.from_credentials({"bot": "gatebot", "access_token": "1:abc", "verify": "gate_bot", "secret_token": "s" * 32})
    gate = ChannelGate("gatebot", "telegram", telegram, bot, Store("telegram:42", events))
    old_code = gate.output(CollectingOutputChannel()).shaped({"text": "每年續期。", "buttons": first})["buttons"][0]["payload"]
    await gate.on_new_message(UserMessage(old_code, CollectingOutputChannel(), 42, input_channel="telegram"))
    assert bot.messages[-1].text == first[0]["payload"]
    await gate.on_new_message(UserMessage("#" + "0" * 12, CollectingOutputChannel(), 42, input_channel="telegram"))
    assert bot.messages[-1].text == "#" + "0" * 12  # a code of no recent button: the text as sent


async def test_photos_count_against_the_senders_bucket_too(tight_limits):
    """A photo gets a polite sentence, but sending photos is not a way round the per-sender limit."""
    gate = ChannelGate("gatebot", "whatsapp", twilio_channel(), Recorder())
    out = CollectingOutputChannel()
    for _ in range(3):
        await gate.on_new_message(UserMessage("", out, "+85291234567", input_channel="twilio"))
    texts = [m["text"] for m in out.messages]
    assert texts[:2] == ["對不起，我只能閱讀文字訊息，請輸入你的問題。"] * 2
    assert texts[2].startswith("你傳送訊息太快了")


def test_a_provider_api_address_must_be_https_unless_it_is_this_machine():
    base = {"bot": "gatebot", "access_token": "1:abc", "verify": "gate_bot", "secret_token": "s" * 32}
    with pytest.raises(ValueError, match="https"):
        BotTelegramInput.from_credentials({**base, "api_base_url": "http://api.example.com"})
    assert BotTelegramInput.from_credentials({**base, "api_base_url": "http://127.0.0.1:8081"}).api_base_url
    assert BotTelegramInput.from_credentials({**base, "api_base_url": "https://api.telegram.org"}).api_base_url
