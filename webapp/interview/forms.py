from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField


class TextAnswerForm(FlaskForm):
    answer = TextAreaField("Your answer")
    pdf = FileField("…or upload a PDF (e.g. a cover letter)")
