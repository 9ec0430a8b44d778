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
