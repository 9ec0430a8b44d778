"""The dashboard benchmark runs end to end on a tiny database and prints its JSON summary."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_dashboard_tiny_run_prints_json():
    proc = subprocess.run(
        [sys.executable, "-m", "bench.dashboard", "--sizes", "200", "--requests", "20", "--warmup", "3"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["goal_ms"] == 50 and isinstance(result["ok"], bool)
    size = result["sizes"]["200"]
    assert size["candidate_p95_ms"] > 0 and size["admin_p95_ms"] > 0
    assert size["answers"] == 200 and size["scores"] > 200
    assert {"overview", "analytics", "analytics_question_video"} <= set(size["admin_pages"])
    assert size["candidate"]["requests"] == 20


def test_bench_seeded_aggregates_match_stats_record(tmp_path):
    """The bulk-built aggregates equal what stats.record would have stored for the same answers."""
    import numpy as np
    from flask_migrate import upgrade
    from sqlalchemy import select

    from bench.dashboard import seed
    from webapp import create_app, stats
    from webapp.cli import seed_questions
    from webapp.extensions import db
    from webapp.models import (Aggregate, AggregateBin, AggregateDay, Answer, AnswerDay, Contributor, User,
                                WordCount)

    def snapshot():
        return {
            "agg": sorted((a.scope, a.modality, a.family, a.label, a.count, round(a.total, 6), round(a.total_sq, 4),
                           a.people)
                          for a in db.session.execute(select(Aggregate)).scalars()),
            "bins": sorted(db.session.execute(
                select(Aggregate.scope, Aggregate.modality, Aggregate.family, Aggregate.label, AggregateBin.bin,
                       AggregateBin.count).join(AggregateBin, AggregateBin.aggregate_id == Aggregate.id)
                .where(AggregateBin.count != 0)).all()),
            "days": sorted((d.scope, d.modality, d.family, d.label, d.day, d.count, round(d.total, 6))
                           for d in db.session.execute(select(AggregateDay)).scalars() if d.count),
            "answers": sorted((d.scope, d.modality, d.day, d.count)
                              for d in db.session.execute(select(AnswerDay)).scalars() if d.count),
            "words": sorted(db.session.execute(select(WordCount.scope, WordCount.word, WordCount.count)
                                               .where(WordCount.count != 0)).all()),
            "contributors": sorted(db.session.execute(
                select(Contributor.scope, Contributor.modality, Contributor.family, Contributor.label,
                       Contributor.user_id, Contributor.answers).where(Contributor.answers != 0)).all()),
        }

    # results count at once (no batches of the averages): the bench's SQL seeds counted results
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'b.sqlite'}",
                      "MEDIA_DIR": str(tmp_path / "media"), "REDIS_URL": None,
                      "AVERAGES_BATCH_RESULTS": 0, "AVERAGES_BATCH_PEOPLE": 0})
    with app.app_context():
        upgrade()
        seed_questions()
        with db.engine.begin() as conn:
            seed(conn, 150, 20, np.random.default_rng(1), chunk=60)
        bulk = snapshot()
        assert stats.user_counts()[("candidate", True)] == db.session.query(User).filter_by(role="candidate").count()
        # rebuild the aggregates through stats.record, one answer at a time
        for model in (AggregateBin, Aggregate, AggregateDay, AnswerDay, WordCount, Contributor):
            db.session.query(model).delete()
        for ans in db.session.execute(select(Answer)).scalars():
            stats.record(ans, [(s.family, s.label, s.value) for s in ans.scores])
        db.session.commit()
        assert snapshot() == bulk
        db.session.remove()
        db.engine.dispose()
