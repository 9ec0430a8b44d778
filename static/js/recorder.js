// Records an answer in the browser with getUserMedia + MediaRecorder and uploads it with progress.
(function () {
  var box = document.getElementById("recorder");
  if (!box) return;
  var kind = box.dataset.kind;
  var maxSeconds = Number(box.dataset.maxSeconds);
  var minSeconds = Number(box.dataset.minSeconds || 1);  // the server refuses shorter recordings (webapp.mediacheck)
  var WARN_LEFT = 10;  // seconds before the limit at which the status warns once
  var maxBytes = Number(box.dataset.maxBytes);
  var $ = function (id) { return document.getElementById(id); };
  var preview = $("preview"), playback = $("playback"), countdown = $("countdown");
  var stageNote = kind === "video" ? $("stage-note") : null;  // "camera off", until the preview has a picture
  var statusEl = $("rec-status"), timerEl = $("rec-timer"), errorEl = $("rec-error");
  var btnCheck = $("btn-check"), btnStart = $("btn-start"), btnStop = $("btn-stop"), btnRedo = $("btn-redo"), btnUpload = $("btn-upload");
  // A button pressed and then disabled or hidden would drop the keyboard's place to the page's start: it waits on
  // the recorder box instead, and moves on to the next useful button only if nobody moved it meanwhile (an
  // accessibility audit saw focus fall to the page, then jump to Stop from wherever it had been tabbed to).
  box.setAttribute("tabindex", "-1");
  function holdFocus(btn) { if (document.activeElement === btn) box.focus(); }
  function focusIfIdle(el) {
    var a = document.activeElement;
    if (!a || a === document.body || a === box) el.focus();
  }
  var badge = $("rec-badge"), leftEl = $("rec-left"), question = $("question-text");
  // a mock interview's step: Start takes the focus, without scrolling the question out of view (autofocus did)
  if (btnStart.hasAttribute("data-focus")) btnStart.focus({preventScroll: true});
  // On a phone the question, the picture and Stop may not all fit: when recording begins, the question goes to the
  // top of the screen if it is out of view or Stop is below it (a mobile review saw candidates answer blind).
  function questionInView() {
    if (!question) return;
    var top = question.getBoundingClientRect().top, stopBottom = btnStop.getBoundingClientRect().bottom;
    if (top < 0 || stopBottom > window.innerHeight) question.scrollIntoView({block: "start"});
    // a screen too short for both: Stop comes first
    stopBottom = btnStop.getBoundingClientRect().bottom;
    if (stopBottom > window.innerHeight) window.scrollBy(0, stopBottom - window.innerHeight + 8);
  }
  // turned to landscape (or the window resized) while recording: Stop stays on the screen too (a mobile review had
  // to scroll for it after turning the phone)
  // (only when the width changes: a phone's address bar showing or hiding as one scrolls resizes the height alone)
  var resizeFrame = 0, lastWidth = window.innerWidth;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    if (!recorder || recorder.state !== "recording") return;
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(questionInView);
  });
  var lostDevice = false;  // the camera or microphone ended while recording (another app or the system took it)
  var devicesThatStop = kind === "video" ? "camera or microphone" : "microphone";
  var bar = $("upload-progress"), level = $("level");
  var levelBar = level ? level.querySelector(".level-bar") : null;
  var stream = null, recorder = null, chunks = [], blob = null, timer = null, started = 0;
  var atLimit = false, warned = false;
  var audioCtx = null, meterFrame = 0;
  var uploadUrl = box.dataset.uploadUrl;  // without the mock interview once it has moved on (a 409 gives keep_url)

  var CANDIDATES = kind === "video"
    ? ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm", "video/mp4"]
    : ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];

  function pickType() {
    if (!window.MediaRecorder || !MediaRecorder.isTypeSupported) return "";
    for (var i = 0; i < CANDIDATES.length; i++) if (MediaRecorder.isTypeSupported(CANDIDATES[i])) return CANDIDATES[i];
    return "";
  }
  function show(el, on) { if (el) el.hidden = !on; }
  function fail(message) {
    errorEl.textContent = message;
    show(errorEl, true);
    statusEl.textContent = "";
    // the stage no longer invites a press of a button that has just failed (an outside review)
    if (stageNote && !stageNote.hidden) stageNote.textContent = "Your camera is off.";
  }
  // a device refused or missing: the message, and outside a mock interview a link to answer in writing (its mode is
  // fixed there)
  function failDevice(err) {
    fail(explainDenied(err));
    if (box.dataset.writtenUrl) {
      var a = document.createElement("a");
      a.href = box.dataset.writtenUrl;
      a.textContent = "Answer this question in writing";
      errorEl.appendChild(document.createTextNode(" "));
      errorEl.appendChild(a);
    }
  }
  function explainDenied(err) {
    var device = kind === "video" ? "camera and microphone" : "microphone";
    // where failDevice adds a link to answer in writing, the sentence does not say it again
    var orWriting = box.dataset.writtenUrl ? "." : ", or answer in writing instead.";
    if (err && (err.name === "NotAllowedError" || err.name === "SecurityError")) {
      return "The browser was not allowed to use your " + device + ". To record an answer, allow access " +
        "(click the camera or lock icon next to the address, then reload this page). You can also upload a " +
        "recording file below" + orWriting;
    }
    if (err && (err.name === "NotFoundError" || err.name === "OverconstrainedError")) {
      return (kind === "video" ? "No camera or no microphone was found (a video answer needs both)" :
        "No microphone was found") + ". Connect one and reload the page, or upload a recording file below" +
        (kind === "video" && box.dataset.writtenUrl ? ". Without a camera you can also answer by audio." : ".");
    }
    if (err && err.name === "NotReadableError") {
      return "Your " + device + " is in use by another application. Close it and reload the page.";
    }
    if (err && err.name === "NotSupportedError") {
      return "Recording needs a secure page: open this site with an https:// address (or at localhost on the " +
        "computer it runs on). You can also upload a recording file below" + orWriting;
    }
    if (window.console && err) console.warn("recording:", err);  // the browser's own words, for whoever debugs
    return "Recording is not possible in this browser. Upload a recording file below" + orWriting;
  }

  function getStream() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return Promise.reject({name: "NotSupportedError", message: "no getUserMedia (not a secure page?)"});
    }
    var constraints = kind === "video"
      ? {video: {width: {ideal: 640}, height: {ideal: 480}}, audio: true}
      : {audio: true};
    return navigator.mediaDevices.getUserMedia(constraints);
  }

  // Microphone level: an AnalyserNode on the recording stream, read on every animation frame.
  function startMeter(s) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!level || !Ctx || !s.getAudioTracks().length) return;
    try {
      audioCtx = audioCtx || new Ctx();
      var analyser = audioCtx.createAnalyser();
      analyser.fftSize = 1024;
      audioCtx.createMediaStreamSource(s).connect(analyser);
      if (audioCtx.state === "suspended" && audioCtx.resume) audioCtx.resume();
    } catch (e) { return; }
    var samples = new Float32Array(analyser.fftSize);
    level.hidden = false;
    (function draw() {
      analyser.getFloatTimeDomainData(samples);
      var sum = 0;
      for (var i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
      var rms = Math.sqrt(sum / samples.length);
      // dBFS from -60 (silence) to 0 (full scale) onto 0-100
      var db = rms > 0 ? 20 * Math.log(rms) / Math.LN10 : -100;
      var pct = Math.max(0, Math.min(100, Math.round((db + 60) / 60 * 100)));
      levelBar.style.width = pct + "%";
      level.setAttribute("aria-valuenow", pct);
      level.classList.toggle("quiet", pct < 15);
      meterFrame = requestAnimationFrame(draw);
    })();
  }
  function stopMeter() {
    if (meterFrame) cancelAnimationFrame(meterFrame);
    meterFrame = 0;
    if (audioCtx && audioCtx.close) audioCtx.close();
    audioCtx = null;
    if (levelBar) {  // the microphone is off: the meter reads zero
      levelBar.style.width = "0";
      level.setAttribute("aria-valuenow", 0);
      level.classList.remove("quiet");
    }
  }
  // Recording stopped: let go of the camera and microphone (their light goes off and the level stops),
  // "Record again" asks for them again (a browser that remembers the permission does not ask the user again).
  function releaseStream() {
    stopMeter();
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    if (preview) { preview.srcObject = null; show(preview, false); }
  }

  // MediaRecorder writes WebM without a duration, so players show 0:00 and cannot seek:
  // write the measured duration into the file before it is played back or uploaded.
  function withDuration(b, ms, done) {
    if (window.ysFixWebmDuration && /webm/.test(b.type)) {
      window.ysFixWebmDuration(b, ms, {logger: false}).then(done, function () { done(b); });
    } else {
      done(b);
    }
  }

  // Leaving the page (a menu link, the mock interview's banner, a reload) while recording or with a take not
  // uploaded would lose it without a word: the browser asks first (found by a review).
  window.addEventListener("beforeunload", function (e) {
    if (blob || (recorder && recorder.state === "recording")) { e.preventDefault(); e.returnValue = ""; }
  });

  function tick() {
    var s = (Date.now() - started) / 1000;
    timerEl.textContent = Math.floor(s);
    if (leftEl) leftEl.textContent = Math.max(0, Math.ceil(maxSeconds - s));
    if (!warned && maxSeconds > 2 * WARN_LEFT && s >= maxSeconds - WARN_LEFT) {
      warned = true;  // said once, by the live status: a candidate looking at the camera may not watch the counter
      statusEl.textContent = "Recording… " + WARN_LEFT + " seconds left before the " + maxSeconds + "-second limit.";
    }
    if (s >= maxSeconds) { atLimit = true; stop(); }
  }

  function startRecording() {
    if (!stream) return;  // the devices ended during the countdown: the page already says so and offers Start
    chunks = [];
    var type = pickType();
    function cannotRecord(e) {  // let go of the devices just opened, and keep a way to try again
      releaseStream(); show(btnRedo, true); btnRedo.disabled = false;
      failDevice(e);
    }
    try {
      recorder = type ? new MediaRecorder(stream, {mimeType: type}) : new MediaRecorder(stream);
    } catch (e) { cannotRecord(e); return; }
    recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
    recorder.onstop = function () {
      var raw = new Blob(chunks, {type: recorder.mimeType || type || (kind + "/webm")});
      clearInterval(timer);  // the browser may stop a take itself (its devices ended) without stop()
      if (stream && stream.getTracks().some(function (t) { return t.readyState === "ended"; })) lostDevice = true;
      holdFocus(btnStop);
      btnStop.disabled = true;
      show(badge, false);
      releaseStream();
      var ms = Date.now() - started;
      withDuration(raw, ms, function (fixed) {
        blob = fixed;
        if (playback.src.indexOf("blob:") === 0) URL.revokeObjectURL(playback.src);  // the previous take's
        playback.src = URL.createObjectURL(blob);
        show(playback, true);
        show(btnRedo, true);
        // the server measures the file, which can be a little shorter than the time the recorder ran
        if (ms / 1000 < minSeconds + 0.3) {  // it would refuse it: say so now, and offer the next take
          blob = null;
          show(btnUpload, false);
          statusEl.textContent = "That take was too short to upload (a recording needs at least " + minSeconds +
            " s): record again.";
          focusIfIdle(btnRedo);
          return;
        }
        show(btnUpload, true);
        // whole seconds as the timer counts them; "about": the file itself (what the analysis measures) can be a
        // fraction of a second shorter
        statusEl.textContent = (lostDevice ? "Your " + devicesThatStop + " stopped during the recording (another app or the system may have taken it). What was recorded until then is kept: "
          : "") + (atLimit ? "Stopped at the " + maxSeconds + "-second limit: recorded about "
          : "Recorded about ") + (atLimit ? maxSeconds : Math.floor(ms / 1000)) + " s. Play it back, record again, or upload it.";
        // Stop is disabled now: the keyboard goes on to the next useful button, unless the candidate had moved it
        // elsewhere (the time limit stops the take wherever they are)
        if (blob.size > maxBytes) {
          fail("The recording is larger than the upload limit; record a shorter answer.");
          focusIfIdle(btnRedo);
        } else {
          focusIfIdle(btnUpload);
        }
      });
    };
    try {
      recorder.start(1000);
    } catch (e) { cannotRecord(e); return; }  // e.g. the devices ended during the countdown
    started = Date.now();
    atLimit = warned = lostDevice = false;
    if (leftEl) leftEl.textContent = maxSeconds;
    show(badge, true);
    timer = setInterval(tick, 250);
    btnStop.disabled = false;
    focusIfIdle(btnStop);  // Start (or Record again) is hidden now: the keyboard goes on from Stop
    questionInView();  // again, after the focus: the picture may have changed the page's height since Start
    statusEl.textContent = "Recording… answer the question, then press Stop.";
  }

  function stop() {
    clearInterval(timer);
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  function countdownThen(fn) {
    var n = 3;
    show(countdown, true);
    countdown.textContent = n;
    var iv = setInterval(function () {
      n -= 1;
      if (n <= 0) { clearInterval(iv); show(countdown, false); fn(); }
      else countdown.textContent = n;
    }, 1000);
  }

  // The camera/microphone, opened once: by "Check" (a preview and the level, nothing recorded) or by "Start".
  function openStream() {
    if (stream) return Promise.resolve(stream);
    statusEl.textContent = "Asking for access to your " + (kind === "video" ? "camera and microphone" : "microphone") + "…";
    return getStream().then(function (s) {
      stream = s;
      // a device that ends by itself (not by releaseStream's stop()) while recording ends the take, and says so
      s.getTracks().forEach(function (t) {
        t.addEventListener("ended", function () {
          if (recorder && recorder.state === "recording") { lostDevice = true; stop(); }
          else if (stream === s) {
            // ended before recording (a call, another app): the next Start or Record again asks for the devices anew
            releaseStream();
            if (!blob) { show(btnStart, true); btnStart.disabled = false; if (btnCheck) { show(btnCheck, true); btnCheck.disabled = false; } }
            statusEl.textContent = "Your " + devicesThatStop + " stopped (another app or the system may have taken it). Press “Start” to try again.";
          }
        });
      });
      if (preview) { preview.srcObject = s; show(preview, true); show(stageNote, false); }
      startMeter(s);
      return s;
    });
  }
  function denied(err) {
    btnStart.disabled = false;
    if (btnCheck) btnCheck.disabled = false;
    focusIfIdle(btnStart);
    failDevice(err);
    box.classList.add("denied");
  }
  if (btnCheck) btnCheck.addEventListener("click", function () {
    show(errorEl, false);
    holdFocus(btnCheck);
    btnCheck.disabled = true;
    openStream().then(function () {
      show(btnCheck, false);
      focusIfIdle(btnStart);  // the next step
      statusEl.textContent = (kind === "video" ? "Your camera and microphone are on: check how you look and sound. "
        : "Your microphone is on: speak and watch the level. ") + "Nothing is recorded until you press “Start”.";
    }).catch(denied);
  });
  btnStart.addEventListener("click", function () {
    show(errorEl, false);
    holdFocus(btnStart);
    btnStart.disabled = true;
    openStream().then(function () {
      show(btnStart, false); show(btnCheck, false);
      statusEl.textContent = "Get ready…";
      questionInView();
      countdownThen(startRecording);
    }).catch(denied);
  });
  btnStop.addEventListener("click", stop);
  btnRedo.addEventListener("click", function () {
    // a take not uploaded is lost by the next one: asked first (one slip of the thumb lost it, a mobile review)
    if (blob && blob.size <= maxBytes && !window.confirm("Record again? This take will be lost, unless you upload it first.")) return;
    show(errorEl, false);
    holdFocus(btnRedo);
    btnRedo.disabled = btnUpload.disabled = true;
    openStream().then(function () {  // the last recording is kept until the devices are back
      blob = null;
      show(playback, false); show(btnUpload, false); show(btnRedo, false);
      btnRedo.disabled = btnUpload.disabled = false;
      timerEl.textContent = "0";
      statusEl.textContent = "Get ready…";
      questionInView();
      countdownThen(startRecording);
    }).catch(function (err) {
      btnRedo.disabled = btnUpload.disabled = false;
      focusIfIdle(btnRedo);
      failDevice(err);
      statusEl.textContent = "Your last recording is kept: you can still upload it.";
    });
  });
  function failWithLink(message, href, text, newTab) {
    fail(message);
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (newTab) { a.target = "_blank"; a.rel = "noopener"; }
    errorEl.appendChild(document.createTextNode(" "));
    errorEl.appendChild(a);
  }
  function uploadEnded() { btnUpload.disabled = btnRedo.disabled = false; show(bar, false); }  // buttons back
  btnUpload.addEventListener("click", function () { upload(false); });
  function upload(retried) {
    if (!blob) return;
    var ext = (blob.type.indexOf("mp4") >= 0) ? ".mp4" : (blob.type.indexOf("ogg") >= 0 ? ".ogg" : ".webm");
    var form = new FormData();
    form.append("media", blob, kind + "-answer" + ext);
    form.append("csrf_token", box.dataset.csrf);
    if (box.dataset.asked) form.append("asked", box.dataset.asked);  // the question's wording as shown here
    var xhr = new XMLHttpRequest();
    xhr.open("POST", uploadUrl);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", box.dataset.csrf);
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = 100 * e.loaded / e.total; };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) {}
      if (xhr.status >= 200 && xhr.status < 300 && body.redirect) {
        releaseStream();
        blob = null;  // uploaded: nothing left to lose on leaving
        window.location.href = body.redirect;
      } else if (xhr.status === 400 && body.csrf && !retried) {
        // the page's token expired (signed in again in another tab): take the fresh one, send once more
        box.dataset.csrf = body.csrf;
        upload(true);
      } else if (xhr.status === 401 && body.login_url) {
        // signed out meanwhile: the recording stays here until the candidate has signed in again
        uploadEnded();
        failWithLink(body.error, body.login_url, "Sign in (opens a new tab)", true);
      } else if (xhr.status === 409 && body.keep_url) {
        // the mock interview moved on (another tab) or is over: the recording stays here, and can be
        // kept as a separate answer to this question, or left for the mock interview's next step
        uploadUrl = body.keep_url;
        btnUpload.textContent = "Keep as a separate answer";
        uploadEnded();
        if (body.redirect) failWithLink(body.error, body.redirect, "Go back to the mock interview", false);
        else fail(body.error || "This recording was not added to your mock interview.");
      } else {
        uploadEnded();
        fail(body.error || (xhr.status === 413 ? "The recording is too large to upload." :
          xhr.status >= 500 ? "The server could not take the upload just now. Your recording is still here: try again in a moment." :
          "The upload failed. Your recording is still here: try again."));
      }
    };
    // no reply: the upload may have arrived all the same (a connection lost after the server stored it). Sending
    // the same take again is safe: the server knows it by its bytes and answers as if it had just stored it (a
    // review found a retry stored a second answer, and in a mock interview offered to keep a duplicate)
    xhr.onerror = function () {
      uploadEnded();
      fail("The upload failed: no reply came from the server. Your recording is still here: press Upload again " +
        "(if it did arrive, it is not stored twice).");
    };
    btnUpload.disabled = btnRedo.disabled = true; show(bar, true); bar.value = 0;  // one upload at a time
    statusEl.textContent = "Uploading…";
    xhr.send(form);
  }
})();
