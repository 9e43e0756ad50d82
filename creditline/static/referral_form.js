"use strict";
// Inline validation before the round trip; the server checks the same and answers with the same messages.
document.querySelector('[data-testid=decision-form]').addEventListener('submit', function (ev) {
  var form = ev.target, bad = false;
  form.querySelectorAll('small.error.client').forEach(function (e) { e.remove(); });
  form.querySelectorAll('[required]').forEach(function (input) {
    if (input.type === 'radio' ? form.querySelector('[name=' + input.name + ']:checked') : input.checkValidity()) return;
    var box = input.closest('.field'); if (!box || box.querySelector('small.error.client')) return;
    var msg = document.createElement('small'); msg.className = 'error client'; msg.setAttribute('role', 'alert');
    msg.textContent = input.type === 'radio' ? 'choose clear, reject or return' :
      input.type === 'file' ? 'attach the document' : 'at least ' + (input.minLength > 0 ? input.minLength : 1) + ' characters';
    box.appendChild(msg); box.classList.add('has-error'); bad = true;
  });
  if (bad) ev.preventDefault();
});
