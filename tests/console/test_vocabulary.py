"""The console's vocabulary page, in process over ASGI on real SQLite (console and knowledge databases in tmp_path).

The knowledge list hides vocabulary items and links each knowledge base's vocabulary page; the page shows the
seed vocabulary one concept per line; a saved edit is a draft whose publish is a new version, live in the store
and its lexicon without retraining; unreadable lines, HTML, huge and empty texts are refused with their line and
nothing saved; a user who may only view cannot save.
"""
from __future__ import annotations

import html
import re
import shutil
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import yaml
from sanic import Sanic

from console import audit, auth, web
from console.knowledge_pages import filter_items, knowledge_database
from knowledge.db_store import DatabaseSource, KnowledgeDatabase, is_vocabulary, vocabulary_id
from knowledge.live import reset_shared_store, shared_store
from knowledge.store import KnowledgeStore
from knowledge.versions import diff_entries
from nlu.concepts import concepts_of
from tests.inprocess_sanic import untouch_sanic

SEED = Path(__file__).resolve().parents[2] / "knowledge" / "seed"
#: The committed knowledge bases (copied, so files other work adds to the seed folder do not matter here).
SEED_FILES = ("1823.yml", "dog_licence.yml", "tsw.yml")
BOTS = {"dog_licence": SimpleNamespace(knowledge_bases=("dog_licence",)),
        "1823": SimpleNamespace(knowledge_bases=("1823", "dog_licence", "tsw"))}
PASSWORD = "a long test password"
KB = "dog_licence"
PAGE = f"/console/knowledge/vocabulary/{KB}"
NEW_TERM = "woofzilla"  # in no lexicon: only the edit below can make it mean `dog`


async def start_console(tmp_path, monkeypatch, knowledge_db: str, name: str) -> Sanic:
    """The console routes on a fresh Sanic app over a copy of the committed knowledge (`knowledge_db`: where it is served from)."""
    seed = tmp_path / "seed"
    seed.mkdir()
    for file_name in SEED_FILES:
        shutil.copy(SEED / file_name, seed / file_name)
    monkeypatch.setenv("HKBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HKBOT_KNOWLEDGE_DIR", str(seed))
    monkeypatch.setenv("HKBOT_KNOWLEDGE_DB", knowledge_db)
    monkeypatch.setenv("HKBOT_CONSOLE_DB", f"sqlite:///{tmp_path / 'console.sqlite3'}")
    monkeypatch.setenv("HKBOT_NOTICES_URL", "off")
    # Sanic 21.12 rewrites some of its own methods at each app's startup; in test mode it starts from the originals,
    # so one process can start an app per test.
    monkeypatch.setattr(Sanic, "test_mode", True)
    reset_shared_store()
    app = Sanic(f"{name}_{uuid.uuid4().hex}")
    web.register(app, BOTS)
    await app._startup()
    return app


@pytest.fixture
async def app(tmp_path, monkeypatch):
    """The console routes on a fresh Sanic app; knowledge in its own SQLite database seeded from the YAML."""
    # A role that may read the knowledge but not change it (the shipped roles all may draft, or not read).
    monkeypatch.setattr(auth, "ROLES", (*auth.ROLES, "viewer"))
    monkeypatch.setitem(auth.PERMISSIONS, "viewer", frozenset({"dashboard", "knowledge"}))
    monkeypatch.setenv("HKBOT_CONSOLE_DB", f"sqlite:///{tmp_path / 'console.sqlite3'}")
    for name, role in (("pat", "publisher"), ("eddie", "editor"), ("vic", "viewer")):
        auth.add_user(name, role, PASSWORD, by="test")
    app = await start_console(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'knowledge.sqlite3'}", "console_vocabulary")
    assert shared_store().source.database.latest_number() == 1  # the seed import
    yield app
    reset_shared_store()
    untouch_sanic()


@pytest.fixture
async def yaml_app(tmp_path, monkeypatch):
    """The console routes on a server that reads the knowledge from YAML files (no database to edit)."""
    monkeypatch.setenv("HKBOT_CONSOLE_DB", f"sqlite:///{tmp_path / 'console.sqlite3'}")
    auth.add_user("pat", "publisher", PASSWORD, by="test")
    app = await start_console(tmp_path, monkeypatch, "files", "console_yaml")
    assert knowledge_database() is None
    yield app
    reset_shared_store()
    untouch_sanic()


async def test_a_yaml_servers_entries_are_shown_read_only(yaml_app):
    """An operator review: on a server reading YAML files every topic of the list led to "There is no entry"."""
    pat = await login(yaml_app, "pat")
    listed = await pat.get("/console/knowledge")
    assert listed.status_code == 200 and "/console/knowledge/entry/dog_licence.fee" in listed.text
    shown = await pat.get("/console/knowledge/entry/dog_licence.fee")
    assert shown.status_code == 200, shown.text[:300]
    assert "There is no entry" not in shown.text and "HK$80" in html.unescape(shown.text).replace("HK$ 80", "HK$80")
    assert 'name="action" value="save"' not in shown.text  # nothing to edit here: the files are
    assert (await pat.get("/console/knowledge/entry/dog_licence.nothing_here")).status_code == 404


@pytest.fixture
def database(app) -> KnowledgeDatabase:
    return shared_store().source.database


class Console:
    """A logged-in operator's browser: cookies, and the CSRF token of the last page."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def get(self, path: str) -> httpx.Response:
        page = await self.client.get(path)
        found = re.search(r'data-csrf="([^"]*)"', page.text)
        self.csrf = found.group(1) if found else self.csrf
        return page

    async def post(self, path: str, **form: str) -> httpx.Response:
        return await self.client.post(path, data={"csrf_token": self.csrf, **form})


async def login(app: Sanic, name: str) -> Console:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.test")
    page = await client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = await client.post("/console/login", data={"csrf_token": token, "name": name, "password": PASSWORD, "next": "/console/knowledge"})
    assert done.status_code == 303 and web.COOKIE in client.cookies, done.text
    console = Console(client)
    await console.get("/console/knowledge")
    return console


def textarea(page: httpx.Response) -> str:
    found = re.search(r'<textarea id="vocabulary"[^>]*>\n?(.*?)</textarea>', page.text, re.S)
    assert found, page.text
    return html.unescape(found.group(1))


def seed_lines(kb: str) -> list[str]:
    """The page's expected lines, written from the seed YAML itself."""
    vocabulary = yaml.safe_load((SEED / f"{kb}.yml").read_text(encoding="utf-8"))["vocabulary"]
    lines = []
    for concept, value in vocabulary.items():
        terms, implies = (value["terms"], value.get("implies", [])) if isinstance(value, dict) else (value, [])
        head = f"{concept} > {' '.join(implies)}" if implies else concept
        lines.append(f"{head}: {' | '.join(str(t) for t in terms)}")
    return lines


def with_new_term(text: str) -> str:
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("dog: "))
    lines[index] += f" | {NEW_TERM}"
    return "\n".join(lines)


async def test_the_list_hides_vocabulary_items_and_links_each_vocabulary_page(app, database):
    published = database.published()
    vocabularies = [i for i in published if is_vocabulary(i)]
    entries = [i for i in published if not is_vocabulary(i)]
    assert {i["kb"] for i in vocabularies} == {"1823", KB, "tsw"} and entries
    assert filter_items(published, BOTS) == entries
    assert filter_items(published, BOTS, kb=KB) == [e for e in entries if e["kb"] == KB]
    pat = await login(app, "pat")
    database.save_draft({**vocabularies[0], "vocabulary": {"dog": ["dog"]}}, "pat")  # a draft must not become a row either
    page = await pat.get("/console/knowledge")
    assert page.status_code == 200
    assert VOCABULARY_ROW.search(page.text) is None
    assert "._vocabulary</a>" not in page.text
    assert f"{len(entries)} of {len(entries)} entries." in page.text
    for kb in ("1823", KB, "tsw"):
        assert f'<a href="/console/knowledge/vocabulary/{kb}">Vocabulary of {kb}</a>' in page.text
    filtered = await pat.get(f"/console/knowledge?kb={KB}")
    count = len([e for e in entries if e["kb"] == KB])
    assert f"{count} of {len(entries)} entries." in filtered.text


VOCABULARY_ROW = re.compile(r'href="/console/knowledge/entry/[^"]*_vocabulary"')


async def test_the_page_shows_the_seed_vocabulary_one_concept_per_line(app, database):
    eddie = await login(app, "eddie")
    page = await eddie.get(PAGE)
    assert page.status_code == 200
    assert textarea(page).splitlines() == seed_lines(KB)
    assert "dog_licence > dog licence: dog licence | dog license" in textarea(page)
    assert "words citizens use for one thing, in any language: 水錶 | water meter | 水表" in page.text
    assert "without retraining" in page.text
    assert 'value="save"' in page.text and "Publish this vocabulary" not in page.text  # an editor cannot publish
    assert textarea(await eddie.get("/console/knowledge/vocabulary/tsw")).splitlines() == seed_lines("tsw")
    missing = await eddie.get("/console/knowledge/vocabulary/no_such_kb")
    assert missing.status_code == 404 and "no_such_kb" in missing.text
    weird = await eddie.get("/console/knowledge/vocabulary/..%2Fetc")
    assert weird.status_code == 404


async def test_a_saved_vocabulary_is_a_draft_whose_publish_is_live_in_the_store_and_lexicon(app, database):
    pat = await login(app, "pat")
    live = KnowledgeStore(DatabaseSource(database))
    assert "dog" not in concepts_of(NEW_TERM, live.index().lexicon)
    text = with_new_term(textarea(await pat.get(PAGE)))

    checked = await pat.post(PAGE, action="check", vocabulary=text)
    assert checked.status_code == 200 and "No problems found." in checked.text and "vocabulary: dog" in checked.text
    assert database.drafts() == {}  # a check saves nothing

    saved = await pat.post(PAGE, action="save", vocabulary=text)
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?ok=saved"
    item_id = vocabulary_id(KB)
    draft = database.draft(item_id)
    assert draft and draft.author == "pat" and NEW_TERM in draft.data["vocabulary"]["dog"]
    assert draft.data["vocabulary"]["dog_licence"] == {"terms": draft.data["vocabulary"]["dog_licence"]["terms"], "implies": ["dog", "licence"]}
    (record,) = [r for r in audit.recent() if r.action == "draft.save"]
    assert (record.user, record.target, record.detail) == ("pat", item_id, "vocabulary: dog")
    assert database.latest_number() == 1 and "dog" not in concepts_of(NEW_TERM, live.index().lexicon)  # a draft is not live

    page = await pat.get(f"{PAGE}?ok=saved")
    assert textarea(page) == text and "Draft saved." in page.text
    assert "What this draft changes (1 concept(s))" in page.text and "+ woofzilla" in page.text
    assert f'name="entry_id" value="{item_id}"' in page.text

    published = await pat.post("/console/knowledge/publish", entry_id=item_id, message="A new word for dogs")
    assert published.status_code == 303 and published.headers["location"] == "/console/versions/2?ok=published"
    assert database.drafts() == {}
    changes = diff_entries(database.version(1).entries, database.version(2).entries)
    assert [(c.entry_id, c.kind) for c in changes] == [(item_id, "changed")]
    assert [f.field for f in changes[0].fields] == ["vocabulary: dog"]
    assert ("+", NEW_TERM) in changes[0].fields[0].lines

    live.check()
    concept = next(c for c in live.snapshot.vocabularies[KB].concepts if c.id == "dog")
    assert NEW_TERM in concept.terms
    assert "dog" in concepts_of(f"can my {NEW_TERM} swim", live.index().lexicon)
    served = shared_store()  # the process's own store, refreshed by the publish route
    assert "dog" in concepts_of(NEW_TERM, served.index().lexicon)
    assert textarea(await pat.get(PAGE)) == text


async def test_an_unreadable_line_is_refused_with_its_line_number_and_nothing_is_saved(app, database):
    eddie = await login(app, "eddie")
    lines = textarea(await eddie.get(PAGE)).splitlines()
    bad = "\n".join([*lines[:2], "this line has no colon", *lines[2:]])
    refused = await eddie.post(PAGE, action="save", vocabulary=bad)
    assert refused.status_code == 422
    assert "Line 3:" in refused.text and "Write `concept: term | term`" in refused.text
    assert textarea(refused) == bad  # the operator's text is kept to fix
    crlf = await eddie.post(PAGE, action="check", vocabulary=bad.replace("\n", "\r\n"))  # as browsers send it
    assert crlf.status_code == 422 and "Line 3:" in crlf.text

    cases = {
        "\n".join([*lines, "Water Meter: 水錶"]): f"Line {len(lines) + 1}: &#39;Water Meter&#39; is not a concept name",
        "\n".join([lines[0], lines[0]]): "Line 2: Concept &#39;dog&#39; is already on line 1.",
        "\n".join([*lines, "meter > : 水錶"]): "names no concept it implies",
        "\n".join([*lines, "meter: | |"]): "Concept &#39;meter&#39; has no terms.",
        "\n".join([lines[0], "<script>alert(1)</script>: x"]): "Line 2: &#39;&lt;script&gt;alert(1)&lt;/script&gt;: x&#39; contains HTML markup.",
        "\n".join([*lines, "meter: " + "水" * 61]): f"Line {len(lines) + 1}: Vocabulary term",  # the schema's limit, found by validation
        "  \n\n# only a note\n": "The vocabulary is empty.",
        "dog: " + " | ".join(["dogs"] * 50_000): "over the 200 KB limit",
    }
    for text, expected in cases.items():
        for action in ("check", "save"):
            page = await eddie.post(PAGE, action=action, vocabulary=text)
            assert page.status_code == 422, (text[:80], page.text[:500])
            assert expected in page.text, (text[:80], page.text)
            assert "<script>alert(1)</script>" not in page.text
    missing = await eddie.post(PAGE, action="save")
    assert missing.status_code == 422 and "The vocabulary is empty." in missing.text
    assert database.drafts() == {} and database.latest_number() == 1
    assert not [r for r in audit.recent() if r.action.startswith("draft.")]


async def test_a_user_who_may_only_view_cannot_save_and_an_editor_cannot_publish(app, database):
    vic = await login(app, "vic")
    page = await vic.get(PAGE)
    assert page.status_code == 200 and textarea(page).splitlines() == seed_lines(KB)
    assert "readonly" in page.text and 'value="save"' not in page.text
    text = with_new_term(textarea(page))
    refused = await vic.post(PAGE, action="save", vocabulary=text)
    assert refused.status_code == 403 and "cannot do this" in refused.text
    assert database.drafts() == {}

    eddie = await login(app, "eddie")
    await eddie.get(PAGE)
    forged = await eddie.client.post(PAGE, data={"csrf_token": "forged", "action": "save", "vocabulary": text})
    assert forged.status_code == 403 and database.drafts() == {}
    assert (await eddie.post(PAGE, action="save", vocabulary=text)).status_code == 303
    assert database.draft(vocabulary_id(KB)) is not None
    publish = await eddie.post("/console/knowledge/publish", entry_id=vocabulary_id(KB))
    assert publish.status_code == 403 and database.latest_number() == 1
    asked = await eddie.post(PAGE, action="discard")
    assert asked.status_code == 200 and "Yes, discard the draft" in asked.text and database.drafts() != {}
    discarded = await eddie.post(PAGE, action="discard", confirm="yes")
    assert discarded.status_code == 303 and database.drafts() == {}


def entry_form(item: dict) -> dict[str, str]:
    """The edit form's fields for a stored entry."""
    form = {"kb": item["kb"], "source": item["source"], "updated": str(item["updated"]),
            "tags": ", ".join(item.get("tags", [])), "related": ", ".join(item.get("related", []))}
    for group in ("title", "answer"):
        form.update({f"{group}.{lang}": text for lang, text in item[group].items()})
    form.update({f"questions.{lang}": "\n".join(texts) for lang, texts in item["questions"].items()})
    return form


async def test_checking_an_entry_shows_the_confusion_a_citizen_would_meet(app, database):
    eddie = await login(app, "eddie")
    item = next(i for i in database.published() if i["id"] == "dog_licence.fee")
    path = "/console/knowledge/entry/dog_licence.fee"
    await eddie.get(path)
    clean = await eddie.post(path, action="check", **entry_form(item))
    assert clean.status_code == 200 and "No problems found." in clean.text and "trip on" not in clean.text
    confusing = dict(item, questions={**item["questions"], "en": [*item["questions"]["en"], "Which place do I go to license my dog?"]})
    checked = await eddie.post(path, action="check", **entry_form(confusing))
    assert checked.status_code == 200 and "thing(s) citizens may trip on" in checked.text
    assert "Which place do I go to license my dog?" in html.unescape(checked.text) and "dog_licence.where_apply" in checked.text
    assert database.drafts() == {}  # checking saves nothing


async def test_checking_an_entry_names_another_departments_topic_a_question_belongs_to(app, database):
    """An operator review: a dog licence question added to a restaurant complaint topic was "No problems found"."""
    eddie = await login(app, "eddie")
    item = next(i for i in database.published() if i["id"] == "1823.complaint")
    path = "/console/knowledge/entry/1823.complaint"
    wrong = dict(item, questions={**item["questions"], "en": [*item["questions"]["en"], "How much does a dog licence cost?"]})
    checked = await eddie.post(path, action="check", **entry_form(wrong))
    assert checked.status_code == 200 and "thing(s) citizens may trip on" in checked.text
    assert "reads like 'dog_licence.fee'" in html.unescape(checked.text)
    assert database.drafts() == {}


def base_of(page: httpx.Response) -> str:
    """The edit form's `base`: what the operator opened."""
    return re.search(r'name="base" value="([0-9a-f]+)"', page.text).group(1)


async def test_a_save_over_a_change_made_after_the_form_was_opened_keeps_the_text_and_saves_nothing(app, database):
    """An operator review: a second operator's save silently replaced the first one's saved draft."""
    path = "/console/knowledge/entry/dog_licence.fee"
    item = next(i for i in database.published() if i["id"] == "dog_licence.fee")
    eddie, pat = await login(app, "eddie"), await login(app, "pat")
    opened_by_eddie, opened_by_pat = base_of(await eddie.get(path)), base_of(await pat.get(path))
    pats = dict(item, answer={**item["answer"], "en": item["answer"]["en"].replace("HK$80", "HK$80 (PAT)")})
    assert (await pat.post(path, action="save", base=opened_by_pat, **entry_form(pats))).status_code == 303
    eddies = dict(item, title={**item["title"], "en": "Dog licence fee (EDDIE)"})
    refused = await eddie.post(path, action="save", base=opened_by_eddie, **entry_form(eddies))
    assert refused.status_code == 409 and "NOT saved" in refused.text and "pat saved a draft" in refused.text
    assert "Dog licence fee (EDDIE)" in html.unescape(refused.text)  # the operator's text is kept on the page
    assert "(PAT)" in database.draft("dog_licence.fee").data["answer"]["en"]  # ... and the other draft is untouched
    # Check keeps what the form was opened on: a Check after the colleague's save does not make the save go through.
    checked = await eddie.post(path, action="check", base=opened_by_eddie, **entry_form(eddies))
    assert checked.status_code == 200 and base_of(checked) == opened_by_eddie
    assert (await eddie.post(path, action="save", base=base_of(checked), **entry_form(eddies))).status_code == 409
    # Saving again from the refusal (its base is the current one) is a deliberate choice: it replaces the draft.
    again = await eddie.post(path, action="save", base=base_of(refused), **entry_form(eddies))
    assert again.status_code == 303 and database.draft("dog_licence.fee").author == "eddie"


async def test_a_vocabulary_saved_over_a_change_made_after_it_was_opened_is_not_saved(app, database):
    eddie, pat = await login(app, "eddie"), await login(app, "pat")
    opened_by_eddie, opened_by_pat = base_of(await eddie.get(PAGE)), base_of(await pat.get(PAGE))
    text = with_new_term(textarea(await pat.get(PAGE)))
    assert (await pat.post(PAGE, action="save", base=opened_by_pat, vocabulary=text)).status_code == 303
    refused = await eddie.post(PAGE, action="save", base=opened_by_eddie, vocabulary=text + "\nextra: extra words")
    assert refused.status_code == 409 and "NOT saved" in refused.text and "extra words" in html.unescape(refused.text)
    assert database.draft(vocabulary_id(KB)).author == "pat"


def resent_form(page: httpx.Response) -> dict[str, str]:
    """The fields of the first form of a page (inputs and textareas), as a browser would send them."""
    text = page.text
    fields = {m.group(1): html.unescape(m.group(2)) for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', text)}
    fields.update({m.group(1): html.unescape(m.group(2)) for m in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>\n(.*?)</textarea>', text, re.S)})
    return fields


async def test_a_change_sent_after_the_session_ended_is_kept_and_sent_again_after_logging_in(app, database):
    """An operator review: Save draft after the session ended showed bare JSON, and the typed answer was lost."""
    path = "/console/knowledge/entry/dog_licence.fee"
    item = next(i for i in database.published() if i["id"] == "dog_licence.fee")
    eddie = await login(app, "eddie")
    base = base_of(await eddie.get(path))
    auth.end_session(eddie.client.cookies[web.COOKIE])  # idle too long, or logged out in another tab
    typed = dict(item, answer={**item["answer"], "en": item["answer"]["en"].replace("HK$80", "HK$80 (Typed before the session ended.)")})
    ended = await eddie.post(path, action="save", base=base, **entry_form(typed))
    assert ended.status_code == 401 and "text/html" in ended.headers["content-type"]
    assert "not saved" in ended.text and "Typed before the session ended." in html.unescape(ended.text)
    assert database.drafts() == {}
    login_form = resent_form(ended)
    assert login_form["next"] == path and login_form["resume.action"] == "check"  # never a save by itself
    again = await eddie.client.post("/console/login", data={**login_form, "name": "eddie", "password": PASSWORD})
    assert again.status_code == 200 and "Open it in the editor" in again.text and database.drafts() == {}
    shown = await eddie.client.post(path, data=resent_form(again))
    assert shown.status_code == 200 and "Typed before the session ended." in html.unescape(shown.text)
    assert database.drafts() == {}  # the editor shows it; the operator saves it there
    eddie.csrf = re.search(r'data-csrf="([^"]*)"', shown.text).group(1)
    assert (await eddie.post(path, action="save", base=base_of(shown), **entry_form(typed))).status_code == 303
    saved = database.draft("dog_licence.fee").data
    assert saved["answer"]["en"] == typed["answer"]["en"] and saved["questions"] == item["questions"]  # lines kept


async def test_a_form_sent_from_another_site_is_not_kept(app, database):
    """A page elsewhere posting to the console (no session cookie: SameSite) must not have its fields offered to an
    operator who logs in; nor is a delete, a publish or a confirmation kept."""
    path = "/console/knowledge/entry/dog_licence.fee"
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.test")
    cross = await client.post(path, data={"action": "save", "title.en": "EVIL"}, headers={"sec-fetch-site": "cross-site"})
    assert cross.status_code == 401 and "EVIL" not in cross.text
    for form_data, where in (({"action": "delete", "confirm": "yes"}, path), ({"confirm": "yes"}, "/console/knowledge/publish")):
        kept = await client.post(where, data=form_data, headers={"sec-fetch-site": "same-origin"})
        assert kept.status_code == 401 and "resume." not in kept.text
    same = await client.post(path, data={"action": "save", "confirm": "yes", "title.en": "Mine"}, headers={"sec-fetch-site": "same-origin"})
    fields = resent_form(same)
    assert fields["resume.title.en"] == "Mine" and fields["resume.action"] == "check" and "resume.confirm" not in fields


async def test_logging_out_says_so(app):
    pat = await login(app, "pat")
    await pat.get("/console/knowledge")
    out = await pat.post("/console/logout")
    assert out.status_code == 303 and out.headers["location"] == "/console/login?out=1"
    assert "You are logged out." in (await pat.client.get(out.headers["location"])).text


@pytest.mark.parametrize("action", ["delete", "discard"])
async def test_deleting_an_entry_or_discarding_a_draft_asks_first(app, database, action: str):
    """An operator review: Delete and Discard took one click, and Delete read as 'Draft saved'."""
    path = "/console/knowledge/entry/dog_licence.fee"
    item = next(i for i in database.published() if i["id"] == "dog_licence.fee")
    pat = await login(app, "pat")
    page = await pat.get(path)
    if action == "discard":
        changed = dict(item, title={**item["title"], "en": "Dog licence fee (draft)"})
        assert (await pat.post(path, action="save", base=base_of(page), **entry_form(changed))).status_code == 303
        await pat.get(path)
    before = database.drafts()
    asked = await pat.post(path, action=action)
    assert asked.status_code == 200 and "Yes, " in asked.text and "Cancel" in asked.text
    assert database.drafts() == before  # nothing happened yet
    done = await pat.post(path, action=action, confirm="yes")
    assert done.status_code == 303
    if action == "delete":
        assert database.draft("dog_licence.fee").data is None
        shown = await pat.get(path)
        assert "This draft deletes the entry" in shown.text and "Publish the deletion" in shown.text
    else:
        assert database.draft("dog_licence.fee") is None


async def test_a_vocabulary_cannot_be_edited_or_wiped_through_the_entry_pages(app, database):
    pat = await login(app, "pat")
    path = f"/console/knowledge/entry/{vocabulary_id(KB)}"
    assert (await pat.get(path)).status_code == 404
    for action in ("save", "delete"):
        refused = await pat.post(path, action=action, kb=KB)
        assert refused.status_code == 404
    assert database.drafts() == {}


async def test_checking_a_vocabulary_shows_the_confusion_it_would_cause(app, database):
    pat = await login(app, "pat")
    text = textarea(await pat.get(PAGE))
    clean = await pat.post(PAGE, action="check", vocabulary=text)
    before = clean.text.count("<li><strong>dog_licence.")
    # An operator's slip: 狗牌 made to imply where, documents, vaccination...: every dog licence question now asks them all.
    merged = text + ("\nplace_of_licence > where amc vet appointment documents hkid bring vaccination microchip: "
                     "狗牌 | 犬隻牌照 | dog licence")
    checked = await pat.post(PAGE, action="check", vocabulary=merged)
    assert checked.status_code == 200 and "thing(s) citizens may trip on" in checked.text
    assert checked.text.count("<li><strong>dog_licence.") > before
    assert database.drafts() == {}
