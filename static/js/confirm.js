// Asks before destructive actions (buttons with data-confirm). A form whose password is still empty is not asked
// about: the server refuses it with its own message, so "for good?" would come before "enter your password".
document.addEventListener("click", function (e) {
  var b = e.target.closest("[data-confirm]");
  if (!b) return;
  var password = b.form && b.form.querySelector("input[type=password]");
  if (password && !password.value) return;
  if (!window.confirm(b.dataset.confirm)) e.preventDefault();
});
