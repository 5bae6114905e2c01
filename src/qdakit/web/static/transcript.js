// The transcript page: read, select (mouse or Shift+arrows), code, mark "no code applies", undo.
// Offsets: each text piece carries data-o, its start in the transcript (code points); a selection
// point is data-o plus the code points before it inside the piece, so emoji, combining accents,
// CJK and CR LF sources keep exact offsets.
import { Picker, post, toast, typing } from './common.js';

const turns = document.getElementById('turns');
const picker = new Picker();
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const words = new Intl.Segmenter(undefined, { granularity: 'word' });
let caret = null; // keyboard selection: { turn, anchor, focus } in transcript offsets

const codePoints = (s) => { let n = 0; for (const _ of s) n += 1; return n; };

function turnOf(node) {
  const el = node && (node.nodeType === 1 ? node : node.parentElement);
  return el ? el.closest('.turn') : null;
}

// a DOM selection point -> transcript offset (null if not in a turn's text)
function offsetOf(node, offset) {
  const t = turnOf(node);
  if (!t) return null;
  const text = t.querySelector('.text');
  if (!text.contains(node)) {
    // a point outside the text (e.g. the turn's head or chips): the turn's start or end
    const before = node.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING;
    return Number(before ? t.dataset.start : t.dataset.end);
  }
  if (node.nodeType === 3) {
    const piece = node.parentElement.closest('.p');
    return Number(piece.dataset.o) + codePoints(node.data.slice(0, offset));
  }
  const kids = node === text ? [...text.children] : [...node.childNodes];
  if (node !== text) {
    const piece = node.closest('.p');
    const before = kids.slice(0, offset).map((k) => k.textContent).join('');
    return Number(piece.dataset.o) + codePoints(before);
  }
  if (offset >= kids.length) return Number(t.dataset.end);
  return Number(kids[offset].dataset.o);
}

// transcript offset -> DOM point inside the turn's text
function pointAt(t, off) {
  const pieces = [...t.querySelectorAll('.text .p')];
  for (const p of pieces) {
    const start = Number(p.dataset.o);
    const len = p.dataset.cr ? 1 : codePoints(p.textContent);
    if (off <= start + len && p.firstChild) {
      let units = 0; let cps = 0;
      for (const ch of p.textContent) { if (cps >= off - start) break; units += ch.length; cps += 1; }
      return [p.firstChild, units];
    }
    if (off <= start + len && !p.firstChild) return [p, 0];
  }
  const last = pieces[pieces.length - 1];
  return last.firstChild ? [last.firstChild, last.firstChild.length] : [last, 0];
}

function currentSpan() {
  const sel = window.getSelection();
  if (!sel || sel.isCollapsed || sel.rangeCount === 0) return null;
  const r = sel.getRangeAt(0);
  const t1 = turnOf(r.startContainer); const t2 = turnOf(r.endContainer);
  if (!t1 || !t2) return null;
  if (t1 !== t2) return { error: 'select within one turn: a coding belongs to one turn' };
  let a = offsetOf(r.startContainer, r.startOffset); let b = offsetOf(r.endContainer, r.endOffset);
  const lo = Number(t1.dataset.start); const hi = Number(t1.dataset.end);
  a = Math.max(lo, Math.min(hi, a)); b = Math.max(lo, Math.min(hi, b));
  if (a >= b) return null;
  return { turn: t1, start: a, end: b };
}

function replaceTurn(segmentId, html) {
  const old = turns.querySelector(`.turn[data-seg="${CSS.escape(segmentId)}"]`);
  if (!old) return null;
  const box = document.createElement('div');
  box.innerHTML = html; // rendered by the server's autoescaping template
  const fresh = box.firstElementChild;
  old.replaceWith(fresh);
  return fresh;
}

function answered(data, focus = true) {
  if (data.error) { toast(data.error, true); return; }
  const t = replaceTurn(data.segment_id, data.turn_html);
  if (data.codes) picker.setCodes(data.codes, data.recent || []);
  document.getElementById('last-decisions').textContent = data.message;
  toast(data.message);
  window.getSelection().removeAllRanges();
  caret = null;
  if (t && focus) t.focus();
}

function openPicker(t, span, recodeId) {
  const excerpt = span ? window.getSelection().toString() : '';
  const label = recodeId ? 'recode this coding' : (span ? `“${excerpt.slice(0, 60)}”` : `the whole turn ${t.dataset.seg}`);
  picker.open(label, async (code, create) => {
    const data = recodeId
      ? await post('/api/recode', { coding_id: recodeId, code, create })
      : await post('/api/code', { segment_id: t.dataset.seg, code, create, start: span ? span.start : null, end: span ? span.end : null });
    answered(data);
  }, () => t.focus());
}

function codeSelectionOrTurn(t) {
  const span = currentSpan();
  if (span && span.error) { toast(span.error, true); return; }
  if (span) openPicker(span.turn, span);
  else if (t) openPicker(t, null);
}

async function undo() {
  answered(await post('/api/undo', {}));
}

// -- mouse ------------------------------------------------------------------------------------
turns.addEventListener('mouseup', (ev) => {
  if (ev.target.closest('button, .chip')) return;
  setTimeout(() => {
    const span = currentSpan();
    if (span && span.error) toast(span.error, true);
    else if (span) openPicker(span.turn, span);
  }, 0);
});

turns.addEventListener('click', async (ev) => {
  const b = ev.target.closest('button');
  if (!b) return;
  const t = b.closest('.turn');
  if (b.classList.contains('remove')) answered(await post('/api/remove', { coding_id: Number(b.dataset.coding) }));
  else if (b.classList.contains('recode')) openPicker(t, null, Number(b.dataset.coding));
  else if (b.classList.contains('no-code')) answered(await post('/api/nocode', { segment_id: t.dataset.seg }));
  else if (b.classList.contains('code-turn')) codeSelectionOrTurn(t);
});

document.getElementById('undo').addEventListener('click', undo);
document.getElementById('show-others').addEventListener('change', (ev) => {
  turns.classList.toggle('others', ev.target.checked);
});

// -- keyboard ---------------------------------------------------------------------------------
function step(text, from, dir, byWord) {
  // the next grapheme (or word) boundary in the turn's text, in code points from the text's start
  const seg = byWord ? words : segmenter;
  const bounds = [0];
  let cp = 0;
  for (const s of seg.segment(text)) { cp += codePoints(s.segment); bounds.push(cp); }
  if (dir > 0) return bounds.find((b) => b > from) ?? cp;
  return [...bounds].reverse().find((b) => b < from) ?? 0;
}

function extend(t, dir, byWord) {
  const base = Number(t.dataset.start);
  const text = [...t.querySelectorAll('.text .p')].map((p) => (p.dataset.cr ? '\r' : p.textContent)).join('');
  if (!caret || caret.turn !== t) caret = { turn: t, anchor: base, focus: base };
  caret.focus = base + step(text, caret.focus - base, dir, byWord);
  const [an, ao] = pointAt(t, caret.anchor); const [fn, fo] = pointAt(t, caret.focus);
  window.getSelection().setBaseAndExtent(an, ao, fn, fo);
}

document.addEventListener('keydown', (ev) => {
  if (typing(ev) || document.getElementById('picker').open) return;
  const t = document.activeElement && document.activeElement.closest && document.activeElement.closest('.turn');
  if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === 'z') { ev.preventDefault(); undo(); return; }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) {
    if (t && ev.shiftKey && (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft')) {
      ev.preventDefault(); extend(t, ev.key === 'ArrowRight' ? 1 : -1, true);
    }
    return;
  }
  if (t && ev.shiftKey && (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft')) {
    ev.preventDefault(); extend(t, ev.key === 'ArrowRight' ? 1 : -1, false); return;
  }
  const all = [...turns.querySelectorAll('.turn')];
  if (ev.key === 'j' || ev.key === 'k' || ((ev.key === 'ArrowDown' || ev.key === 'ArrowUp') && t && document.activeElement === t)) {
    ev.preventDefault();
    const i = t ? all.indexOf(t) : -1;
    const next = all[Math.max(0, Math.min(all.length - 1, i + ((ev.key === 'j' || ev.key === 'ArrowDown') ? 1 : -1)))];
    if (next) { caret = null; next.focus(); }
    return;
  }
  if (ev.key === 'u') { ev.preventDefault(); undo(); return; }
  if (ev.key === 'o') { const box = document.getElementById('show-others'); box.checked = !box.checked; box.dispatchEvent(new Event('change')); return; }
  if (!t || document.activeElement !== t) return;
  if (ev.key === 'Enter' || ev.key === 'c') { ev.preventDefault(); codeSelectionOrTurn(t); return; }
  if (ev.key === 'n') { ev.preventDefault(); post('/api/nocode', { segment_id: t.dataset.seg }).then((d) => answered(d)); }
});

// a link to #turn-N focuses that turn
if (location.hash.startsWith('#turn-')) {
  const el = document.getElementById(location.hash.slice(1));
  if (el) el.focus();
}

// the page's keys work from here on (tests wait for this)
document.body.dataset.ready = '1';
