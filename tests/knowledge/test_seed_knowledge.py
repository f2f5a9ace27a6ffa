"""The seed knowledge bases (1823, dog licence, TSW) after the seed knowledge round of 2026-12-05.

Content, not code: these tests pin what the seed's vocabulary and question variants now tell
apart (close topics inside one department), on the seed dev files, through the retrieval the bots
use (`KnowledgeIndex.decide` over the bot's knowledge bases, lexical and dense as shipped).
"""
from __future__ import annotations


import pytest

from tests.knowledge.dev_files import dev_figures
from knowledge.cli import bot_knowledge_bases
from knowledge.confusion import confusion_warnings

SEED = ("dog_licence", "1823", "tsw")


@pytest.fixture(scope="module")
def index(dense_index):
    return dense_index


#: Close seed topics told apart (bot, question, topic; None: refused).
CLOSE_TOPICS: list[tuple[str, str, str | None]] = [
    # "get a dog licence" is a licence, not the general "got a dog" (a new dog)
    ("dog_licence", "where can i get a dog licence", "dog_licence.where_apply"),
    ("dog_licence", "what do i need to bring to get a dog licence", "dog_licence.documents"),
    # a private vet is a place to apply; the fee entry keeps vets only for their extra charge
    ("dog_licence", "可否於私家獸醫診所辦理犬隻牌照", "dog_licence.where_apply"),
    # renewing costs the same fee, at the same places: the renew concept alone is not the renewal topic
    ("dog_licence", "dog licence renewal fee", "dog_licence.fee"),
    ("dog_licence", "狗牌續期去邊度", "dog_licence.where_apply"),
    # the person's age (under 18) is owner eligibility, not the dog's age
    ("1823", "未滿十八歲人士可否申請犬隻牌照？", "dog_licence.owner_eligibility"),
    # "good for" is validity, not the trade concept's "goods"
    ("dog_licence", "how many years is a dog licence good for", "dog_licence.validity_renewal"),
    # which departments (a list) vs which department runs 1823
    ("1823", "1823负责哪些部门的咨询", "1823.departments"),
    ("1823", "Which government departments does 1823 handle enquiries for?", "1823.departments"),
    ("1823", "1823是政府哪个部门的", "1823.about"),
    # a time of night is about opening hours; an SMS number is a contact channel
    ("1823", "can i call 1823 at 3am", "1823.hours"),
    ("1823", "1823 sms number?", "1823.contact"),
    # a bare complaint is 1823's (any government service), not one new department's complaint topic
    ("1823", "如何投訴", "1823.complaint"),
    ("1823", "我想讚下個職員", "1823.complaint"),  # a compliment (讚) goes where complaints and suggestions go
    # TSW: retrieving a draft, 何謂, registering (登記) vs its fee
    ("tsw", "如何擷取已儲存的申請草稿", "tsw.draft"),
    ("tsw", "何謂貿易單一窗口", "tsw.about"),
    ("tsw", "我想登記TSW 要點做", "tsw.register"),
    ("tsw", "how do I open a TSW company account", "tsw.register"),
]


@pytest.mark.parametrize(("bot", "question"), [
    ("1823", "Where can I renew my fishing licence?"),  # "fishing boats" (where_apply) is the village concept
    ("tsw", "請問如何申請強積金提取"),  # 提取 is withdrawing money here, not retrieving a draft
])
def test_near_misses_stay_under_the_classifier_confirmed_band(index, bot: str, question: str) -> None:
    # FaqRetriever answers a lexical-only (seed) topic from 0.45 when the classifier is sure (`confirmed_threshold`);
    # a dense-served department's entry answers only above its own threshold.
    decision = index.decide(question, bot_knowledge_bases(bot))
    assert decision.top is None, decision.matches[:2]
    seed = [m for m in decision.matches if m.group in ("1823", "dog_licence", "tsw")]
    assert not seed or seed[0].score < 0.45, seed[:2]


#: Words added for one topic do not take another (bot, question, topic; None: refused).
FIRST_ROUND_GUARDS: list[tuple[str, str, str | None]] = [
    ("tsw", "用咩browser開TSW好", "tsw.browsers"),  # 開 (open a site) is no account opening
    ("tsw", "之前的申请能复制一份再提交吗", "tsw.draft"),  # "earlier" must not swallow the application
    ("dog_licence", "我移民 隻狗送咗畀朋友養 要通知邊個改資料", "dog_licence.change_details"),
    ("1823", "1823包唔包埋房屋署嘅查詢㗎", "1823.departments"),  # naming one department is still coverage
]


#: Questions the seed missed in the sixth session, now answered (bot, question, topic; None: refused).
SIXTH_SESSION: list[tuple[str, str, str | None]] = [
    # Seed round of the sixth session (2026-12-05): questions written for the purpose, not case-file sentences
    ("tsw", "tsw contact number", "tsw.hotline"),  # the dog licence's "contact number" is a registered detail there
    ("1823", "1823管唔管水務署", "1823.departments"),  # 管唔管 X署 asks what 1823 covers; 管 alone is "runs"
    ("tsw", "單一窗口幾時可以報關", "tsw.phases"),  # declarations are phase 3
    ("dog_licence", "We are getting a puppy next week, she will be 10 weeks old. At what age does she legally "
                    "need a licence?", "dog_licence.who_needs"),  # "getting a puppy" is a new dog, and a dog
    ("dog_licence", "Hi, I just adopted a dog from a shelter and want to get it licensed. How much will it cost me?",
     "dog_licence.fee"),
    ("dog_licence", "My dog's licence was issued three years ago. Do I need to do anything now?",
     "dog_licence.validity_renewal"),
    ("dog_licence", "Hi, I'm going to the animal management centre tomorrow to license my dog. What should I bring "
                    "with me?", "dog_licence.documents"),  # the centre names where you go, not the question
    ("1823", "My elderly mother can only call late at night. Is anyone answering the 1823 line at midnight?",
     "1823.hours"),
    ("dog_licence", "lost the licence paper for my dog", "dog_licence.lost_licence"),  # the licence paper is the licence
    ("dog_licence", "I have to work that day, can my maid bring the dog in for me", "dog_licence.representative"),
]


#: The sixth session's words take no other topic (bot, question, topic; None: refused).
SIXTH_SESSION_GUARDS: list[tuple[str, str, str | None]] = [
    ("dog_licence", "去vet度整狗牌會唔會貴過去漁護署", "dog_licence.fee"),  # 漁護署 is not one of 1823's department names
    ("dog_licence", "Do I have to bring the dog with me to get the licence?", "dog_licence.documents"),  # not the representative's
    ("1823", "1823係邊個部門管㗎", "1823.about"),  # who runs 1823 is still about, beside 管唔管 (coverage)
    # no seed entry names Hong Kong Island: a question naming another provider there stays refused
    ("1823", "Hi, I am moving to a new flat on Hong Kong Island. How do I open an electricity account with HK Electric?",
     None),
]


#: Questions the seed missed in the sixth session's second pass, now answered (bot, question, topic; None: refused).
SECOND_PASS: list[tuple[str, str, str | None]] = [
    # Seed round of the sixth session, second pass (2026-12-05): written for the purpose, not case-file
    # sentences; each fails on the knowledge before that pass (d0d97ca)
    ("dog_licence", "養兔仔要唔要領牌", None),  # another pet is no dog (養 alone read as keeping a dog)
    ("1823", "我隻鸚鵡要唔要植晶片", None),  # a parrot's chip is not the dog's microchip
    ("1823", "1823s opening hours", "1823.hours"),  # "1823s" (no apostrophe) is 1823
    ("dog_licence", "我下星期要出差 可唔可以叫細佬帶隻狗去續牌", "dog_licence.representative"),  # a business trip
    ("dog_licence", "I'm away on a business trip next week, can my brother take the dog to renew its licence",
     "dog_licence.representative"),
    ("dog_licence", "打狂犬針係咪另外收錢", "dog_licence.vaccination"),  # the vaccine is part of the fee: its answer says so
    ("tsw", "TSW帳戶分幾類", "tsw.register"),  # kinds of account (幾類)
    ("1823", "聽講1823乜都可以問 佢係咩嚟", "1823.about"),  # hearsay (聽講) is no language (講)
    ("dog_licence", "we are emigrating, who do we tell about the new owner of our dog", "dog_licence.change_details"),
]


#: The second pass's words take no other topic (bot, question, topic; None: refused).
SECOND_PASS_GUARDS: list[tuple[str, str, str | None]] = [
    ("1823", "移民可唔可以帶隻狗走", None),  # taking a dog abroad stays refused: 移民 is not a change-of-owner word
    ("dog_licence", "替人養狗要唔要牌", "dog_licence.who_needs"),  # keeping a dog for someone is no representative
    ("dog_licence", "does the licence fee include the rabies vaccine", "dog_licence.vaccination"),  # as before
]


#: Questions the seed missed in the seventh session, now answered (bot, question, topic; None: refused).
SEVENTH_SESSION: list[tuple[str, str, str | None]] = [
    # Seed round of the seventh session (2026-12-05): written for the purpose, not case-file sentences;
    # each fails on the knowledge before that round (c617f43)
    ("1823", "颱風期間打1823仍然有人接聽嗎", "1823.hours"),  # a typhoon is no weather question here
    ("1823", "1823是數字政策辦公室的嗎", "1823.about"),  # who runs 1823, by the office's name
    ("1823", "I'm deaf, how do I get in touch with 1823?", "1823.contact"),  # hearing-impaired citizens
    ("dog_licence", "My wife is in hospital, can I take her dog to be licensed for her?", "dog_licence.representative"),
    ("dog_licence", "Can my neighbour go to AFCD in my place to renew the licence?", "dog_licence.representative"),
    ("dog_licence", "把狗轉讓給朋友 要辦甚麼手續", "dog_licence.change_details"),
    ("dog_licence", "I sold my puppy, what paperwork do I need?", "dog_licence.change_details"),
    ("1823", "想開狗場 要咩牌照", None),  # dog breeding is no dog licence question
    ("tsw", "does my company need a BR certificate to register on TSW", "tsw.register"),
    ("tsw", "开TSW账号要营业执照吗", "tsw.register"),  # the mainland word for a business registration
    ("tsw", "TSW可以申請邊啲許可證", "tsw.phases"),  # which licences TSW takes is the phases topic
    ("tsw", "how do i get a tsw login", "tsw.register"),  # not iAM Smart's login
]


#: The seventh session's words take no other topic (bot, question, topic; None: refused).
SEVENTH_SESSION_GUARDS: list[tuple[str, str, str | None]] = [
    ("1823", "明天會不會打颱風", None),  # a typhoon question without 1823 stays refused
    ("1823", "typhoon signal 8 tomorrow?", None),
    ("1823", "where is the nearest public hospital", None),  # "in hospital" is the owner's reason, not hospitals
    ("1823", "開寵物店要申請咩牌", None),  # a pet shop's licence stays refused
    ("dog_licence", "換咗新地址要通知邊個", "dog_licence.change_details"),  # 通知 stays a notify word
    ("dog_licence", "狗牌幾耐到期", "dog_licence.validity_renewal"),
    ("tsw", "TSW login唔到 係咪密碼過期", "tsw.password"),  # a login problem is no registration
]


#: Questions the seed missed in the eighth session, now answered (bot, question, topic; None: refused).
EIGHTH_SESSION: list[tuple[str, str, str | None]] = [
    # Seed round of the eighth session (2026-12-05), on seed_dev7/8 (written from FACTS.md only): written
    # for the purpose, not case-file sentences; each fails on the knowledge before that round (876e952)
    ("dog_licence", "養雀鳥要唔要攞牌", None),  # birds are other pets: 飼養 alone is no dog
    ("tsw", "密碼過期咗可唔可以再用舊密碼", "tsw.password"),  # an expired password, in Cantonese
    ("tsw", "可否複製舊申請 唔使由頭填過", "tsw.draft"),  # copying an application is not retyping it
    ("dog_licence", "the vet already gave my dog a rabies vaccine, is it enough for the licence", "dog_licence.vaccination"),
    ("dog_licence", "狗狗只在家里养 不出门 要办狗证吗", "dog_licence.who_needs"),  # a dog kept indoors
]


#: The eighth session's words take no other topic (bot, question, topic; None: refused).
EIGHTH_SESSION_GUARDS: list[tuple[str, str, str | None]] = [
    ("tsw", "中國國際貿易單一窗口點樣開戶", None),  # the mainland's single window is another system
    ("tsw", "how do I register on China's single window", None),
    ("tsw", "my TSW password has expired, can I reuse an old one?", "tsw.password"),
    ("tsw", "我係公司管理員 點樣幫同事開TSW用戶帳戶", "tsw.register"),  # a company user account
    ("1823", "my dad only speaks Putonghua, will 1823 understand him?", "1823.languages"),
    ("1823", "do i need a licence to keep birds", None),
]


#: Questions the seed missed in the ninth session, now answered (bot, question, topic; None: refused).
NINTH_SESSION: list[tuple[str, str, str | None]] = [
    # Seed round of the ninth session (2026-12-05), on seed_dev9/10 (written from FACTS.md only): written
    # for the purpose, not case-file sentences; each is refused on the knowledge before that round (ec5dc8c)
    ("tsw", "Is TSW compulsory or can I still use paper forms like before?", "tsw.about"),
    ("tsw", "TSW究竟係咩嚟 老闆叫我睇下", "tsw.about"),
    ("tsw", "I'm not a Hong Kong resident, can I register for TSW with my passport?", "tsw.register"),
    ("tsw", "账户注册好了还需要订阅吗", "tsw.register"),  # subscribing is the register topic's second step
    ("tsw", "系统老是出问题，有热线电话吗", "tsw.hotline"),
    ("tsw", "can I copy last month's licence application", "tsw.draft"),
]


#: Questions the seed missed in the twelfth session, now answered (bot, question, topic; None: refused).
TWELFTH_SESSION: list[tuple[str, str, str | None]] = [
    # Seed round of the twelfth session (2026-12-06), on seed_dev14/17 (written from FACTS.md only): written
    # for the purpose, not case-file sentences; each is refused on the knowledge before that round (6bface8)
    ("1823", "1823係咪一年365日都開㗎", "1823.hours"),  # all year round is an hours word
    ("1823", "will anyone pick up if I call 1823 at two in the morning", "1823.hours"),  # picking up the phone, not a draft
    ("1823", "阿爺只識講客家話，打1823有冇人明", "1823.languages"),  # a dialect is a language question
    ("1823", "投訴咗成個月都冇人理，1823會唔會幫我催", "1823.complaint"),  # chasing a complaint up
    ("tsw", "再儲一次草稿，舊嗰份會唔會被覆蓋", "tsw.draft"),  # overwriting a saved draft
    ("tsw", "單一窗口而家處理到幾多種貿易單證", "tsw.phases"),  # 單證 is a trade document
]


#: The twelfth session's words take no other topic (bot, question, topic; None: refused).
TWELFTH_SESSION_GUARDS: list[tuple[str, str, str | None]] = [
    ("1823", "八號風球幾時除", None),  # a typhoon signal without 1823 stays refused
    ("1823", "黑雨會唔會停課", None),
    ("1823", "掛黑雨嗰陣打1823有冇人聽", "1823.hours"),
    ("1823", "my grandma only speaks Hakka, can she still call 1823?", "1823.languages"),
    ("1823", "is the csl hotline open 24 hours", None),  # a phone company's hotline (nlu/data/elsewhere.txt)
    ("1823", "消委會處理投訴要幾耐", None),  # the Consumer Council's own procedure
    ("1823", "how do I complain to the Ombudsman", None),
    ("tsw", "I've clicked the activation link already, how long until the account is approved?", "tsw.approval_time"),
    ("tsw", "单一窗口是什么系统，一定要用吗", "tsw.about"),
]

THIRTEENTH_SESSION: list[tuple[str, str, str | None]] = [
    # A citizen review (2026-12-06): "owes me wages" with 我 inside was refused, and the classifier read 人工 as
    # 轉人工 (a person) and handed the citizen over. Each is refused on the knowledge before the edit.
    ("1823", "我個老闆欠我人工點算", "ld.wage_claims"),
    ("1823", "老細欠我糧，可以點做", "ld.wage_claims"),
    ("1823", "人工幾時要出", None),  # wages alone are no arrears
    # The same review: a new arrival asking for an identity card got public housing's seven-year rule; ImmD's
    # knowledge base now has the topic (immd.id_card_new_arrival).
    ("1823", "我係新來港人士，點樣申請身份證？", "immd.id_card_new_arrival"),
    ("1823", "I just arrived in Hong Kong on a one-way permit, how do I get an ID card?", "immd.id_card_new_arrival"),
    ("1823", "新來港人士可否申請公屋？", "hd.new_arrivals_residence"),
    ("1823", "我就18歲，要唔要換大人身份證？", "immd.id_card_age_18"),
]


@pytest.mark.parametrize(("bot", "question", "topic"), [
    *CLOSE_TOPICS, *FIRST_ROUND_GUARDS, *SIXTH_SESSION, *SIXTH_SESSION_GUARDS, *SECOND_PASS, *SECOND_PASS_GUARDS,
    *SEVENTH_SESSION, *SEVENTH_SESSION_GUARDS, *EIGHTH_SESSION, *EIGHTH_SESSION_GUARDS, *NINTH_SESSION,
    *TWELFTH_SESSION, *TWELFTH_SESSION_GUARDS, *THIRTEENTH_SESSION,
])
def test_seed_questions_find_their_topic(index, bot: str, question: str, topic: str | None) -> None:
    assert index.decide(question, bot_knowledge_bases(bot)).top == topic


@pytest.mark.parametrize(("name", "floor", "refused_floor"), [
    # 2026-12-05, retrieval only (topic and out-of-scope cases): before -> after this round
    ("eval_dev", 0.96, 0.95),    # 94.1% -> 96.8% (n=186)
    ("eval_dev2", 0.96, 0.95),   # 94.1% -> 97.6% (n=205)
    ("faq_cases", 0.97, 0.95),   # 93.9% -> 99.2% (n=244)
    ("seed_dev3", 0.97, 0.95),   # 94.6% -> 99.1% (n=112)
    ("seed_dev4", 0.97, 0.95),   # sixth session: 93.9% -> 100% (n=131)
    ("seed_dev5", 0.95, 0.95),   # sixth session, second pass: 85.1% -> 96.5% (n=141)
    ("seed_dev6", 0.90, 0.95),   # seventh session: 79.5% -> 90.4% (n=166)
    ("seed_dev7", 0.94, 0.95),   # eighth session: 92.1% -> 95.6% (n=114)
    ("seed_dev8", 0.95, 0.95),   # eighth session: 91.3% -> 97.1% (n=104)
    ("seed_dev9", 0.94, 0.95),   # ninth session: 90.6% -> 95.3% (n=106; the wide re-rank counted in both)
    # seed_dev10: "forgot my eTAX password" found the TSW password topic until eTAX became a name of another
    # service (nlu/data/elsewhere.txt, eleventh session): now all 17 near-misses are refused
    ("seed_dev10", 0.87, 0.95),  # ninth session: 80.0% -> 88.6% (n=105)
    ("seed_dev11", 0.87, 0.95),  # ninth session: 84.3% -> 86.1%; tenth: 88.7% (n=115; callers who tell their situation first)
    # tenth session, written then; retrieval alone after its changes (FaqRetriever's turned-to rule not counted):
    # seed_dev12 refuses 17 of its 19 near-misses (a private vet's desexing price finds the dog licence fee; the year 1823)
    ("seed_dev12", 0.94, 17 / 19),  # 96.6% (n=88, chat-box style)
    ("seed_dev13", 0.85, 0.95),  # 86.7% (n=113, careful full sentences)
    # eleventh session, written then (TSW bot); retrieval alone, after the e-service names: 80 of 102 questions
    # answered (the real bot answers more: FaqRetriever's confirmed band), all 22 near-misses refused
    # twelfth session: its knowledge round (seed_dev14 and seed_dev17's misses): 82.3% -> 84.7% (n=124)
    ("seed_dev14", 0.83, 0.95),
    # twelfth session, written then (the 1823 bot about itself); 24 of its 26 near-misses refused
    ("seed_dev17", 0.84, 24 / 26),  # 80.0% -> 85.0% (n=120)
    # the round's check file (TSW and 1823), not read until after the round: 85.5% -> 84.7% (n=124) by retrieval
    # alone, 121/131 -> 121/131 through the real bots (tests/data/README.md)
    ("seed_dev18", 0.83, 0.95),
])
def test_the_seed_dev_files_are_answered_and_their_near_misses_refused(index, name: str, floor: float,
                                                                       refused_floor: float) -> None:
    figures = dev_figures(index, name)
    right, cases = figures.answered + figures.refused, figures.answerable + figures.outside
    assert right / cases >= floor, f"{right}/{cases}"
    assert figures.refused / figures.outside >= refused_floor, f"{figures.refused}/{figures.outside} near-misses refused"


def test_the_seed_knowledge_has_no_confusion_warnings(index) -> None:
    # Before this round: three dog-licence questions about private vets and the SPCA found the fee
    # topic first, and the where_apply/fee overlap followed from them.
    assert [str(w) for w in confusion_warnings(index, SEED)] == []


@pytest.mark.parametrize(("bot", "question", "topic"), [
    # Another government e-service named (eleventh session, nlu/data/elsewhere.txt): its own login is not TSW's
    ("tsw", "I can't remember my eTAX password", None),
    ("tsw", "政府一站通個account點樣reset密碼", None),
    ("tsw", "我唔記得咗TSW個密碼", "tsw.password"),
    ("1823", "經稅務易報稅要先登記嗎", "ird.etax_filing"),  # the entries that name it are not lowered
])
def test_a_question_about_another_e_service_is_not_answered_with_a_tsw_login_topic(index, bot, question, topic):
    assert index.decide(question, bot_knowledge_bases(bot)).top == topic
