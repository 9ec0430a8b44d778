// Live word count under the answer box; the box's length note; leaving with words not sent asks first (also on the
// page giving back an answer sent signed out, which has no count: interview/signed_out.html).
(function () {
  var area = document.querySelector("textarea[name=answer]");
  var out = document.getElementById("word-count");
  var limit = document.getElementById("length-limit");
  if (!area) return;
  var FILLER = /^(?:u+m+|u+h+|u+h+m+|e+r+m+|e+r+|h+m+|m{2,})$/;
  // the box stops at its maxlength: a longer paste (or typing) is cut there by the browser, which says nothing, so the
  // note does, at the limit and whenever an insertion was cut: one character short of it, a pasted "😀😀" (two UTF-16
  // units each, which the browser never splits) was dropped whole, the box stayed below the limit and the note hidden
  // (a review). What each insertion brings (beforeinput) is compared with what arrived.
  var cut = false;
  area.addEventListener("beforeinput", function (e) {
    cut = false;
    if (e.isComposing || !/^insert/.test(e.inputType || "") || !(area.maxLength > 0)) return;
    var data = e.data;
    if (data == null && e.dataTransfer) data = e.dataTransfer.getData("text/plain");
    if (data == null && /^insert(?:LineBreak|Paragraph)$/.test(e.inputType)) data = "\n";
    if (data == null) return;
    var brings = data.replace(/\r\n?/g, "\n").length;  // a box keeps a line break as one character
    var kept = area.value.length - Math.abs(area.selectionEnd - area.selectionStart);
    setTimeout(function () {  // after the insertion (none at all when the whole of it was dropped: no "input")
      cut = area.value.length - kept < brings;
      update();
    }, 0);
  });
  function update() {
    if (limit) limit.hidden = !(cut || (area.maxLength > 0 && area.value.length >= area.maxLength));
    if (!out) return;
    // as the length rule counts (ml.text.normalize.word_count): letters or digits joined by in-word apostrophes
    // (straight, curly, backtick or acute accent), accents composed first (NFC), less filler sounds ("um", "uhh",
    // "hmm": its _FILLER), which a review found counted here and not there (100 words here, 99 on the result page)
    // (marks count with the letter they sit on: a Hindi or Thai word is one word, not one per vowel sign)
    var found = area.value.normalize("NFC").match(
      /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:['\u2018\u2019\u0060\u00b4][\p{L}\p{N}][\p{L}\p{N}\p{M}]*)*/gu) || [];
    var n = 0;
    for (var i = 0; i < found.length; i++) if (!FILLER.test(found[i].toLowerCase())) n++;
    out.textContent = n;
    out.classList.toggle("low", n < Number(out.dataset.min));
  }
  area.addEventListener("input", update);
  update();
  // Back to this page after sending it: the browser puts the sent text back in the box (from its back/forward
  // cache, or by restoring the form's values after this script ran) without an "input" event, and the count said
  // "0 words" under it (a review). Counted again when the page is shown, and the page says the answer may be sent.
  var maybeSent = document.getElementById("maybe-sent");
  window.addEventListener("pageshow", function (e) {
    update();
    var nav = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    var fromHistory = e.persisted || (!!nav && nav.type === "back_forward");
    // (not under a draft put back by draft.js: the page an answer arrived at drops its draft, so that one was not)
    var draftBack = document.getElementById("draft-restored");
    if (maybeSent) maybeSent.hidden = !(fromHistory && area.value.trim() !== "" && !(draftBack && !draftBack.hidden));
  });
  // a PDF over its limit is refused here, before the page is sent: a file over the limit of any request would
  // get an error page in place of this one, and the typed text with it
  var pdf = document.querySelector("input[type=file][data-max-bytes]");
  var pdfError = document.getElementById("pdf-too-large");
  if (pdf && pdfError) pdf.addEventListener("change", function () {
    var max = Number(pdf.dataset.maxBytes), file = pdf.files && pdf.files[0];
    var tooLarge = !!file && file.size > max;
    pdfError.hidden = !tooLarge;
    pdfError.textContent = tooLarge ? "“" + file.name + "” is " + (file.size / 1048576).toFixed(1) +
      " MB: a PDF can be at most " + (max / 1048576).toFixed(1) + " MB. Choose a smaller file." : "";
    if (tooLarge) pdf.value = "";
    // the field is marked and points at the message while it stands (its hint first)
    if (tooLarge) pdf.setAttribute("aria-invalid", "true"); else pdf.removeAttribute("aria-invalid");
    var ids = (pdf.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== "pdf-too-large"; });
    if (tooLarge) ids.push("pdf-too-large");
    pdf.setAttribute("aria-describedby", ids.join(" "));
  });
  // one answer per press: the button is disabled once the form is on its way (a double click sends it once)
  var form = area.form;
  var btn = form ? form.querySelector("button[type=submit]") : null;
  var label = btn ? btn.textContent : "";
  // leaving with typed words not sent (a menu link, the mock interview's banner) asks first; sending does not
  var typedSince = area.value.trim() !== "", sending = false;  // a page sent back keeps the text it gave back
  area.addEventListener("input", function () { typedSince = area.value.trim() !== ""; });
  if (form) form.addEventListener("submit", function () { sending = true; });
  window.addEventListener("pageshow", function () { sending = false; });  // back here from the history
  window.addEventListener("beforeunload", function (e) {
    if (typedSince && !sending) { e.preventDefault(); e.returnValue = ""; }
  });
  if (form && btn) {
    form.addEventListener("submit", function () {
      setTimeout(function () { btn.disabled = true; btn.textContent = "Sending…"; }, 0);
    });
    // back on this page from the browser's history (its back/forward cache keeps the disabled button)
    window.addEventListener("pageshow", function () { btn.disabled = false; btn.textContent = label; });
  }
})();
