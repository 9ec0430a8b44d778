from wtforms import IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, ValidationError

from ..params import Form

MODE_CHOICES = [SelectChoice("video", "Video (camera and microphone)"), SelectChoice("audio", "Audio only (microphone)"),
                SelectChoice("written", "Written (type or upload a PDF)")]


class CategoryField(SelectField):
    """A category offered on the page: one that is not (its last question retired meanwhile, or none sent) is
    refused with what to do, not WTForms' "Not a valid choice"."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError("This category has no questions to ask now: choose another one."
                                  if self.raw_data and self.raw_data[0] else "Choose a category.") from None


class StartForm(Form):
    category = CategoryField("Question category", validate_choice=True)
    count = IntegerField("Number of questions", validators=[InputRequired("Give a number of questions.")])
    mode = RadioField("Answer by", choices=MODE_CHOICES, default="video",
                      validators=[InputRequired("Choose how you will answer.")])

    def limit_count(self, maximum: int):
        self.count.validators = [InputRequired("Give a number of questions."),
                                 NumberRange(1, maximum, f"Choose between 1 and {maximum} questions.")]
