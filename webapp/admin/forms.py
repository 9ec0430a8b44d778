from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class QuestionForm(FlaskForm):
    text = TextAreaField("Question", validators=[DataRequired(), Length(min=10, max=1000)])
    category = StringField("Category", default="behavioural", validators=[DataRequired(), Length(max=40)])

    def clean(self) -> tuple[str, str]:
        return " ".join(self.text.data.split()), self.category.data.strip().lower()
