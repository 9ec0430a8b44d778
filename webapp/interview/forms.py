from flask_wtf.file import FileField
from wtforms import TextAreaField

from ..params import Form


class TextAnswerForm(Form):
    answer = TextAreaField("Your answer")
    pdf = FileField("…or upload a PDF (e.g. a cover letter)")
