"""What a message is besides a question: a request for a person, a complaint, anger, a greeting,
thanks, or something no FAQ answers (weather, jokes, sums). Rules, in Chinese and English."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.retrieval.text import normalize

# A person is asked for ...
_HUMAN_ZH = re.compile(r"转人工|人工服务|人工客服|接人工|找人工|要人工|人工|真人|客服人员|找客服|叫客服|活人|坐席")
_HUMAN_EN = re.compile(
    r"\b(human|real person|a person|live (agent|person|chat)|someone real|somebody|"
    r"(customer )?(service )?(rep|representative|agent|operator|staff)|speak to (someone|a|an)|talk to (someone|a|an))\b"
)
# ... unless the message asks *about* people (when they work, whether they are there on Sunday):
# that is a question the FAQ answers ("人工客服什么时候上班?").
_ABOUT_HOURS = re.compile(
    r"什么时候|几点|时间|上班|下班|营业|周末|周六|周日|星期|节假日|晚上|早上|\d+\s*点|"
    r"\b(when|hours?|open|available|availability|sunday|saturday|weekend|monday|tuesday|wednesday|thursday|friday|"
    r"tonight|morning|evening|night|\d+\s*(am|pm))\b"
)

_COMPLAINT = re.compile(r"投诉|举报|差评|12315|工信部|消协|\b(complain\w*|complaint|file a claim|ombudsman|report you)\b")
_NEGATIVE_ZH = (
    "垃圾",
    "骗子",
    "骗人",
    "坑人",
    "太差",
    "差劲",
    "气死",
    "烦死",
    "什么破",
    "破玩意",
    "无语",
    "恶心",
    "滚",
    "愤怒",
    "太慢了",
    "受不了",
    "废物",
    "忽悠",
)
_NEGATIVE_EN = re.compile(
    r"\b(terrible|awful|horrible|useless|ridiculous|scam|worst|angry|furious|pathetic|disgusting|unacceptable|"
    r"fed up|sick of|rubbish|garbage|wtf|stupid|hate|incompetent|joke of a|lawyer|sue)\b"
)
_GREETING = re.compile(
    r"^(你好|您好|嗨|哈喽|在吗|在不在|有人吗|早上好|下午好|晚上好|hi|hello|hey|hiya|good (morning|afternoon|evening)|"
    r"anyone there|is anyone there)[\s!！?？.。,，~]*$"
)
_THANKS = re.compile(
    r"^(谢谢|多谢|感谢|谢了|好的谢谢|好的|明白了|知道了|ok|okay|thanks|thank you|thx|ty|cheers|great|got it)"
    r"[\s!！.。,，~]*(你|您|a lot|so much|very much)?[\s!！.。,，~]*$"
)
_GOODBYE = re.compile(r"^(再见|拜拜|bye|goodbye|see you)[\s!！.。~]*$")

# Questions no FAQ of a business answers; the bot says so and hands off.
_OUT_OF_SCOPE = re.compile(
    r"天气|下雨|下雪|气温|笑话|段子|讲个故事|唱首歌|你是谁|你几岁|你叫什么|星座|彩票|股票|"
    r"\b(weather|rain(ing)?|snow(ing)?|temperature|joke|poem|sing|story|lottery|horoscope|who are you|how old are you|"
    r"are you a (bot|robot)|meaning of life)\b"
)
_ARITHMETIC = re.compile(r"\d+\s*([+\-*/×÷x]|times|plus|minus|divided by|multiplied by|乘以?|加上?|减去?|除以)\s*\d+")


@dataclass(frozen=True)
class MessageSignals:
    wants_person: bool
    complaint: bool
    sentiment: float  # -1 (angry) .. 0 (neutral); only the negative side matters here
    greeting: bool
    thanks: bool
    goodbye: bool
    out_of_scope: bool


def wants_person(text: str) -> bool:
    norm = normalize(text)
    asked = bool(_HUMAN_ZH.search(norm) or _HUMAN_EN.search(norm))
    return asked and not _ABOUT_HOURS.search(norm)


def sentiment(text: str) -> float:
    """-1.0 for strong anger, 0.0 for none: negative words, shouting and runs of '!' / '?'."""
    norm = normalize(text)
    hits = float(sum(1 for word in _NEGATIVE_ZH if word in norm) + len(_NEGATIVE_EN.findall(norm)))
    if _COMPLAINT.search(norm):
        hits += 1
    letters = [ch for ch in text if ch.isalpha() and ch.isascii()]
    if len(letters) >= 8 and sum(ch.isupper() for ch in letters) / len(letters) > 0.7:
        hits += 1  # SHOUTING
    if re.search(r"[!！]{2,}|[?？]{3,}", text):
        hits += 0.5
    return -min(1.0, hits / 2)


def signals(text: str) -> MessageSignals:
    norm = normalize(text)
    return MessageSignals(
        wants_person=wants_person(text),
        complaint=bool(_COMPLAINT.search(norm)),
        sentiment=sentiment(text),
        greeting=bool(_GREETING.match(norm)),
        thanks=bool(_THANKS.match(norm)),
        goodbye=bool(_GOODBYE.match(norm)),
        out_of_scope=bool(_OUT_OF_SCOPE.search(norm) or _ARITHMETIC.search(norm)),
    )
