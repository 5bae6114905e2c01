// qdakit workbench: what every page shares. Text from the server is only ever set with
// textContent (never innerHTML), except a turn that the server rendered with autoescaping.

export const csrf = document.querySelector('meta[name="csrf-token"]').content;

export async function post(path, body) {
  const r = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, Accept: 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  let data;
  try { data = await r.json(); } catch { data = { error: `the workbench answered ${r.status}` }; }
  if (!r.ok && !data.error) data.error = `the workbench answered ${r.status}`;
  return data;
}

let toastTimer;
export function toast(text, isError = false) {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.classList.toggle('error', isError);
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, isError ? 6000 : 2500);
}

export function typing(ev) {
  const el = ev.target;
  return el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

// The code picker: type to filter, arrows to move, Enter applies (a new name creates the code),
// 1-9 the coder's last codes while the filter is empty, Esc closes. onPick(code, create).
export class Picker {
  constructor() {
    this.dialog = document.getElementById('picker');
    this.input = document.getElementById('picker-input');
    this.list = document.getElementById('picker-list');
    this.recent = document.getElementById('picker-recent');
    this.create = document.getElementById('picker-create');
    this.onPick = null;
    this.onClose = null;
    this.input.addEventListener('input', () => this.filter());
    this.input.addEventListener('keydown', (ev) => this.key(ev));
    this.dialog.addEventListener('click', (ev) => {
      const pick = ev.target.closest('.pick');
      if (pick) this.pick(pick.dataset.code, false);
    });
    document.getElementById('picker-cancel').addEventListener('click', () => this.close());
    this.dialog.addEventListener('close', () => { if (this.onClose) this.onClose(); });
  }

  setCodes(codes, recent) {
    this.list.replaceChildren(...codes.map((c) => {
      const li = document.createElement('li');
      li.className = 'pick'; li.setAttribute('role', 'option'); li.dataset.code = c; li.textContent = c;
      return li;
    }));
    this.recent.replaceChildren(...recent.map((c, i) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button'; b.className = 'pick'; b.dataset.code = c; b.textContent = `${i + 1} ${c}`;
      li.append(b);
      return li;
    }));
  }

  open(target, onPick, onClose) {
    this.onPick = onPick;
    this.onClose = onClose || null;
    document.getElementById('picker-target').textContent = target;
    this.input.value = '';
    this.filter();
    this.dialog.showModal();
    this.input.focus();
  }

  close() { if (this.dialog.open) this.dialog.close(); }

  options() { return [...this.list.querySelectorAll('li')]; }

  visible() { return this.options().filter((li) => !li.hidden); }

  filter() {
    const q = this.input.value.trim().toLowerCase();
    let first = true;
    for (const li of this.options()) {
      li.hidden = q !== '' && !li.dataset.code.toLowerCase().includes(q);
      li.setAttribute('aria-selected', String(!li.hidden && first));
      if (!li.hidden) first = false;
    }
    const exact = this.options().some((li) => li.dataset.code.toLowerCase() === q);
    this.create.hidden = q === '' || exact || this.visible().length > 0;
    document.getElementById('picker-new').textContent = this.input.value.trim();
  }

  move(step) {
    const vis = this.visible();
    if (!vis.length) return;
    let i = vis.findIndex((li) => li.getAttribute('aria-selected') === 'true');
    i = Math.max(0, Math.min(vis.length - 1, i + step));
    vis.forEach((li, j) => li.setAttribute('aria-selected', String(j === i)));
    vis[i].scrollIntoView({ block: 'nearest' });
  }

  key(ev) {
    if (ev.key === 'ArrowDown') { ev.preventDefault(); this.move(1); return; }
    if (ev.key === 'ArrowUp') { ev.preventDefault(); this.move(-1); return; }
    if (/^[1-9]$/.test(ev.key) && this.input.value === '') {
      const b = this.recent.querySelectorAll('.pick')[Number(ev.key) - 1];
      if (b) { ev.preventDefault(); this.pick(b.dataset.code, false); }
      return;
    }
    if (ev.key === 'Enter') {
      ev.preventDefault();
      const typed = this.input.value.trim();
      const exact = this.options().find((li) => li.dataset.code.toLowerCase() === typed.toLowerCase());
      const sel = this.visible().find((li) => li.getAttribute('aria-selected') === 'true');
      if (exact) this.pick(exact.dataset.code, false);
      else if (sel && typed !== '') this.pick(sel.dataset.code, false);
      else if (typed !== '') this.pick(typed, true);
    }
  }

  pick(code, create) {
    const done = this.onPick;
    this.onClose = null;
    this.close();
    if (done) done(code, create);
  }
}
