from wtforms import IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from ..params import Form

MODE_CHOICES = [SelectChoice("video", "Video (camera and microphone)"), SelectChoice("audio", "Audio only (microphone)"),
                SelectChoice("written", "Written (type or upload a PDF)")]


class StartForm(Form):
    category = SelectField("Question category", validate_choice=True)
    count = IntegerField("Number of questions", validators=[InputRequired("Give a number of questions.")])
    mode = RadioField("Answer by", choices=MODE_CHOICES, default="video",
                      validators=[InputRequired("Choose how you will answer.")])

    def limit_count(self, maximum: int):
        self.count.validators = [InputRequired("Give a number of questions."),
                                 NumberRange(1, maximum, f"Choose between 1 and {maximum} questions.")]
