"""Text used by several tests."""

LONG_ANSWER = (
    "Last spring I led a team of five students who built a booking system for a local charity. "
    "At the start the group was split about which features mattered, so I organised a short workshop "
    "with the volunteers, wrote down what they needed most and proposed a plan with weekly goals. "
    "I made sure everyone owned one part they enjoyed, checked in with each person twice a week and "
    "stepped in when two teammates disagreed about the database design. We delivered on time, the "
    "charity still uses the system, and I learned that listening first makes leading much easier."
)
SHORT_ANSWER = "I led a small project at school and it went well."
