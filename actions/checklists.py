"""What to bring: the checklist content for each department's form branch (from FACTS.md).

Plain data and functions, no Rasa: `dog_licence_checklist(application, applicant)`
and `tsw_checklist(applicant)` return a `Checklist` whose texts are {en, zh-Hant} maps.
"""
from __future__ import annotations

from dataclasses import dataclass

CHECKLIST_FORM = "checklist_form"
#: Answers after which the bot offers to make a checklist.
CHECKLIST_TOPICS = frozenset({
    "dog_licence.documents", "dog_licence.representative", "dog_licence.validity_renewal", "tsw.register",
})
#: The form slots and their values, per department.
DOG_APPLICATION = "dog_application"  # new | renewal
DOG_APPLICANT = "dog_applicant"  # in_person | representative
TSW_APPLICANT = "tsw_applicant"  # individual | company
CHOICES: dict[str, tuple[str, ...]] = {
    DOG_APPLICATION: ("new", "renewal"),
    DOG_APPLICANT: ("in_person", "representative"),
    TSW_APPLICANT: ("individual", "company"),
}
#: Knowledge topics whose source pages back each checklist (the live entry's source is used when present).
DOG_TOPICS = ("dog_licence.documents", "dog_licence.representative")
TSW_TOPICS = ("tsw.register",)
DEFAULT_SOURCES = {
    "dog_licence.documents": "https://www.1823.gov.hk/en/faq/how-to-apply-for-or-renew-a-dog-licence",
    "dog_licence.representative": "https://www.1823.gov.hk/en/faq/how-to-apply-for-or-renew-a-dog-licence",
    "tsw.register": "https://www6.tradesinglewindow.hk/portal/en/faq/registration-of-trade-single-window.html",
}

Text = dict[str, str]


@dataclass(frozen=True)
class Checklist:
    """A heading, the things to bring, notes, and the knowledge topics it comes from."""

    heading: Text
    items: tuple[Text, ...]
    notes: tuple[Text, ...]
    topics: tuple[str, ...]


def _t(en: str, zh: str) -> Text:
    return {"en": en, "zh-Hant": zh}


def dog_licence_checklist(application: str, applicant: str) -> Checklist:
    """What to bring to license a dog: `application` new|renewal, `applicant` in_person|representative."""
    renewal = application == "renewal"
    kind = _t("renewing a dog licence", "續領犬隻牌照") if renewal else _t("a new dog licence", "申請新犬隻牌照")
    if applicant == "representative":
        heading = _t(
            f"Checklist for {kind['en']}, through a representative. The representative brings:",
            f"{kind['zh-Hant']}（由代表辦理）清單，代表須攜帶：",
        )
        items = [
            _t("the dog", "狗隻"),
            _t("HK$80 in cash (covers the microchip, the rabies vaccination and the licence)",
               "現金港幣80元（已包括植入微型晶片、狂犬病疫苗注射及牌照）"),
            _t("the owner's authorisation letter", "狗主的授權書"),
            _t("a copy of the owner's identity document", "狗主身份證明文件的副本"),
            _t("the application form, signed by the owner", "由狗主簽署的申請表格"),
            _t("the representative's own identity document", "代表本人的身份證明文件"),
        ]
    else:
        heading = _t(f"Checklist for {kind['en']}, in person. Please bring:", f"{kind['zh-Hant']}（親身辦理）清單，請攜帶：")
        items = [
            _t("your dog", "你的狗隻"),
            _t("your HKID card (or other identity document)", "你的香港身份證（或其他身份證明文件）"),
            _t("HK$80 in cash (covers the microchip, the rabies vaccination and the licence)",
               "現金港幣80元（已包括植入微型晶片、狂犬病疫苗注射及牌照）"),
        ]
    notes = []
    if renewal:
        items.append(_t("the old dog licence", "舊犬隻牌照"))
        notes.append(_t(
            "Lost the old licence? Renewal without it is possible only at the 4 AFCD Animal Management Centres.",
            "如遺失舊牌照，只可在漁護署4間動物管理中心續牌。",
        ))
    topics = DOG_TOPICS[::-1] if applicant == "representative" else DOG_TOPICS
    return Checklist(heading, tuple(items), tuple(notes), topics)


def tsw_checklist(applicant: str) -> Checklist:
    """The TSW account type and documents: `applicant` individual|company."""
    if applicant == "company":
        heading = _t(
            "Checklist for registering a company or other business (a sole proprietorship too) on Trade Single Window. "
            "Account type: Company (Administrator). Please have ready:",
            "公司或商號（包括獨資經營）登記貿易單一窗口清單。帳戶類別：公司（管理員）。請預備：",
        )
        items: tuple[dict[str, str], ...] = (
            _t("the administrator's HKID card or travel document", "管理員的香港身份證或旅行證件"),
            _t("the business's valid Business Registration certificate (or other registration document)", "公司或商號的有效商業登記證（或其他登記文件）"),
            _t("an authorisation letter for the administrator, issued by the proprietor, a partner or the board of directors",
               "由東主、合夥人或董事會發出，委任管理員的授權書"),
        )
    else:
        heading = _t(
            "Checklist for registering as an individual on Trade Single Window. Account type: Individual. Please have ready:",
            "個人登記貿易單一窗口清單。帳戶類別：個人。請預備：",
        )
        items = (_t("your HKID card or travel document", "你的香港身份證或旅行證件"),)
    notes = (
        _t("Steps: register an account, subscribe to the online service, then submit.",
           "步驟：登記帳戶、訂用網上服務，然後遞交申請。"),
        _t("Registration and subscription are free. After you activate the account by email, approval normally takes 2 working days.",
           "登記及訂用服務均免費。以電郵啟動帳戶後，審批一般需時2個工作天。"),
    )
    return Checklist(heading, items, notes, TSW_TOPICS)


def checklist_for(slots: dict[str, object]) -> Checklist | None:
    """The checklist that the filled form slots call for, or None if the form is incomplete."""
    if slots.get(DOG_APPLICATION) in CHOICES[DOG_APPLICATION] and slots.get(DOG_APPLICANT) in CHOICES[DOG_APPLICANT]:
        return dog_licence_checklist(str(slots[DOG_APPLICATION]), str(slots[DOG_APPLICANT]))
    if slots.get(TSW_APPLICANT) in CHOICES[TSW_APPLICANT]:
        return tsw_checklist(str(slots[TSW_APPLICANT]))
    return None
