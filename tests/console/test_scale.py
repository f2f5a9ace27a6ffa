"""Operators at 150 topics: the knowledge list's department / language-gap / recent-change filters and the review
queue grouped by department, as logic and as pages served in process over ASGI on real SQLite with the full seed.

Filters combine, live in the URL, show counts and say when nothing matches; bad query values get a sentence,
not an error page. A missed message is filed under the department its retrieval candidates agree on, else
"unclear"; the grouped queue shows no citizen text the plain queue would not.
"""
from __future__ import annotations

import html
import re
import shutil
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import sqlalchemy as sa
from sanic import Sanic

from console import auth, review, store, web
from console.departments import department_label, department_names
from console.knowledge_filters import GAP_OPTIONS, Criteria, KnowledgeFilter, criteria_from, filter_items, language_gaps
from knowledge import history
from knowledge.db_store import KnowledgeDatabase, versions_table
from knowledge.live import reset_shared_store, shared_store
from tests.scaleout_services import services  # noqa: F401 (fixture: real PostgreSQL)

SEED = Path(__file__).resolve().parents[2] / "knowledge" / "seed"
KBS_1823 = ("1823", "dog_licence", "wsd", "immd", "ird", "hd", "rvd", "fehd", "epd", "swd", "ld", "bd", "emsd")
BOTS = {"1823": SimpleNamespace(knowledge_bases=KBS_1823), "tsw": SimpleNamespace(knowledge_bases=("tsw",)),
        "dog_licence": SimpleNamespace(knowledge_bases=("dog_licence",))}
PASSWORD = "a long test password"
HOSTILE = ["", " ", "x" * 5000, "\x00\x01\x02", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "９９", "-1", "1e3"]


def entry(entry_id: str, questions: dict | None = None, **fields) -> dict:
    kb = entry_id.split(".")[0]
    data = {"kb": kb, "id": entry_id, "title": {"en": "T", "zh-Hant": "題"}, "answer": {"en": "A", "zh-Hant": "答"},
            "questions": questions if questions is not None else {"en": ["a", "b"], "zh-Hant": ["甲", "乙"], "yue": ["一", "二"]},
            "source": "https://www.wsd.gov.hk/en/x", "updated": "2026-12-01"}
    data.update(fields)
    return data


# --------------------------------------------------------------------------- logic


def test_language_gaps_name_missing_answers_titles_and_thin_question_languages():
    assert language_gaps(entry("wsd.ok")) == set()
    thin = entry("wsd.thin", {"en": ["a", "b", "c"], "zh-Hant": ["甲", "乙"], "yue": ["一"]})
    assert language_gaps(thin) == {"few:yue"}
    none = entry("wsd.none", {"en": ["a", "b"], "zh-Hant": ["甲", "乙"], "yue": []}, answer={"en": "A", "zh-Hant": "  "})
    assert language_gaps(none) == {"questions:yue", "few:yue", "answer:zh-Hant"}
    broken = {"kb": "wsd", "id": "wsd.broken", "title": "not a mapping", "answer": None, "questions": {"en": "a string"}}
    assert {"answer:en", "answer:zh-Hant", "title:en", "title:zh-Hant", "questions:en", "questions:yue"} <= language_gaps(broken)
    assert set(language_gaps(broken)) <= set(GAP_OPTIONS)


def test_filters_combine_and_each_count_leaves_out_only_its_own_filter():
    items = [entry("wsd.a"), entry("wsd.b", {"en": ["a", "b"], "zh-Hant": ["甲", "乙"], "yue": ["一"]}),
             entry("immd.c", {"en": ["a", "b"], "zh-Hant": ["甲", "乙"], "yue": ["一"]}, source="https://www.immd.gov.hk/x"),
             entry("tsw.d", {"en": ["a"], "zh-Hant": ["甲", "乙"], "yue": ["一", "二"]}),
             {"kb": "wsd", "id": "wsd._vocabulary", "vocabulary": {"meter": ["meter"]}}]
    listing = KnowledgeFilter(items, {name: bot.knowledge_bases for name, bot in BOTS.items()}, changed={"wsd.b", "tsw.d"})
    ids = lambda found: [i["id"] for i in found]  # noqa: E731
    assert ids(listing.apply(Criteria())) == ["wsd.a", "wsd.b", "immd.c", "tsw.d"]  # never the vocabulary item
    assert ids(listing.apply(Criteria(kb="wsd", gap="few:yue"))) == ["wsd.b"]
    assert ids(listing.apply(Criteria(gap="few:yue", days=7))) == ["wsd.b"]
    assert ids(listing.apply(Criteria(bot="1823", gap="any", days=7))) == ["wsd.b"]  # tsw is not in the 1823 bot
    assert ids(listing.apply(Criteria(kb="immd", days=7))) == []
    with_gap = Criteria(gap="few:yue")
    assert listing.department_counts(with_gap) == {"wsd": 1, "immd": 1}  # counts keep the gap filter, not the department one
    assert listing.gap_counts(Criteria(kb="wsd"))["few:yue"] == 1
    assert listing.gap_counts(Criteria())["any"] == 3 and listing.gap_counts(Criteria())["few:en"] == 1
    assert filter_items(items, BOTS, kb="wsd", gap="few:yue", changed={"wsd.b"}) == [items[1]]
    assert filter_items(items, BOTS, bot="nobody") == []


def test_bad_query_values_are_dropped_with_a_sentence_never_an_error():
    for value in HOSTILE:
        args = {name: value for name in ("q", "bot", "kb", "topic", "lang", "gap", "days", "since")}
        criteria = criteria_from(args, BOTS, KBS_1823, latest_version=3)
        assert criteria.bot == criteria.kb == criteria.lang == criteria.gap == ""
        assert criteria.days is None and criteria.since is None
        assert len(criteria.q) <= 200
        if value.strip():
            assert criteria.problems and all(len(p) < 300 for p in criteria.problems)
    good = criteria_from({"kb": "wsd", "gap": "few:yue", "days": "7", "since": "2", "bot": "1823"}, BOTS, KBS_1823, 3)
    assert (good.kb, good.gap, good.days, good.since, good.problems) == ("wsd", "few:yue", 7, 2, ())
    assert good.query() == {"bot": "1823", "kb": "wsd", "gap": "few:yue", "days": "7", "since": "2"}
    assert criteria_from({"since": "4"}, BOTS, KBS_1823, 3).since is None  # no version 4 yet
    assert criteria_from({"since": "1"}, BOTS, KBS_1823, 0).problems  # nothing published yet


def test_departments_are_named_from_their_sources():
    import yaml

    items = []
    for kb in ("wsd", "dog_licence", "hd", "1823"):
        data = yaml.safe_load((SEED / f"{kb}.yml").read_text(encoding="utf-8"))
        items += [{**e, "kb": kb} for e in data["entries"]]
    names = department_names(items)
    assert names["wsd"] == "Water Supplies Department" and names["dog_licence"] == "AFCD"
    assert names["hd"] == "Housing Authority" and names["1823"] == "1823"
    assert department_names(items, "zh-Hant")["wsd"] == "水務署"
    assert department_label("wsd", names) == "Water Supplies Department (wsd)"
    assert department_label("1823", names) == "1823" and department_label("nope", names) == "nope"
    assert department_names([{"kb": "x", "source": ""}]) == {"x": "x"}


def m(topic: str, score: float) -> dict:
    return {"id": topic, "kb": topic.split(".")[0], "score": score}


def test_a_missed_message_is_filed_where_its_top_candidates_agree_else_unclear():
    assert review.area_of([m("wsd.high_bill_leak", 0.40), m("wsd.billing_estimate", 0.22), m("wsd.dispute_bill", 0.19)]) == "wsd"
    # a close candidate from another department: they do not agree
    assert review.area_of([m("bd.water_seepage", 0.51), m("emsd.gas_contractor", 0.36), m("wsd.burst_main", 0.31)]) == review.UNCLEAR
    # one department far ahead; the others are below half the top score and do not count
    assert review.area_of([m("epd.noise", 0.78), m("epd.renovation_noise", 0.74), m("bd.ubw", 0.30), m("emsd.x", 0.29)]) == "epd"
    # everything weak: noise, not a department
    assert review.area_of([m("immd.passport_fee", 0.26), m("immd.passport_apply", 0.26)]) == review.UNCLEAR
    assert review.area_of([]) == review.area_of(None) == review.UNCLEAR
    assert review.area_of([{"id": "wsd.x", "score": "not a number"}, "junk", {"score": 0.9}]) == review.UNCLEAR
    assert review.area_of([{"id": "wsd.x", "score": 0.9}]) == "wsd"  # kb read from the id when the match has none


def test_candidates_from_the_real_index_agree_on_water_and_not_on_a_swimming_pool():
    """The rule on the real 1823 knowledge: the retrieval's own candidates for questions it cannot answer."""
    index = shared_store().index()
    water = index.decide("water meter reading wrong", list(KBS_1823)).to_dict()
    pool = index.decide("Where is the nearest public swimming pool?", list(KBS_1823)).to_dict()
    assert water["top"] is None and pool["top"] is None  # both missed
    assert review.area_of(water["matches"]) == "wsd"
    assert review.area_of(pool["matches"]) == review.UNCLEAR


def test_review_groups_carry_their_area_and_an_older_database_gains_the_column(tmp_path):
    check_area_groups_on_an_older_database(f"sqlite:///{tmp_path / 'old-console.sqlite3'}")


def test_an_older_postgresql_console_database_gains_the_column_too(services):
    check_area_groups_on_an_older_database(services.new_database("hkbot_console_scale"))


def older_table(url: str, table: sa.Table, added: str) -> sa.engine.Engine:
    """`table` as the previous release created it, without the column `added` since; the engine that made it."""
    old = sa.MetaData()
    sa.Table(table.name, old, *[sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                                for c in table.columns if c.name != added])
    engine = sa.create_engine(url)
    old.create_all(engine)
    return engine


def check_area_groups_on_an_older_database(url: str) -> None:
    engine = older_table(url, store.review_items, "kb")
    with engine.begin() as connection:  # queued by the previous release: no kb column
        connection.execute(sa.text("INSERT INTO console_review_items (at, bot, group_key, text, language, reason, topic, score, sender_hash, status) "
                                   "VALUES (1, '1823', 'legacy', 'legacy water question', 'en', 'fallback', 'wsd.pay_bill', 0.4, 'h', 'open')"))
    engine.dispose()
    assert review.add("1823", "s1", "water meter reading wrong", "en", "fallback", "wsd.high_bill_leak", 0.4, url, area="wsd")
    assert review.add("1823", "s2", "Water meter reading WRONG!", "en", "fallback", "wsd.high_bill_leak", 0.4, url, area="wsd")
    assert review.add("1823", "s3", "Where is the nearest public swimming pool?", "en", "fallback", "hd.prh_apply", 0.26, url, area="")
    assert review.add("tsw", "s4", "my phone is 9123 4567, where is the swimming pool", "en", "fallback", None, None, url)
    found = {g.text: g for g in review.groups(url=url)}
    assert found["water meter reading wrong"].area == "wsd" and found["water meter reading wrong"].count == 2
    assert found["legacy water question"].area == "wsd"  # an older row: its closest topic's knowledge base
    assert found["Where is the nearest public swimming pool?"].area == review.UNCLEAR
    counts = review.area_counts(review.groups(url=url))
    assert counts == {"wsd": (2, 3), review.UNCLEAR: (2, 2)}
    assert list(counts)[-1] == review.UNCLEAR  # unclear last
    assert review.area_counts(review.groups(bot="tsw", url=url)) == {review.UNCLEAR: (1, 1)}  # counts only what is shown
    assert "9123 4567" not in " ".join(found)  # redacted before it was stored, grouped or counted


def test_an_older_handoff_table_gains_the_urgent_column_and_its_rows_stay_in_order(tmp_path):
    check_urgent_handoffs_on_an_older_database(f"sqlite:///{tmp_path / 'old-handoffs.sqlite3'}")


def test_an_older_postgresql_handoff_table_gains_the_urgent_column_too(services):
    check_urgent_handoffs_on_an_older_database(services.new_database("hkbot_console_urgent"))


def check_urgent_handoffs_on_an_older_database(url: str) -> None:
    engine = older_table(url, store.handoffs, "urgent")
    with engine.begin() as connection:  # waiting since the previous release: no urgent column
        connection.execute(sa.text("INSERT INTO console_handoffs (bot, sender, language, status, created_at) "
                                   "VALUES ('1823', 'legacy', 'en', 'waiting', 1)"))
    engine.dispose()
    from console import handoffs

    fresh = handoffs.open_handoff("1823", "crisis", "yue", [("citizen", "我唔想活")], url, urgent=True)
    assert fresh is not None and fresh.urgent
    assert [(h.sender, h.urgent) for h in handoffs.queue(url=url)] == [("crisis", True), ("legacy", False)]


def test_a_captured_miss_keeps_the_department_of_its_own_candidates_and_nothing_more(tmp_path):
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from console import capture

    url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    tracker = DialogueStateTracker("citizen-1", slots=[])
    for text, matches in (("water meter reading wrong, call me on 9123 4567",
                           [m("wsd.high_bill_leak", 0.40), m("wsd.billing_estimate", 0.22), m("wsd.dispute_bill", 0.19)]),
                          ("Who fixes the water pipe inside my flat?",
                           [m("bd.water_seepage", 0.51), m("emsd.gas_contractor", 0.36), m("wsd.burst_main", 0.31)])):
        tracker.update(UserUttered(text, {"name": "faq", "confidence": 0.9},
                                   parse_data={"language": "en", "faq": {"matches": matches, "threshold": 0.55, "top": None}}))
        tracker.update(BotUttered("Sorry, please call 1823", {}, {"kind": "fallback", "language": "en"}))
        assert capture.analyse_turn("1823", "citizen-1", tracker, url) == "fallback"
    with store.engine(url).connect() as connection:
        rows = connection.execute(sa.select(store.review_items.c.text, store.review_items.c.kb).order_by(store.review_items.c.id)).all()
    assert [tuple(r) for r in rows] == [("water meter reading wrong, call me on [PHONE]", "wsd"),
                                        ("Who fixes the water pipe inside my flat?", review.UNCLEAR)]


def test_changes_since_a_version_or_a_moment(tmp_path):
    database = KnowledgeDatabase(f"sqlite:///{tmp_path / 'knowledge.sqlite3'}")
    assert history.changes_since(database, None) is None and history.headers(database) == []
    import yaml

    seed = [{**{k: v for k, v in e.items() if k != "related"}, "kb": "wsd", "updated": str(e["updated"])} for e in yaml.safe_load((SEED / "wsd.yml").read_text(encoding="utf-8"))["entries"]]
    a, b, c = seed[0]["id"], seed[1]["id"], seed[2]["id"]
    changed_a = {**seed[0], "title": {**seed[0]["title"], "en": "Changed"}}
    database.publish_entries([seed[0], seed[1], *seed[3:]], "seed", "seed")
    database.publish_entries([changed_a, *seed[1:]], "pat", "edit a, add c")
    database.publish_entries([changed_a, *seed[2:]], "pat", "remove b")
    with database.engine.begin() as connection:  # version 1 a month ago, 2 three days ago, 3 now
        connection.execute(versions_table.update().where(versions_table.c.number == 1).values(created_at=time.time() - 30 * 86400))
        connection.execute(versions_table.update().where(versions_table.c.number == 2).values(created_at=time.time() - 3 * 86400))
    assert [h.number for h in history.headers(database)] == [3, 2, 1]
    week = history.changes_since(database, history.version_before(database, time.time() - 7 * 86400))
    assert (week.baseline, week.latest, week.kinds) == (1, 3, {a: "changed", b: "removed", c: "added"})
    day = history.changes_since(database, history.version_before(database, time.time() - 86400))
    assert day.kinds == {b: "removed"} and day.baseline == 2
    everything = history.changes_since(database, history.version_before(database, time.time() - 365 * 86400))
    assert everything.baseline is None and everything.ids("added") == {e["id"] for e in seed} - {b}


# --------------------------------------------------------------------------- pages, in process


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("seed")
    for path in SEED.glob("*.yml"):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture
async def app(tmp_path, monkeypatch, seed_dir):
    monkeypatch.setenv("HKBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HKBOT_KNOWLEDGE_DIR", str(seed_dir))
    monkeypatch.setenv("HKBOT_KNOWLEDGE_DB", f"sqlite:///{tmp_path / 'knowledge.sqlite3'}")
    monkeypatch.setenv("HKBOT_CONSOLE_DB", f"sqlite:///{tmp_path / 'console.sqlite3'}")
    monkeypatch.setenv("HKBOT_NOTICES_URL", "off")
    auth.add_user("ada", "admin", PASSWORD, by="test")
    monkeypatch.setattr(Sanic, "test_mode", True)
    reset_shared_store()
    app = Sanic(f"console_scale_{uuid.uuid4().hex}")
    web.register(app, BOTS)
    await app._startup()
    yield app
    reset_shared_store()
    from tests.inprocess_sanic import untouch_sanic

    untouch_sanic()


async def login(app: Sanic) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.test")
    page = await client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = await client.post("/console/login", data={"csrf_token": token, "name": "ada", "password": PASSWORD, "next": "/console/knowledge"})
    assert done.status_code == 303
    return client


def listed(page: httpx.Response) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)">', page.text)


def option(page: httpx.Response, name: str, value: str) -> str:
    """The visible label of one option of a filter select."""
    select = re.search(rf'<select name="{name}">(.*?)</select>', page.text, re.S).group(1)
    return html.unescape(re.search(rf'<option value="{re.escape(value)}"[^>]*>([^<]*)</option>', select).group(1))


async def test_the_list_filters_by_department_gap_and_recent_change_from_the_url(app):
    database = shared_store().source.database
    client = await login(app)
    published = {e["id"]: e for e in database.published()}
    everything = await client.get("/console/knowledge")
    total = len([i for i in published if not i.endswith("._vocabulary")])
    assert total >= 150 and len(listed(everything)) == total
    wsd = sorted(i for i in published if i.startswith("wsd.") and not i.endswith("._vocabulary"))
    assert option(everything, "kb", "wsd") == f"Water Supplies Department (wsd) · {len(wsd)}"
    assert option(everything, "gap", "few:yue").endswith("· 0")  # the seed has no thin Cantonese topic

    fresh = await client.get("/console/knowledge?days=7")  # the seed import itself is this week's only version
    assert "before version 1 (the whole history)" in fresh.text and len(listed(fresh)) == total
    with database.engine.begin() as connection:  # as if the seed was imported ten days ago
        connection.execute(versions_table.update().values(created_at=time.time() - 10 * 86400))
    assert listed(await client.get("/console/knowledge?days=7")) == []
    thin = dict(published["wsd.take_up_account"])
    thin["questions"] = {**thin["questions"], "yue": thin["questions"]["yue"][:1]}
    database.publish_entries([thin if e["id"] == thin["id"] else e for e in database.published()], "ada", "thin yue")
    page = await client.get("/console/knowledge?kb=wsd&gap=few:yue&days=1")
    assert listed(page) == ["wsd.take_up_account"]
    assert '<span class="badge gap">Fewer than 2 Cantonese questions</span>' in page.text
    assert "Showing 1 of" in page.text and "0 added, 1 changed, 0 removed" in page.text
    assert option(page, "gap", "few:yue").endswith("· 1") and option(page, "kb", "immd").endswith("· 0")
    assert re.search(r'<option value="wsd" selected>', page.text) and re.search(r'<option value="1" selected>1 day</option>', page.text)
    assert listed(await client.get("/console/knowledge?kb=immd&gap=few:yue")) == []
    empty = await client.get("/console/knowledge?kb=immd&gap=few:yue")
    assert "No entries match these filters" in empty.text and "<table" not in empty.text
    since = await client.get("/console/knowledge?since=1")
    assert listed(since) == ["wsd.take_up_account"]
    assert listed(await client.get("/console/knowledge?since=2")) == []

    for value in HOSTILE[2:]:
        page = await client.get("/console/knowledge", params={"kb": value, "gap": value, "days": value, "since": value})
        assert page.status_code == 200 and len(listed(page)) == total, value
        assert "<script>alert" not in page.text
    page = await client.get("/console/knowledge?days=abc")
    assert "&#39;abc&#39; is not a valid number of days" in page.text


async def test_the_review_queue_groups_by_department_with_counts_and_a_filter(app):
    for sender, text, area in (("a", "water meter reading wrong", "wsd"), ("b", "水錶讀數好似唔啱", "wsd"),
                               ("c", "Where is the nearest public swimming pool?", ""), ("d", "salaries tax instalment for hardship", "ird")):
        review.add("1823", sender, text, "en", "fallback", None, 0.3, area=area)
    review.add("tsw", "e", "tsw-only question about a permit", "en", "fallback", None, 0.1, area="tsw")
    client = await login(app)
    page = await client.get("/console/review")
    sections = re.findall(r'<section class="area" data-area="([^"]+)"', page.text)
    assert sections[-1] == "unclear" and set(sections) == {"wsd", "ird", "tsw", "unclear"}
    assert sections[0] == "wsd"  # most messages first
    assert ">Water Supplies Department (wsd)</a>: <span class=\"area-count\">2</span> questions" in page.text
    plain_texts = set(re.findall(r'<p class="text">([^<]*)</p>', page.text))
    water_item = page.text[page.text.index("<p class=\"text\">water meter reading wrong"):]
    assert re.search(r'<optgroup label="([^"]+)"', water_item).group(1) == "Water Supplies Department (wsd)"  # its department's topics first
    pool_item = page.text[page.text.index("<p class=\"text\">Where is the nearest public swimming pool?"):]
    assert re.search(r'<optgroup label="([^"]+)"', pool_item).group(1) == "1823"  # unclear: departments in name order

    wsd = await client.get("/console/review?department=wsd")
    assert sorted(re.findall(r'<p class="text">([^<]*)</p>', wsd.text)) == ["water meter reading wrong", "水錶讀數好似唔啱"]
    assert "2 of 5 questions to review" in wsd.text
    unclear = await client.get("/console/review?department=unclear")
    assert re.findall(r'<p class="text">([^<]*)</p>', unclear.text) == ["Where is the nearest public swimming pool?"]
    tsw = await client.get("/console/review?bot=tsw")
    assert set(re.findall(r'<section class="area" data-area="([^"]+)"', tsw.text)) == {"tsw"}
    assert "water meter" not in tsw.text and "1 question to review" in tsw.text  # no other bot's text, nor its count
    grouped_texts = set()
    for area in sections:
        grouped_texts |= set(re.findall(r'<p class="text">([^<]*)</p>', (await client.get(f"/console/review?department={area}")).text))
    assert grouped_texts == plain_texts  # grouping shows no text the plain queue does not

    for value in ("nope", "<script>alert(1)</script>", "x" * 500):
        page = await client.get("/console/review", params={"department": value})
        assert page.status_code == 200 and "showing every department" in page.text and "<script>alert" not in page.text
    page = await client.get("/console/review?department=hd")
    assert "Nothing to review for Housing Authority (hd)" in page.text
