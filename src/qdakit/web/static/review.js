// The review page: one key per decision. Each key clicks the page's own button, so a keyboard
// decision is exactly the form a mouse click submits.
import { Picker, typing } from './common.js';

const picker = new Picker();
const click = (id) => { const b = document.getElementById(id); if (b) b.click(); };

function recode() {
  const form = document.getElementById('form-recode');
  if (!form) return;
  picker.open('recode this suggestion as', (code, create) => {
    const select = document.getElementById('recode-code');
    if (![...select.options].some((o) => o.value === code)) {
      const o = document.createElement('option');
      o.value = code; o.textContent = code; select.append(o);
    }
    select.value = code;
    document.getElementById('recode-create').value = create ? '1' : '';
    form.requestSubmit();
  });
}

document.addEventListener('keydown', (ev) => {
  if (typing(ev) || document.getElementById('picker').open) return;
  if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === 'z') { ev.preventDefault(); click('btn-undo'); return; }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const keys = { a: 'btn-accept', r: 'btn-reject', n: 'btn-nocode', ' ': 'btn-skip', u: 'btn-undo' };
  if (ev.key === 'c') { ev.preventDefault(); recode(); return; }
  if (keys[ev.key] && !(ev.target && ev.target.tagName === 'BUTTON' && ev.key === ' ')) {
    ev.preventDefault(); click(keys[ev.key]);
  }
});

// the page's keys work from here on (tests wait for this)
document.body.dataset.ready = '1';
