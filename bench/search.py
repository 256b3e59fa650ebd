"""Search benchmark: portal.core.search.search on 50,000 pages, for three kinds of viewer.

Not a test: it prints one summary line per figure and exits 0 unless the setup itself fails.
See bench/README.md ("search.py") for how to run it and what the figures mean.

    .venv/bin/python bench/search.py
    scripts/with-postgres .venv/bin/python bench/search.py     # SQLite, then PostgreSQL
    .venv/bin/python bench/search.py --explain                 # also the query plan of the slowest

The pages are written with bulk inserts straight into `pages`, `search_documents` (and the
FTS5 table `search_fts` on SQLite; on PostgreSQL the stored `search_vector` column computes
itself), in the shapes that `portal.core.search.index` writes, on a fresh database built by the
migrations. Nothing is left behind. The vocabulary includes the words of the French catalogue,
so the generated text (and the figures) move a little when the catalogue changes.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no migration chatter between the figures

import sqlalchemy as sa  # noqa: E402

import tests.conftest  # noqa: E402
import tests.live  # noqa: E402
from tests.live import live_database  # noqa: E402

TARGET_MS = 50.0  # the issue: median under 50 ms
STATES = (("published", 0.6), ("pending", 0.1), ("private", 0.3))
SECTIONS = 40  # top-level pages that hold most of the others (security_path /page:s/page:n/)

# French words a cooperative's pages use (accents included: the FTS5 tokenizer removes
# diacritics, the PostgreSQL "simple" configuration does not). Mixed with the English words of
# Python's own help texts (in the standard library, so the bench needs no download) and the
# words of the portal's French catalogue: a few thousand words in all.
FRENCH = """
le la les un une des du de et ou mais donc car ni que qui quoi dont où ce cette ces son sa ses
leur leurs notre nos votre vos il elle ils elles nous vous on je tu être avoir faire aller voir
savoir pouvoir vouloir devoir venir prendre donner parler travailler décider voter réunir
réunion assemblée générale conseil administration bureau président présidente trésorier
trésorière secrétaire membre membres salarié salariée salariés associé associée associés
coopérative société entreprise insertion parcours accompagnement formation formateur
formatrice conseiller conseillère atelier chantier équipe équipes encadrant encadrante
planning horaires semaine mois année journée matin après-midi soir lundi mardi mercredi jeudi
vendredi samedi dimanche janvier février mars avril mai juin juillet août septembre octobre
novembre décembre budget compte comptes bilan résultat excédent déficit subvention
financement facture devis achat vente client clients fournisseur fournisseurs contrat
avenant statuts règlement intérieur procès-verbal ordre jour délibération résolution vote
majorité unanimité quorum mandat pouvoir procuration élection candidat candidate scrutin
sécurité santé hygiène prévention risque risques accident équipement protection gants
chaussures casque vestiaire cantine repas pause café transport navette vélo voiture permis
logement santé mutuelle congé congés absence retard maladie attestation salaire paie fiche
heures supplémentaires prime indemnité cotisation retraite chômage emploi recherche
candidature entretien embauche sortie durable dynamique positive qualification diplôme
compétence compétences savoir-faire apprentissage tutorat stage immersion évaluation bilan
objectif objectifs projet projets professionnel personnel social solidaire économie locale
quartier mairie département région association partenaire partenaires réseau bénévole
bénévoles jardin potager légumes fruits récolte serre arrosage compost marché panier
recyclerie recyclage réemploi tri déchets collecte meuble meubles vêtements textile couture
menuiserie bois peinture maçonnerie nettoyage entretien espaces verts tonte taille haie
livraison stock inventaire entrepôt magasin caisse boutique accueil public ouverture
fermeture clé clés badge alarme local locaux salle bureau ordinateur imprimante téléphone
courriel message informatique logiciel portail page pages actualité actualités nouvelle
document documents dossier fichier lien liste tableau note notes procédure consigne
consignes règle règles droit droits devoir devoirs respect égalité diversité handicap
laïcité confidentialité données personnelles sécurité incendie évacuation extincteur
secours premiers soins trousse pharmacie urgence numéro appel responsable référent
référente délégué déléguée personnel élu élue élus représentant représentante comité
commission groupe travail charte valeurs mission vision stratégie plan action actions
priorité calendrier échéance date lieu adresse heure minute rapide simple clair court long
nouveau nouvelle ancien ancienne premier première dernier dernière prochain prochaine grand
petite petit grande bon bonne mauvais meilleur important importante nécessaire possible
obligatoire facultatif gratuit payant ouvert fermé prêt prête fait faite validé validée
""".split()  # noqa: SIM905 - a paragraph of words reads better than a list

MARKDOWN_WORDS = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
STOP = {"the", "and", "for", "that", "this", "with", "are", "not", "from", "can", "but", "you"}


def vocabulary() -> list[str]:
    """Words ordered from most to least frequent (Zipf ranks): English words by their frequency
    in Python's help texts, the French words above and of the French catalogue spread among
    them, and a few very common words first (the, de, la, and, …)."""
    import pydoc_data.topics

    from babel.messages.pofile import read_po

    english = collections.Counter(
        word
        for text in pydoc_data.topics.topics.values()
        for word in MARKDOWN_WORDS.findall(text)
        if word.islower() and word.isascii() and not word.startswith("__")
    )
    english_ranked = [w for w, n in english.most_common() if n >= 2][:3000]
    french = list(dict.fromkeys(w.lower() for w in FRENCH if len(w) >= 2))
    with open(ROOT / "portal/translations/fr/LC_MESSAGES/messages.po", "rb") as catalogue:
        for message in read_po(catalogue):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for string in strings:
                for word in MARKDOWN_WORDS.findall((string or "").lower()):
                    if word not in french:
                        french.append(word)
    common = ["the", "de", "la", "and", "le", "of", "et", "to", "les", "in", "des", "is"]
    ranked = list(common)
    seen = set(ranked)
    # One French word after every two English words, keeping each list's own order.
    english_iter, french_iter = iter(english_ranked), iter(french)
    for position in range(len(english_ranked) + len(french)):
        source = french_iter if position % 3 == 2 else english_iter
        word = next(source, None) or next(english_iter, None) or next(french_iter, None)
        if word and word not in seen:
            seen.add(word)
            ranked.append(word)
    return ranked


class TextMaker:
    """Sentences from a Zipf-weighted vocabulary, deterministic for one seed."""

    def __init__(self, words: list[str], rng: random.Random):
        self.words = words
        self.rng = rng
        weights = [1.0 / (rank + 2) ** 1.05 for rank in range(len(words))]
        total = sum(weights)
        cumulative, running = [], 0.0
        for weight in weights:
            running += weight / total
            cumulative.append(running)
        self.cumulative = cumulative

    def words_(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def sentence(self, low: int = 6, high: int = 18) -> str:
        words = self.words_(self.rng.randint(low, high))
        return " ".join(words).capitalize() + self.rng.choice(".....?!")

    def title(self) -> str:
        return " ".join(self.words_(self.rng.randint(3, 8))).capitalize()

    def body(self) -> str:
        """Markdown: paragraphs, sometimes a heading, a list, bold or italic words."""
        blocks = []
        for _ in range(self.rng.randint(2, 7)):
            kind = self.rng.random()
            if kind < 0.15:
                blocks.append("## " + self.title())
            elif kind < 0.3:
                blocks.append("\n".join("- " + self.sentence(3, 9) for _ in range(3)))
            else:
                sentences = [self.sentence() for _ in range(self.rng.randint(2, 6))]
                if self.rng.random() < 0.3:
                    word = self.words_(1)[0]
                    sentences.append(f"Voir **{word}** et *{self.words_(1)[0]}*.")
                blocks.append(" ".join(sentences))
        return "\n\n".join(blocks)


@contextlib.contextmanager
def backend(postgres: bool):
    """Point the helpers of tests/live.py at SQLite or PostgreSQL for this block."""
    saved = tests.conftest.POSTGRES, tests.live.POSTGRES
    tests.conftest.POSTGRES = tests.live.POSTGRES = postgres
    try:
        yield
    finally:
        tests.conftest.POSTGRES, tests.live.POSTGRES = saved


def make_people(authors: int) -> dict[str, int]:
    """Authors (some on the board), one plain member and one administrator; returns ids."""
    from portal.accounts.models import Role
    from portal.extensions import db
    from tests.factories import make_user

    ids = {}
    for n in range(authors):
        roles = {Role.MEMBER, Role.BOARD} if n % 5 == 0 else {Role.MEMBER}
        ids[f"author{n}"] = make_user(f"author{n:03d}", password=None, roles=roles).id
    ids["member"] = make_user("bench.member", password=None).id
    ids["admin"] = make_user("bench.admin", password=None, roles={Role.MEMBER, Role.ADMIN}).id
    db.session.commit()
    return ids


def seed_pages(count: int, people: dict[str, int], maker: TextMaker, rng: random.Random) -> dict:
    """Bulk-insert `count` pages and their search documents; returns counts for the report."""
    from portal.content.models import Page
    from portal.core.markdown import plain_text
    from portal.core.search import SearchDocument
    from portal.core.security import LocalRoleGrant
    from portal.extensions import db

    dialect = db.session.get_bind().dialect.name
    authors = [v for k, v in people.items() if k.startswith("author")]
    state_names = [s for s, _ in STATES]
    state_weights = [w for _, w in STATES]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    fts = sa.text("INSERT INTO search_fts (rowid, title, body) VALUES (:id, :title, :body)")
    stats = collections.Counter()
    batch_pages, batch_docs = [], []

    def flush() -> None:
        if batch_pages:
            db.session.execute(sa.insert(Page.__table__), batch_pages)
            db.session.execute(sa.insert(SearchDocument.__table__), batch_docs)
            if dialect == "sqlite":
                db.session.execute(
                    fts, [{k: d[k] for k in ("id", "title", "body")} for d in batch_docs]
                )
            batch_pages.clear()
            batch_docs.clear()

    for page_id in range(1, count + 1):
        if page_id <= SECTIONS:
            parent_id, path = None, f"/page:{page_id}/"
        elif rng.random() < 0.8:
            parent_id = rng.randint(1, SECTIONS)
            path = f"/page:{parent_id}/page:{page_id}/"
        else:
            parent_id, path = None, f"/page:{page_id}/"
        # The sections are published and public, so that what is inside them can be reached.
        state = "published" if page_id <= SECTIONS else rng.choices(state_names, state_weights)[0]
        is_public = page_id <= SECTIONS or rng.random() < 0.5
        title = maker.title()[:200]
        summary = maker.sentence(5, 20)[:300] if rng.random() < 0.7 else ""
        body = maker.body()
        when = start + timedelta(minutes=10 * page_id)
        batch_pages.append(
            {
                "id": page_id,
                "parent_id": parent_id,
                "security_path": path,
                "kind": "news" if rng.random() < 0.1 else "page",
                "title": title,
                "summary": summary,
                "body": body,
                "state": state,
                "is_public": is_public,
                "owner_id": rng.choice(authors),
                "version": 1,
                "created_at": when,
                "updated_at": when,
            }
        )
        # Exactly what portal.content registers as the page's text, and index() writes.
        text = f"{summary}\n{plain_text(body)}".strip()
        batch_docs.append(
            {
                "id": page_id,
                "object_key": f"page:{page_id}",
                "object_type": "page",
                "object_id": page_id,
                "title": title[:300],
                "body": text,
                "updated_at": when,
            }
        )
        stats[f"{state}{' public' if is_public else ''}"] += 1
        stats["characters"] += len(text) + len(title)
        if len(batch_pages) >= 2000:
            flush()
    flush()

    # A few local roles: the member may read/edit/review some pages, one whole section.
    grants = []
    for role in ("Reader", "Editor", "Reviewer"):
        for page_id in rng.sample(range(SECTIONS + 1, count + 1), 25):
            grants.append(
                {"object_key": f"page:{page_id}", "user_id": people["member"], "role": role}
            )
    grants.append({"object_key": "page:1", "user_id": people["member"], "role": "Reader"})
    for page_id in rng.sample(range(1, count + 1), 100):  # other people's grants
        grants.append(
            {"object_key": f"page:{page_id}", "user_id": rng.choice(authors), "role": "Editor"}
        )
    for grant in grants:
        grant.update(granted_by_id=people["admin"], granted_at=start)
    db.session.execute(sa.insert(LocalRoleGrant.__table__), grants)
    stats["grants"] = len(grants)

    if dialect == "postgresql":  # the ids were given: move the sequences past them
        for table in ("pages", "search_documents", "local_roles"):
            db.session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            )
    db.session.commit()
    return stats


def make_queries(words: list[str], count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(bucket, query): 1 to 3 words; frequent (rank < 30), middle (30 to 300), rare (300+) and
    prefix (the first 3 to 5 letters of a word, as typed into the header box)."""
    usable = [w for w in words if len(w) >= 3]
    buckets = {
        "frequent": usable[:30],
        "middle": usable[30:300],
        "rare": usable[300:],
    }
    queries = []
    names = ["frequent", "middle", "middle", "rare", "rare", "prefix"]
    for n in range(count):
        bucket = names[n % len(names)]
        terms = rng.choices([1, 2, 3], [0.45, 0.4, 0.15])[0]
        if bucket == "prefix":
            word = rng.choice(usable[:600])
            query = word[: rng.randint(3, min(5, len(word)))]
        else:
            query = " ".join(rng.choice(buckets[bucket]) for _ in range(terms))
        queries.append((bucket, query))
    return queries


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def viewers(people: dict[str, int]) -> dict[str, object]:
    from flask_login import AnonymousUserMixin

    from portal.accounts.models import User
    from portal.extensions import db

    return {
        "anonymous": AnonymousUserMixin(),
        "member": db.session.get(User, people["member"]),
        "admin": db.session.get(User, people["admin"]),
    }


@contextlib.contextmanager
def time_limit(seconds: float):
    """Abort a statement that runs longer than `seconds` (a bounded benchmark): a progress
    handler on SQLite, `SET LOCAL statement_timeout` on PostgreSQL. Rolls back afterwards."""
    from portal.extensions import db

    connection = db.session.connection()
    raw = connection.connection.driver_connection
    if connection.dialect.name == "sqlite":
        deadline = time.perf_counter() + seconds
        raw.set_progress_handler(lambda: int(time.perf_counter() > deadline), 10_000)
    else:
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
    try:
        yield
    finally:
        if connection.dialect.name == "sqlite":
            raw.set_progress_handler(None, 0)
        db.session.rollback()


def time_searches(label: str, app, people, queries, args) -> dict:
    """Run every query for each viewer; print one line per viewer (and per bucket with -v).

    A statement still running after --limit seconds is stopped and counted at the limit (so a
    median with such queries is a lower bound); a viewer whose queries take more than --budget
    seconds in all stops there, and the figures cover the queries run so far."""
    from portal.core.search import search
    from portal.extensions import db

    slowest = {}
    with app.test_request_context("/search"):
        who = viewers(people)
        for _bucket, query in queries[:5]:  # warm the caches (pages, statement cache)
            with contextlib.suppress(sa.exc.OperationalError), time_limit(args.limit):
                search(who["anonymous"], query)
        for viewer, user in who.items():
            times, totals, stopped = [], [], 0
            by_bucket = collections.defaultdict(list)
            worst = (0.0, "")
            spent = 0.0
            for bucket, query in queries:
                if spent > args.budget:
                    break
                with time_limit(args.limit):
                    began = time.perf_counter()
                    try:
                        results = search(user, query)
                    except sa.exc.OperationalError:  # stopped by the time limit
                        results = None
                    elapsed = (time.perf_counter() - began) * 1000
                spent += elapsed / 1000
                if results is None:
                    stopped += 1
                    elapsed = max(elapsed, args.limit * 1000)
                else:
                    totals.append(results.total)
                times.append(elapsed)
                by_bucket[bucket].append(elapsed)
                worst = max(worst, (elapsed, query))
                db.session.expire_all()
            median = statistics.median(times)
            verdict = "meets" if median < TARGET_MS else "MISSES"
            notes = []
            if stopped:
                notes.append(f"{stopped} stopped at the {args.limit:.0f} s limit")
            if len(times) < len(queries):
                notes.append(f"budget of {args.budget:.0f} s spent after {len(times)} queries")
            results_text = (
                f"results per query median {statistics.median(totals):.0f}, max {max(totals)},"
                f" {sum(1 for t in totals if t == 0)} with none"
                if totals
                else "no query finished"
            )
            print(
                f"{label} search as {viewer}: median {median:.1f} ms,"
                f" p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms"
                f" ({worst[1]!r}), n={len(times)}; {results_text};"
                f" {verdict} the {TARGET_MS:.0f} ms median target"
                + (f" ({'; '.join(notes)})" if notes else "")
            )
            if args.verbose:
                for bucket, values in by_bucket.items():
                    print(
                        f"{label} search as {viewer} [{bucket}]: median"
                        f" {statistics.median(values):.1f} ms,"
                        f" p95 {percentile(values, 0.95):.1f} ms, n={len(values)}"
                    )
            slowest[viewer] = (user, worst[1])
        if args.explain:
            explain(label, slowest, args)
    return slowest


def explain(label: str, slowest: dict, args) -> None:
    """The plans of the two statements search() runs (count, then the page of hits), for the
    slowest query of each viewer: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on
    PostgreSQL (bounded by --limit)."""
    from portal.core import search as search_module
    from portal.extensions import db

    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "search_documents" in statement and not statement.startswith("EXPLAIN"):
            captured.append((statement, parameters))

    dialect = db.engine.dialect.name
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    printed_sql = False
    for viewer, (user, query) in slowest.items():
        captured.clear()
        sa.event.listen(db.engine, "before_cursor_execute", capture)
        try:
            with contextlib.suppress(sa.exc.OperationalError), time_limit(0.05):
                search_module.search(user, query)  # only to capture the statements
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", capture)
        for statement, parameters in captured:
            if not printed_sql:
                print(f"--- {label} statement (as {viewer}, {query!r}):\n{statement}")
                printed_sql = True
            print(f"--- {label} plan as {viewer} for {query!r}: {statement.split(chr(10))[0]}")
            try:
                with time_limit(args.limit):
                    rows = db.session.connection().exec_driver_sql(prefix + statement, parameters)
                    for row in rows.all():
                        print("    " + " | ".join(str(c) for c in row))
            except sa.exc.OperationalError:
                print(f"    (stopped at the {args.limit:.0f} s limit)")


def run(name: str, args, directory: Path) -> None:
    from portal.extensions import db

    rng = random.Random(args.seed)
    words = vocabulary()
    maker = TextMaker(words, rng)
    queries = make_queries(words, args.queries, random.Random(args.seed + 1))
    with live_database(f"bench_search_{name}", directory) as (_url, app):
        with app.app_context():
            began = time.perf_counter()
            people = make_people(args.authors)
            stats = seed_pages(args.pages, people, maker, rng)
            seeded = time.perf_counter() - began
            states = ", ".join(
                f"{k} {v}" for k, v in sorted(stats.items()) if k not in ("characters", "grants")
            )
            print(
                f"{name} data: {args.pages} pages ({states}), {stats['grants']} local roles,"
                f" {len(words)} words in the vocabulary,"
                f" {stats['characters'] / args.pages:.0f} characters of text per page,"
                f" {len(queries)} queries; seeded in {seeded:.1f} s"
            )
            db.session.remove()

        def analyze() -> None:
            with app.app_context():
                began = time.perf_counter()
                with db.engine.connect() as connection:
                    connection.execute(sa.text("ANALYZE"))
                    connection.commit()
                print(f"{name} ANALYZE: {time.perf_counter() - began:.1f} s")
                db.session.remove()

        if name == "sqlite":
            # The portal never runs ANALYZE on SQLite: measure it as shipped, then with the
            # statistics that ANALYZE (or PRAGMA optimize) gives the query planner.
            time_searches("sqlite (no ANALYZE, as shipped)", app, people, queries, args)
            analyze()
            time_searches("sqlite after ANALYZE", app, people, queries, args)
        else:
            analyze()  # what autovacuum does by itself after a bulk load
            time_searches(name, app, people, queries, args)
        with app.app_context():
            db.session.remove()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50_000, help="pages to generate (50000)")
    parser.add_argument("--queries", type=int, default=200, help="queries per viewer (200)")
    parser.add_argument("--authors", type=int, default=50, help="authors of the pages (50)")
    parser.add_argument("--seed", type=int, default=20261124, help="random seed")
    parser.add_argument("--limit", type=float, default=3.0, help="seconds per statement (3)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per viewer (60)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of the slowest queries"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="figures per kind of query")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    backends = [("sqlite", False)]
    if os.environ.get("TEST_DATABASE_URL"):
        backends.append(("postgresql", True))
    if args.only:
        backends = [b for b in backends if b[0] == args.only]
    with tempfile.TemporaryDirectory(prefix="wise-bench-search-") as tmp:
        for name, postgres in backends:
            with backend(postgres):
                run(name, args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
