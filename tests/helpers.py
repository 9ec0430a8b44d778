"""Text and storage helpers used by several tests."""

LONG_ANSWER = (
    "Last spring I led a team of five students who built a booking system for a local charity. "
    "At the start the group was split about which features mattered, so I organised a short workshop "
    "with the volunteers, wrote down what they needed most and proposed a plan with weekly goals. "
    "I made sure everyone owned one part they enjoyed, checked in with each person twice a week and "
    "stepped in when two teammates disagreed about the database design. We delivered on time, the "
    "charity still uses the system, and I learned that listening first makes leading much easier."
)
SHORT_ANSWER = "I led a small project at school and it went well."
#: an answer long enough (over 250 words) for the text model to show, and store, all five traits
#: (webapp.modelinfo.ModelMetrics.for_words: the text model's by-length figures)
FULL_ANSWER = LONG_ANSWER + (
    " Looking back, the hardest moment came in the third week, when our first version was too slow for the "
    "volunteers who took bookings on old laptops. Two teammates wanted to start again with a different framework, "
    "while the others wanted to keep going. I asked both sides to show me what they had measured, and we found that "
    "one query loaded every booking of the year each time a page opened. Fixing that single query made the pages "
    "fast again, and we kept the work we had already done. After that we agreed to measure before arguing, which "
    "saved us several long discussions later on. I also learned that a team works better when people can say early "
    "that they are stuck: in our weekly meeting each of us named one thing that was not going well, and the others "
    "offered help. When the project ended, the charity asked two of us to train new volunteers, and I wrote a short "
    "guide so that they would not depend on us. If I led a similar project again, I would agree on how we decide "
    "things on the first day, and I would show the users a working version much earlier, because their comments in "
    "the last weeks changed more than any of our own plans had."
)


def add_user(app, email: str) -> int:
    """Create a candidate `email` (password "correct horse") without the sign-up form (whose rate
    limit several sign-ups would hit); returns its id."""
    from webapp.extensions import db
    from webapp.models import User
    with app.app_context():
        user = User(email=email)
        user.set_password("correct horse")
        db.session.add(user)
        db.session.commit()
        return user.id


def store_analysed(ans, scores) -> int:
    """Store a finished ``ans`` with its ``scores`` and add them to the aggregates in one
    transaction, as the job worker does (call inside an app context); returns its id."""
    from webapp import stats
    from webapp.extensions import db
    from webapp.models import Score
    db.session.add(ans)
    db.session.flush()
    for family, label, value in scores:
        db.session.add(Score(answer_id=ans.id, family=family, label=label, value=value))
    stats.record(ans, scores)
    db.session.commit()
    return ans.id
