from wtforms import IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, StopValidation, ValidationError

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


class CountField(IntegerField):
    """A number of questions: "2.5" or "three" gets one message that says what to give (it got WTForms' "Not a
    valid integer value." and the range's message at once)."""

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            self.data = None  # nothing given: InputRequired says so
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Give the number of questions as a whole number, such as 5.") from None

    def pre_validate(self, form):
        if not (self.raw_data and str(self.raw_data[0]).strip()):  # nothing, or only spaces
            raise StopValidation("Give a number of questions.")

    def post_validate(self, form, validation_stopped):
        if self.process_errors:  # only the message above
            self.errors = list(self.process_errors)


class StartForm(Form):
    category = CategoryField("Question category", validate_choice=True)
    count = CountField("Number of questions", validators=[InputRequired("Give a number of questions.")])
    mode = RadioField("Answer by", choices=MODE_CHOICES, default="video",
                      validators=[InputRequired("Choose how you will answer.")])

    def limit_count(self, maximum: int):
        self.count.validators = [InputRequired("Give a number of questions."),
                                 NumberRange(1, maximum, f"Choose between 1 and {maximum} questions.")]
