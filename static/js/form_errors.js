// A form sent back with errors: the first field marked invalid gets the focus and comes into view, so the
// error is seen (the page may be long, as the account page is) and a screen reader reads it with the field.
document.addEventListener("DOMContentLoaded", function () {
  var field = document.querySelector('[aria-invalid="true"]');
  if (field) field.focus();
});
